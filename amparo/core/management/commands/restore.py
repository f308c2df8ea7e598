from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core.backup import BackupError, load_private_key, restore_from
from amparo.lib.crypto.verify import verify_database_keys


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into a fresh database (it runs the migrations "
        "first). Needs the backup private key and the same AMPARO_MASTER_KEY and "
        "AMPARO_INDEX_KEY the backed-up server used."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", required=True, type=Path, dest="source")
        parser.add_argument(
            "--private-key", required=True, type=Path, help="The backup private key (PEM)."
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="The database is already migrated."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            private_key = load_private_key(options["private_key"])
            if not options["no_migrate"]:
                call_command("migrate", interactive=False, verbosity=0)
            with options["source"].open("rb") as source:
                counts = restore_from(source, private_key)
        except OSError as exc:
            raise CommandError(f"cannot read {options['source']}: {exc.strerror}") from None
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored {sum(counts.values())} rows in {len(counts)} tables\n")
        problem = verify_database_keys()
        if problem:
            self.stderr.write(f"WARNING: {problem}\n")
        else:
            self.stdout.write("the configured master key opens the restored data\n")
