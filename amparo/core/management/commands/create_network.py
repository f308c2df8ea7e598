from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email, validate_slug

from amparo.accounts.models import Network
from amparo.accounts.services import network_bootstrap

from .run import migrate_database


class Command(BaseCommand):
    help = (
        "Bootstrap a real deployment: create a network and its first coordinator, and "
        "print a one-time link where that person sets a password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="short name for the network, e.g. valle")
        parser.add_argument("--name", required=True, help="the network's full name")
        parser.add_argument("--coordinator", required=True, help="the first coordinator's email")
        parser.add_argument("--time-zone", default="America/New_York")
        parser.add_argument("--languages", default="en,es", help="comma-separated, e.g. en,es")
        parser.add_argument("--hotline", default="", help="the hotline number, any format")

    def handle(self, *args: Any, **options: Any) -> None:
        migrate_database()
        slug = options["slug"]
        try:
            validate_slug(slug)
            validate_email(options["coordinator"])
        except ValidationError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages)) from None
        if Network.objects.filter(slug=slug).exists():
            raise CommandError(f"a network with the short name {slug!r} already exists")
        try:
            network, _user, link = network_bootstrap(
                slug=slug,
                name=options["name"],
                coordinator_email=options["coordinator"],
                time_zone=options["time_zone"],
                languages=[c.strip() for c in options["languages"].split(",") if c.strip()],
                hotline_number=options["hotline"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages)) from None
        self.stdout.write(f"Created network {network.slug!r} ({network.name}).\n")
        self.stdout.write(
            "Give this one-time link to the coordinator, privately; it sets their password\n"
            "and expires in three days (ask for a new one at /accounts/password/reset/):\n"
        )
        self.stdout.write(f"{link}\n")
