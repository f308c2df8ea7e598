from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from amparo.lib.crypto.keys import KeyConfigurationError, require_keys
from amparo.lib.crypto.rotation import rotate_master_key


class Command(BaseCommand):
    help = (
        "Rewrap every data key under the first key of AMPARO_MASTER_KEY. Put the new key "
        "first and keep the old one after it (new,old), run this, then drop the old one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None
        counts = rotate_master_key()
        total = sum(counts.values())
        for label, n in sorted(counts.items()):
            self.stdout.write(f"{label}: {n} rewrapped\n")
        self.stdout.write(f"done: {total} data keys now wrapped by the first master key\n")
