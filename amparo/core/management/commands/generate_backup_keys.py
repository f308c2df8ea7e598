from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core.backup import BackupError, generate_keypair


class Command(BaseCommand):
    help = (
        "Make a backup keypair: the server keeps only the public key; store the private "
        "key offline (it is the only way to read the backups)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="Directory for the two files.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            private, public = generate_keypair(options["out"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"public key (give to the server): {public}\n"
            f"private key (move OFF the server, keep offline): {private}\n"
        )
