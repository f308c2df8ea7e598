from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.lib.crypto.keys import KeyConfigurationError, require_keys


class Command(BaseCommand):
    help = "Run a background worker (Huey consumer) on the configured queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="threads in this worker")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None
        extra = {"workers": options["workers"]} if options["workers"] else {}
        call_command("run_huey", **extra)
