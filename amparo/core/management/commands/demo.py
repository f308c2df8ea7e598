from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core.demo import DEMO_PASSWORD, seed_demo

from .run import add_serving_arguments, follow_address, prepare, serve, shown_host


class Command(BaseCommand):
    help = "Run the demo: migrate, seed a fictional network, start web server and worker."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_serving_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("run the demo through `amparo demo`")
        follow_address(options)
        prepare()
        logins = seed_demo()
        self.stdout.write("\nAmparo demo — every person and number in it is fictional.\n")
        base = f"http://{shown_host(options['host'])}:{options['port']}"
        self.stdout.write(f"Log in at {base}/ with:\n")
        width = max(len(email) for email, _, _ in logins)
        roles_width = max(len(roles) for _, roles, _ in logins)
        for email, roles, secret in logins:
            app = f"  authenticator key: {secret}" if secret else ""
            self.stdout.write(f"  {email.ljust(width)}  {roles.ljust(roles_width)}{app}\n")
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD}\n")
        self.stdout.write(
            "Second step: add the authenticator key to an app, or print the current code "
            "with `./dev two-factor-code EMAIL`.\n"
        )
        self.stdout.write(f"Sandbox phone (every message Amparo sends): {base}/sandbox/\n")
        self.stdout.write(f"Public volunteer sign-up (no login): {base}/join/valle/\n\n")
        serve(self, options)
