"""`amparo account-reset EMAIL [--reactivate]`: the operator's reset of an account no
coordinator may reset (several networks, a network's last coordinator): clears every
factor, the password and the sessions and prints a one-time password-set link (hand it
over in person or by phone, never to the account's email: the mailbox may be on the
lost phone); ``--reactivate`` turns the account back on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.models import User
from amparo.accounts.services import user_reactivate
from amparo.twofactor.services import factors_clear


class Command(BaseCommand):
    help = (
        "Clear an account's second factors, password and sessions, and print a one-time "
        "link to set a new password (the server operator's reset)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--reactivate",
            action="store_true",
            help="also turn the account back on if it was turned off or suspended",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.find_by_email(options["email"])
        if user is None:
            raise CommandError("no account has that email")
        counts = factors_clear(target=user)
        reactivated = options["reactivate"] and user_reactivate(user=user)
        self.stdout.write(
            f"cleared: {counts.apps} authenticator apps, {counts.passkeys} passkeys, "
            f"{counts.recovery_codes} recovery codes, {counts.sessions} sessions; "
            "password made unusable\n"
        )
        if reactivated:
            self.stdout.write("the account is turned on again\n")
        self.stdout.write(
            "One-time link to set a new password (hand it over in person or by phone):\n"
            f"{counts.password_link}\n"
        )
