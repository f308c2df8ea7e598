"""Destroy the key material so that nothing sealed in this database can be read again.

The wipe itself is ``amparo.core.panic.panic_wipe`` (shared with the coordinator's
panic page)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from amparo.core.panic import audit_panic_start, panic_wipe


class Command(BaseCommand):
    help = (
        "PANIC WIPE: destroy the master key file(s) and every data key in the database, "
        "and log everybody out. Afterwards no name, number, message or note in this "
        "database can be read, by anyone, ever. Requires --i-understand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--i-understand",
            action="store_true",
            dest="i_understand",
            help="Confirm that all personal data in this database will become unreadable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["i_understand"]:
            raise CommandError(
                "refusing: this destroys every key and makes all personal data unreadable "
                "forever. Run `amparo panic --i-understand` if that is what you want."
            )
        # Audited before the wipe, as the panic page does: afterwards the index key that
        # chains the audit log is gone (the wipe itself is logged, counts only).
        # Nothing may stop the wipe: a second run, after the keys are gone, cannot audit.
        if not audit_panic_start(source="command"):
            self.stderr.write("the start of the wipe could not be recorded in the audit log\n")
        result = panic_wipe()
        for label, n in sorted(result.data_keys.items()):
            self.stdout.write(f"{label}: {n} data keys destroyed\n")
        self.stdout.write(f"database: {result.total} data keys destroyed\n")
        if result.vacuumed:
            self.stdout.write("database: SQLite file compacted (old pages overwritten)\n")
        elif connection.vendor == "postgresql":
            self.stdout.write(
                "database: run `VACUUM FULL` (and rotate the WAL) so old row versions go too\n"
            )
        for path in result.shredded:
            self.stdout.write(f"key file overwritten and deleted: {path}\n")
        for path in result.unshredded:
            self.stdout.write(f"WARNING: could not overwrite the key file {path}; delete it\n")
        for variable in result.in_environment:
            self.stdout.write(
                f"WARNING: {variable} is set in the environment; remove it from the "
                "deployment's secrets and restart, or the running server still holds it.\n"
            )
        self.stdout.write(f"sessions: {result.sessions} revoked (everybody is logged out)\n")
        self.stdout.write(
            "\nDone. The data keys in this database are gone; an escrowed copy of the old "
            "master key cannot bring them back.\nTo recover: set up a fresh database with "
            "the ESCROWED master and index keys (AMPARO_MASTER_KEY / AMPARO_INDEX_KEY), "
            "then `amparo restore --from BACKUP --private-key KEY.pem` with a backup taken "
            "before the wipe. Without an escrowed key, start again with new keys.\n"
        )
