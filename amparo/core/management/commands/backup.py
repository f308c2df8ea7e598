from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core.backup import BackupError, backup_to


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database, readable only with the backup "
        "PRIVATE key (keep it off this server). Restoring also needs the same "
        "AMPARO_MASTER_KEY and AMPARO_INDEX_KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, type=Path, help="The backup file to write.")
        parser.add_argument(
            "--public-key", required=True, type=Path, help="The backup public key (PEM)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = backup_to(options["to"], options["public_key"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = written.counts
        self.stdout.write(
            f"backup written: {options['to']} ({len(counts)} tables, {sum(counts.values())} rows)\n"
        )
        if written.audit_last_hash:
            self.stdout.write(
                f"audit log last hash: {written.audit_last_hash}\n"
                "  keep it away from this server (with the backup private key, say): "
                "`amparo audit verify --last-hash HASH` then tells whether events were "
                "cut off the end of the log\n"
            )
