from typing import Any

from django.core.management.base import BaseCommand

from amparo.lib.crypto.keys import new_key_text


class Command(BaseCommand):
    help = "Print a new random 32-byte key (base64) for AMPARO_MASTER_KEY or AMPARO_INDEX_KEY."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_key_text())
