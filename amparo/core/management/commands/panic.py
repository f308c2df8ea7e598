"""Destroy the key material so that nothing sealed in this database can be read again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from amparo.lib.crypto import keys
from amparo.lib.crypto.verify import key_owning_models


def shred_file(path: Path) -> bool:
    """Overwrite a file with random bytes, flush it to disk, and delete it."""
    try:
        size = path.stat().st_size
        with path.open("r+b", buffering=0) as handle:
            handle.write(os.urandom(max(size, 64)))
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def key_files() -> list[Path]:
    found: list[Path] = []
    for variable in ("AMPARO_MASTER_KEY_FILE", "AMPARO_INDEX_KEY_FILE"):
        value = os.environ.get(variable, "").strip()
        if value:
            found.append(Path(value))
    demo = Path(settings.DATA_DIR) / "demo-keys"
    if demo.is_dir():
        found.extend(sorted(p for p in demo.iterdir() if p.is_file()))
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def wipe_data_keys() -> dict[str, int]:
    """Set every wrapped data key to NULL, in one transaction."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model in key_owning_models():
            counts[model._meta.label] = model._base_manager.exclude(wrapped_key=None).update(
                wrapped_key=None
            )
    return counts


class Command(BaseCommand):
    help = (
        "PANIC WIPE: destroy the master key file(s) and every data key in the database. "
        "Afterwards no name, number, message or note in this database can be read, by "
        "anyone, ever. Requires --i-understand."
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
        # The database first: it needs no key, and it is what a seizure takes.
        counts = wipe_data_keys()
        total = sum(counts.values())
        for label, n in sorted(counts.items()):
            self.stdout.write(f"{label}: {n} data keys destroyed\n")
        self.stdout.write(f"database: {total} data keys destroyed\n")
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with connection.cursor() as cursor:  # drop the old pages that held the keys
                cursor.execute("VACUUM")
            self.stdout.write("database: SQLite file compacted (old pages overwritten)\n")
        elif connection.vendor == "postgresql":
            self.stdout.write(
                "database: run `VACUUM FULL` (and rotate the WAL) so old row versions go too\n"
            )

        for path in key_files():
            if shred_file(path):
                self.stdout.write(f"key file overwritten and deleted: {path}\n")
        for variable in ("AMPARO_MASTER_KEY", "AMPARO_INDEX_KEY"):
            if os.environ.get(variable):
                self.stdout.write(
                    f"WARNING: {variable} is set in the environment; remove it from the "
                    "deployment's secrets and restart, or the running server still holds it.\n"
                )
        keys.reset_cache()
        try:
            from amparo.accounts.audit import audit_record
            from amparo.accounts.models import AuditEvent

            audit_record(action=AuditEvent.Action.KEYS, note=f"panic: {total}")
        except Exception:  # the wipe is done; an audit failure must not hide that
            self.stderr.write("could not record the audit event\n")
        self.stdout.write(
            "\nDone. The data keys in this database are gone; an escrowed copy of the old "
            "master key cannot bring them back.\nTo recover: set up a fresh database with "
            "the ESCROWED master and index keys (AMPARO_MASTER_KEY / AMPARO_INDEX_KEY), "
            "then `amparo restore --from BACKUP --private-key KEY.pem` with a backup taken "
            "before the wipe. Without an escrowed key, start again with new keys.\n"
        )
