"""``amparo import-people FILE --network SLUG [--dry-run]``: the import page, from a shell.

Problems are listed by row and column, never a cell's value; nothing is imported while
any remain unless ``--skip-errors``. A dry run is rolled back, so its counts are exact."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from amparo.accounts.models import Network
from amparo.people.importing import (
    ImportFailed,
    ImportFileError,
    ImportNotReady,
    ImportOutcome,
    default_training,
    import_apply,
    import_batch_abandon,
    import_batch_create,
    import_batch_run,
    import_check,
    import_file_read,
)
from amparo.people.models import ImportBatch

MAX_LISTED = 200


class Command(BaseCommand):
    help = (
        "Import people from a CSV file or an Excel workbook (.xlsx) into a network. People "
        "already there (same phone or email) are updated, never duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv, .tsv, .txt or .xlsx file")
        parser.add_argument("--network", required=True, help="the network's short name")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, save nothing"
        )
        parser.add_argument(
            "--skip-errors", action="store_true", help="import the good rows, skip the others"
        )
        parser.add_argument(
            "--training",
            default=None,
            help="training type that a 'yes' in a training column means (default: rapid-responder)",
        )
        parser.add_argument("--language", default="en", help="language of the messages (en, es)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._run(options)

    def _run(self, options: Any) -> None:
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"no network with the short name {options['network']!r}")
        path = options["file"]
        try:
            size = os.path.getsize(path)
            stream = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"cannot open the file: {exc.strerror}") from None
        try:
            with stream:
                if options["dry_run"]:
                    payload = import_file_read(filename=path, stream=stream, size=size)
                    batch = None
                else:
                    batch = import_batch_create(
                        network=network, actor=None, filename=path, stream=stream, size=size
                    )
                    payload = batch.payload
        except ImportFileError as exc:
            raise CommandError(exc.message) from None
        payload["training"] = options["training"] or default_training(network)
        if batch is not None:
            batch.payload = payload
            batch.save(update_fields=["payload"])
        check = import_check(network=network, payload=payload)
        for message in check.mapping_errors:
            self.stderr.write(message)
        problems = check.problems()
        for row in problems[:MAX_LISTED]:
            for _col, message in row.errors:
                self.stderr.write(f"row {row.number}: {message}")
        if len(problems) > MAX_LISTED:
            self.stderr.write(f"… and {len(problems) - MAX_LISTED} more rows with problems")
        for row in check.rows:
            if row.status == "duplicate":
                self.stdout.write(f"row {row.number}: same person as row {row.duplicate_of}")
        try:
            if batch is None:
                outcome = import_apply(
                    network=network, check=check, skip_errors=options["skip_errors"], dry_run=True
                )
            else:
                outcome = import_batch_run(
                    batch=batch,
                    skip_errors=options["skip_errors"],
                    on_progress=self._progress,
                    check=check,
                )
        except (ImportNotReady, ImportFailed) as exc:
            if batch is not None:
                import_batch_abandon(batch=batch)
            raise CommandError(
                f"{exc.message} (nothing was imported; --skip-errors imports the other rows)"
                if isinstance(exc, ImportNotReady)
                else exc.message
            ) from None
        self.stdout.write(self._summary(outcome, dry_run=batch is None))

    _shown = -1

    def _progress(self, batch: ImportBatch) -> None:
        """The web page's progress, as lines: one every 5 %, written in chunks as the
        worker writes them (each chunk is saved, so an interrupted run resumes)."""
        step = batch.percent // 5 * 5
        if step > self._shown:
            self._shown = step
            self.stdout.write(
                f"{batch.done_count} of {batch.row_count} rows ({batch.percent}%): "
                f"{batch.created_count} created, {batch.updated_count} updated"
            )

    def _summary(self, outcome: ImportOutcome, *, dry_run: bool) -> str:
        prefix = "Dry run, nothing saved: would have " if dry_run else "Imported: "
        return (
            f"{prefix}{outcome.rows} rows: {outcome.created} created, {outcome.updated} "
            f"updated, {outcome.unchanged} unchanged, {outcome.merged} merged duplicates, "
            f"{outcome.skipped} skipped."
        )
