"""`amparo two-factor-code EMAIL`: the current authenticator code of a demo login.

Only in the demo (``settings.DEMO``): it reads a secret out of the database, which is
exactly what must never be possible on a real deployment."""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.models import User
from amparo.twofactor.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo login (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "two-factor-code works only in the demo (AMPARO_DEMO=1): on a real "
                "deployment each person reads the code from their own app."
            )
        user = User.objects.find_by_email(options["email"])
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
            if user is not None
            else None
        )
        if device is None:
            raise CommandError("that login has no authenticator app in this demo")
        self.stdout.write(pyotp.TOTP(device.secret).now())
