from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amparo.core.i18n import LANGUAGES, compile_catalog, update_catalogs


class Command(BaseCommand):
    help = "Extract translatable strings into locale/*/django.po and compile the .mo files."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--compile-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["compile_only"]:
            for language in LANGUAGES:
                compile_catalog(language)
            return
        for language, n in update_catalogs().items():
            self.stdout.write(f"{language}: {n} strings still to translate\n")
