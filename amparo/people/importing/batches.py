"""Writing a checked payload in one transaction, and the steps of an :class:`ImportBatch`
(the web page's and the command's): create, check, update, run, abandon, purge."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Network, User

from ..bulk import BulkLookups, people_bulk_prepare, people_bulk_write
from ..models import ImportBatch, Person
from .checking import ImportCheck, import_check
from .errors import ImportFailed, ImportNotReady
from .mapping import FIELD_KEYS
from .reading import clean_cell, import_file_read
from .rows import default_training
from .work import CHUNK_GROUPS, import_batch_start, import_batch_work, ready_or_raise

# The package's name, as before it was split into modules: log lines keep their logger.
logger = logging.getLogger(__package__)


# --- writing ------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0
    errors: int = 0
    person_ids: list[int] = field(default_factory=list)

    def as_note(self) -> str:
        return (
            f"rows={self.rows} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} merged={self.merged} skipped={self.skipped}"
        )


def import_apply(
    *,
    network: Network,
    check: ImportCheck,
    actor: User | None = None,
    skip_errors: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Write every group of a checked payload in one transaction (rolled back if dry_run),
    through the bulk path. For a dry run and small files; the page and the command write
    in chunks in the background (:mod:`.work`)."""
    problems = ready_or_raise(check, skip_errors)
    outcome = ImportOutcome(
        rows=len(check.rows),
        skipped=sum(1 for r in check.rows if r.skipped or r.errors),
        errors=len(problems),
    )
    lookups = BulkLookups(network)
    with transaction.atomic():
        for start in range(0, len(check.groups), CHUNK_GROUPS):
            chunk = check.groups[start : start + CHUNK_GROUPS]
            plan = people_bulk_prepare(
                network=network,
                items=[(g.data, g.target_id) for g in chunk],
                source=Person.Source.IMPORT,
                lookups=lookups,
                actor=actor,
            )
            for group, (person_id, result) in zip(chunk, people_bulk_write(plan=plan), strict=True):
                setattr(outcome, result, getattr(outcome, result) + 1)
                outcome.merged += len(group.rows) - 1
                outcome.person_ids.append(person_id)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


# --- batches (the web page's steps, and the command's) ------------------------------


def import_batch_create(
    *, network: Network, actor: User | None, filename: str, stream: IO[bytes], size: int
) -> ImportBatch:
    """Read the file and keep its rows sealed in a new batch, ready for the preview."""
    payload = import_file_read(filename=filename, stream=stream, size=size)
    payload["training"] = default_training(network)
    batch = ImportBatch(
        network=network,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        filename=PurePath(filename or "").name[:200],
        file_sha256=payload.pop("sha256"),
        payload=payload,
        row_count=len(payload["rows"]),
    )
    batch.save()
    return batch


def _open_payload(batch: ImportBatch) -> dict[str, Any]:
    if batch.status != ImportBatch.Status.PREVIEW or not isinstance(batch.payload, dict):
        raise ImportNotReady(_("This import is finished: upload the file again to start over."))
    return batch.payload


def import_batch_check(*, batch: ImportBatch) -> ImportCheck:
    check = import_check(network=batch.network, payload=_open_payload(batch))
    error_count = len(check.problems())
    if batch.error_count != error_count:
        batch.error_count = error_count
        ImportBatch.objects.filter(pk=batch.pk).update(error_count=error_count)
    return check


def import_batch_update(
    *,
    batch: ImportBatch,
    mapping: list[str] | None = None,
    training: str | None = None,
    fixes: dict[int, dict[int, str]] | None = None,
    skips: dict[int, bool] | None = None,
) -> None:
    """Change the column mapping, the meaning of "yes" in a training column, cell values
    of rows (fixes: row index → column index → text) or which rows are skipped."""
    payload = _open_payload(batch)
    columns, rows = payload["columns"], payload["rows"]
    if mapping is not None:
        for column, key in zip(columns, mapping, strict=False):
            column["field"] = key if key in FIELD_KEYS else ""
    if training is not None:
        payload["training"] = training
    for index, cells in (fixes or {}).items():
        if 0 <= index < len(rows):
            row = rows[index]["cells"]
            row.extend([""] * (len(columns) - len(row)))
            for col, text in cells.items():
                if 0 <= col < len(columns):
                    row[col] = clean_cell(text)
    for index, skip in (skips or {}).items():
        if 0 <= index < len(rows):
            rows[index]["skip"] = bool(skip)
    batch.payload = payload
    batch.save(update_fields=["payload"])


def import_batch_run(
    *,
    batch: ImportBatch,
    actor: User | None = None,
    skip_errors: bool = False,
    on_progress: Callable[[ImportBatch], None] | None = None,
    check: ImportCheck | None = None,
) -> ImportOutcome:
    """Queue a previewed batch and write it here and now, chunk by chunk, as the worker
    would (the command's way; the page queues it for the worker instead).

    A failure keeps what earlier chunks wrote, marks the batch failed, drops its rows
    and raises :class:`ImportFailed`.
    """
    import_batch_start(
        batch=batch, actor=actor, skip_errors=skip_errors, enqueue=False, check=check
    )
    import_batch_work(batch_id=batch.pk, on_progress=on_progress)
    batch.refresh_from_db()
    if batch.status != ImportBatch.Status.IMPORTED:
        raise ImportFailed(
            _(
                "The import stopped after %(done)s of %(rows)s rows; the people written "
                "until then are saved. Upload the file again to import the rest."
            )
            % {"done": batch.done_count, "rows": batch.row_count}
        )
    merged = batch.row_count - batch.skipped_count
    merged -= batch.created_count + batch.updated_count + batch.unchanged_count
    return ImportOutcome(
        rows=batch.row_count,
        created=batch.created_count,
        updated=batch.updated_count,
        unchanged=batch.unchanged_count,
        merged=max(0, merged),
        skipped=batch.skipped_count,
        errors=batch.error_count,
    )


def import_batch_abandon(*, batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.ABANDONED, payload=None, finished_at=timezone.now()
    )
    batch.refresh_from_db()


def import_batches_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Abandon previews left unfinished, dropping their rows (for a periodic job)."""
    return ImportBatch.objects.filter(
        status=ImportBatch.Status.PREVIEW, created_at__lt=timezone.now() - older_than
    ).update(status=ImportBatch.Status.ABANDONED, payload=None, finished_at=timezone.now())
