"""Writing a checked payload in one transaction, and the steps of an :class:`ImportBatch`
(the web page's and the command's): create, check, update, run, abandon, purge."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import PurePath
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User

from ..models import ImportBatch, Person
from ..services import person_upsert
from .checking import ImportCheck, import_check
from .errors import ImportFailed, ImportNotReady
from .mapping import FIELD_KEYS
from .reading import clean_cell, import_file_read
from .rows import RowResult, default_training

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


def _ready_or_raise(check: ImportCheck, skip_errors: bool) -> list[RowResult]:
    if check.mapping_errors:
        raise ImportNotReady(" ".join(check.mapping_errors))
    problems = check.problems()
    if problems and not skip_errors:
        raise ImportNotReady(
            ngettext(
                "%(count)s row still has a problem: fix it, or choose to skip it.",
                "%(count)s rows still have problems: fix them, or choose to skip them.",
                len(problems),
            )
            % {"count": len(problems)}
        )
    return problems


def import_apply(
    *,
    network: Network,
    check: ImportCheck,
    actor: User | None = None,
    skip_errors: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Write every group of a checked payload in one transaction (rolled back if dry_run)."""
    problems = _ready_or_raise(check, skip_errors)
    outcome = ImportOutcome(
        rows=len(check.rows),
        skipped=sum(1 for r in check.rows if r.skipped or r.errors),
        errors=len(problems),
    )
    existing = Person.objects.filter(network=network).in_bulk(
        [g.target_id for g in check.groups if g.target_id is not None]
    )
    with transaction.atomic():
        for group in check.groups:
            data = group.data
            if group.target_id is not None:
                # Someone already in Amparo: the import adds (phones, roles, towns,
                # trainings) but never renames them or overwrites their notes.
                data = replace(data, name="", notes=None)
            person, result = person_upsert(
                network=network,
                data=data,
                source=Person.Source.IMPORT,
                actor=actor,
                existing=existing.get(group.target_id) if group.target_id else None,
            )
            setattr(outcome, result, getattr(outcome, result) + 1)
            outcome.merged += len(group.rows) - 1
            outcome.person_ids.append(person.pk)
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
    *, batch: ImportBatch, actor: User | None = None, skip_errors: bool = False
) -> ImportOutcome:
    """Import a previewed batch in one transaction; then drop its rows, keeping counts.

    A failure saves nothing of the import: the batch is marked failed, its rows are
    dropped, and :class:`ImportFailed` is raised.
    """
    check = import_check(network=batch.network, payload=_open_payload(batch))
    _ready_or_raise(check, skip_errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = ImportBatch.objects.filter(
                pk=batch.pk, status=ImportBatch.Status.PREVIEW
            ).update(status=ImportBatch.Status.IMPORTED, payload=None, finished_at=now)
            if claimed != 1:
                raise ImportNotReady(_("This import has already been run."))
            outcome = import_apply(
                network=batch.network, check=check, actor=actor, skip_errors=skip_errors
            )
            ImportBatch.objects.filter(pk=batch.pk).update(
                row_count=outcome.rows,
                error_count=outcome.errors,
                created_count=outcome.created,
                updated_count=outcome.updated,
                unchanged_count=outcome.unchanged,
                skipped_count=outcome.skipped,
            )
            audit_record(
                action=AuditEvent.Action.CREATE,
                actor=actor,
                obj=batch,
                note=outcome.as_note(),
            )
    except ImportNotReady:
        raise
    except Exception as exc:
        # Never the exception's text: it could quote a value.
        logger.error("import batch %s failed (%s); nothing was saved", batch.pk, type(exc).__name__)
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.FAILED, payload=None, finished_at=timezone.now()
        )
        batch.refresh_from_db()
        raise ImportFailed(
            _("The import failed and nothing was saved. Upload the file again to retry.")
        ) from exc
    batch.refresh_from_db()
    return outcome


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
