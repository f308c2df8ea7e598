from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.chain import chain_verify
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
                restored = restore_from(source, private_key)
        except OSError as exc:
            raise CommandError(f"cannot read {options['source']}: {exc.strerror}") from None
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = restored.counts
        self.stdout.write(f"restored {sum(counts.values())} rows in {len(counts)} tables\n")
        # The rows stay restored (for the operator to look at); every check runs, and
        # any problem makes the command fail (a non-zero exit for scripts and drills).
        problems = []
        problem = verify_database_keys()
        if problem:
            self.stderr.write(f"WARNING: {problem}\n")
            problems.append(problem)
        else:
            self.stdout.write("the configured master key opens the restored data\n")
        if restored.times_recovered:
            self.stdout.write(
                "an older backup (times to the millisecond): the audit events' exact times "
                "were found again from their hashes\n"
            )
        kept = str(restored.header.get("audit_last_hash", ""))
        report = chain_verify(last_hash=kept)
        if report.intact:
            self.stdout.write(
                f"audit chain intact: {report.checked} events"
                + (", ending at the backup's last hash" if kept else "")
                + "\n"
            )
        else:
            where = f" at event id {report.broken_id}" if report.broken_id is not None else ""
            self.stderr.write(f"WARNING: audit chain broken{where}: {report.reason}\n")
            problems.append(f"audit chain broken{where}: {report.reason}")
        if problems:
            raise CommandError("restored, but: " + "; ".join(problems))
