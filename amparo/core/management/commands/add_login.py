from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from amparo.accounts.logins import assignable_roles
from amparo.accounts.models import Network
from amparo.accounts.services import LANGUAGE_CODES, login_add, password_link_days

from .run import migrate_database


class Command(BaseCommand):
    help = (
        'Let someone log in to a network (the same as the Logins page\'s "Add a login") '
        "and print the one-time link where they set a password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("network", help="the network's short name, e.g. valle")
        parser.add_argument("email")
        parser.add_argument("--roles", required=True, help="comma-separated role slugs")
        parser.add_argument("--language", default="en", help="the account's language")

    def handle(self, *args: Any, **options: Any) -> None:
        migrate_database()
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"no network with the short name {options['network']!r}")
        roles = [r.strip() for r in options["roles"].split(",") if r.strip()]
        known = {role.slug for role in assignable_roles()}
        if unknown := sorted(set(roles) - known):
            raise CommandError(
                f"unknown roles: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        if options["language"] not in LANGUAGE_CODES:
            raise CommandError(f"unknown language {options['language']!r}")
        try:
            validate_email(options["email"])
            _membership, link = login_add(
                network=network,
                email=options["email"],
                roles=roles,
                language=options["language"],
                by=None,
                existing=True,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages)) from None
        days = password_link_days()
        self.stdout.write(
            "Login added. Give this one-time link to the person, privately; it expires in\n"
            f"{days} day{'s' if days != 1 else ''}. If they already have a password on this "
            "server, it changes\nnothing: they log in with the password they have.\n"
        )
        self.stdout.write(f"{link}\n")
