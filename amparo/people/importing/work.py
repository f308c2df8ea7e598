"""An import as background work: queued from the preview page (or the command), written
by a Huey task in small chunks through the bulk path (:mod:`amparo.people.bulk`).

- Each chunk is one short transaction that writes its people *and* moves the batch's
  ``cursor`` past them, with a conditional UPDATE on the cursor it started from: a
  chunk is written once or not at all, so a crash resumes by running the task again
  (the sweeper does, for a batch whose heartbeat stopped) and two workers never write
  the same chunk.
- Reading and checking the file, finding who is already there and sealing the new
  people's details happen outside those transactions: SQLite's write lock is held only
  for the inserts of one chunk.
- A cancel is a conditional UPDATE of the status: the next chunk finds it and stops;
  what earlier chunks wrote stays.
- One run of the task writes for TASK_SECONDS, then queues the rest behind the other
  tasks: an import never keeps the worker from an alert's deliveries for long.
- When the import ends (imported, failed, cancelled) the sealed rows are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from huey.contrib.djhuey import db_task

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, User
from amparo.channels.outbox import work_due
from amparo.lib.sqlite.wal import checkpoint

from ..bulk import BulkLookups, people_bulk_prepare, people_bulk_write
from ..models import ImportBatch, Person
from ..services import PersonData
from .checking import ImportCheck, import_check
from .errors import ImportNotReady
from .rows import RowResult

logger = logging.getLogger(__package__)

#: People in the first chunk; later chunks are sized so that each holds the write lock
#: about TARGET_LOCK_S (the aim is never more than 0.25 s: the margin is for a busy
#: machine, where a chunk's statements may wait for the CPU), between MIN and MAX_CHUNK.
CHUNK_GROUPS = 100
TARGET_LOCK_S = 0.08
MIN_CHUNK = 25
MAX_CHUNK = 1_000
#: SQLite: the write-ahead log is checkpointed after about this many people (a few MB),
#: between chunks, instead of inside a chunk's commit (amparo/lib/sqlite/wal.py).
CHECKPOINT_PEOPLE = 500
#: A running import whose heartbeat is older than this is resumed by the sweeper.
STALE_AFTER = timedelta(minutes=2)
MAX_PROBLEMS_KEPT = 1_000
#: After a chunk, while messages are due, the import waits this long (at least the
#: chunk's own lock time), so that an alert's deliveries are not slowed by an import;
#: while live ones (an alert) are due, it waits for them, up to LIVE_PAUSE_S a chunk.
YIELD_MIN_S = 0.05
YIELD_MAX_S = 0.25
LIVE_PAUSE_S = 10.0
PROGRESS_FIELDS = ("done_count", "created_count", "updated_count", "unchanged_count")
#: How long one run of the task writes before it queues the rest behind other tasks.
TASK_SECONDS = 5.0


@dataclass
class WorkStats:
    chunks: int = 0
    max_lock_s: float = 0.0  # the longest chunk transaction
    rows_per_s: float = 0.0
    more: bool = False  # stopped at max_seconds with people left to write


def ready_or_raise(check: ImportCheck, skip_errors: bool) -> list[RowResult]:
    """The rows with problems; raises ImportNotReady if the import cannot go ahead."""
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


def _skipped(check: ImportCheck) -> int:
    return sum(1 for r in check.rows if r.skipped or r.errors)


_DEFAULTS = asdict(PersonData(name=""))


def _data_json(data: PersonData) -> dict[str, Any]:
    """What differs from PersonData's defaults (the plan is read back at every chunk's
    write of the batch: kept small)."""
    values = {f.name: getattr(data, f.name) for f in fields(data)}  # asdict's deep copy: no
    out = {k: v for k, v in values.items() if k == "name" or v != _DEFAULTS[k]}
    if data.trainings:
        out["trainings"] = [[slug, when.isoformat()] for slug, when in data.trainings]
    return out


def _data_from(raw: dict[str, Any]) -> PersonData:
    raw = dict(raw)
    trainings = raw.get("trainings", [])
    raw["trainings"] = [(slug, date.fromisoformat(when)) for slug, when in trainings]
    return PersonData(**raw)


def import_batch_start(
    *,
    batch: ImportBatch,
    actor: User | None = None,
    skip_errors: bool = False,
    enqueue: bool = True,
    check: ImportCheck | None = None,
) -> None:
    """Queue a previewed batch. What to write (each person's details, found by the
    check) is kept sealed in the batch, instead of its rows, until the worker has
    written it.
    ``enqueue=False`` when the caller writes it itself (the command); ``check`` when the
    caller has just checked the batch as it is now."""
    payload = _payload(batch, ImportBatch.Status.PREVIEW)  # its rows; then its plan
    if check is None:
        check = import_check(network=batch.network, payload=payload)
    problems = ready_or_raise(check, skip_errors)
    # Only the plan from now on: the rows were for the preview, and the batch's row is
    # rewritten with each chunk (SQLite reads all of it to update its cursor).
    payload = {
        "plan": [
            [check.rows[g.rows[0]].number, g.target_id, _data_json(g.data), len(g.rows)]
            for g in check.groups
        ]
    }
    now = timezone.now()
    with transaction.atomic():
        queued = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.QUEUED,
            skip_errors=skip_errors,
            created_by=actor if getattr(actor, "is_authenticated", False) else batch.created_by,
            started_at=now,
            heartbeat_at=now,
            cursor=0,
            done_count=_skipped(check),
            error_count=len(problems),
            skipped_count=_skipped(check),
            row_count=len(check.rows),
        )
        if queued != 1:
            raise ImportNotReady(_("This import has already been run."))
        batch.refresh_from_db()
        batch.payload = payload  # sealed with the batch's own key
        batch.problems = _problems(check)
        batch.save(update_fields=["payload", "problems"])
        batch_id = batch.pk
        if enqueue:
            transaction.on_commit(lambda: import_batch_task(batch_id))


def _payload(batch: ImportBatch, *statuses: str) -> dict[str, Any]:
    if batch.status not in statuses or not isinstance(batch.payload, dict):
        raise ImportNotReady(_("This import is finished: upload the file again to start over."))
    return batch.payload


def _problems(check: ImportCheck) -> list[list[object]]:
    return [
        [row.number, message]
        for row in check.problems()[:MAX_PROBLEMS_KEPT]
        for _col, message in row.errors
    ]


def import_batch_work(
    *,
    batch_id: int,
    chunk_groups: int | None = None,
    on_progress: Callable[[ImportBatch], None] | None = None,
    max_seconds: float | None = None,
) -> WorkStats:
    """Write a queued (or interrupted) batch chunk by chunk, from its cursor on.

    Chunks are sized to hold the write lock about ``TARGET_LOCK_S`` (a busy machine gets
    smaller chunks); ``chunk_groups`` fixes the size instead (tests). With
    ``max_seconds`` it stops after about that long, ``stats.more`` saying whether people
    are left (the task then queues itself again, so it never holds a worker long)."""
    stats = WorkStats()
    started = time.perf_counter()
    claimed = ImportBatch.objects.filter(pk=batch_id, status__in=ImportBatch.ACTIVE).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    if claimed != 1:
        return stats  # cancelled, finished, or gone
    batch = ImportBatch.objects.select_related("network", "created_by").get(pk=batch_id)
    try:
        plan = _payload(batch, ImportBatch.Status.RUNNING)["plan"]
        deadline = started + max_seconds if max_seconds is not None else None
        _write_all(batch, plan, stats, chunk_groups, on_progress, deadline)
    except Exception as exc:
        # Never the exception's text: it could quote a value.
        logger.error("import batch %s stopped (%s)", batch.pk, type(exc).__name__)
        batch.refresh_from_db()
        problems = list(batch.problems or [])
        problems.append([0, _("The import stopped because of an error in Amparo.")])
        _finish(batch, ImportBatch.Status.FAILED, problems=problems)
        return stats
    elapsed = time.perf_counter() - started
    stats.rows_per_s = batch.row_count / elapsed if elapsed else 0.0
    return stats


def _write_all(
    batch: ImportBatch,
    plan: list[list[Any]],
    stats: WorkStats,
    chunk_groups: int | None,
    on_progress: Callable[[ImportBatch], None] | None,
    deadline: float | None = None,
) -> None:
    _write_chunks(batch, plan, stats, chunk_groups, on_progress, deadline)
    batch.refresh_from_db(fields=["status", "cursor"])
    if batch.status == ImportBatch.Status.RUNNING and batch.cursor >= len(plan):
        _finish(batch, ImportBatch.Status.IMPORTED)


def _write_chunks(
    batch: ImportBatch,
    plan: list[list[Any]],
    stats: WorkStats,
    chunk_groups: int | None,
    on_progress: Callable[[ImportBatch], None] | None,
    deadline: float | None,
) -> None:
    size = chunk_groups or CHUNK_GROUPS
    lookups = BulkLookups(batch.network)
    unlogged = 0  # people written since the last checkpoint
    while batch.cursor < len(plan):
        if stats.chunks and deadline is not None and time.perf_counter() > deadline:
            stats.more = True  # at least one chunk a run: it always moves on
            return
        chunk = plan[batch.cursor : batch.cursor + size]
        held = _write_chunk(batch, chunk, batch.created_by, lookups)
        if held is None:
            return  # cancelled, or another worker has it
        stats.chunks += 1
        stats.max_lock_s = max(stats.max_lock_s, held)
        unlogged += len(chunk)
        if unlogged >= CHECKPOINT_PEOPLE:  # the log back into the database: no write lock
            checkpoint()
            unlogged = 0
        if work_due():  # messages are waiting: let the outbox's writes in first
            time.sleep(min(YIELD_MAX_S, max(held, YIELD_MIN_S)))
            _live_pause()
        if chunk_groups is None:  # aim at TARGET_LOCK_S, changing by at most 2x a step
            factor = min(2.0, max(0.5, TARGET_LOCK_S / max(held, 0.001)))
            size = max(MIN_CHUNK, min(MAX_CHUNK, int(size * factor)))
        if on_progress is not None:
            batch.refresh_from_db(fields=[*PROGRESS_FIELDS])
            on_progress(batch)


def _live_pause() -> None:
    """While live messages (an alert's) are due, wait for them, up to LIVE_PAUSE_S."""
    paused = time.perf_counter()
    while work_due(live=True) and time.perf_counter() - paused < LIVE_PAUSE_S:
        time.sleep(YIELD_MIN_S)


def _commit_without_flush() -> None:
    """PostgreSQL: this chunk's commit does not wait for the log's flush to disk. A
    crash may lose the last chunks, but each with its cursor (one transaction): the
    resumed import writes them again. Later commits flush it with theirs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _write_chunk(
    batch: ImportBatch, chunk: list[list[Any]], actor: User | None, lookups: BulkLookups
) -> float | None:
    """One chunk in one short transaction, moving the cursor past it; the seconds it
    held the write lock, or None when the batch is no longer this worker's to write
    (cancelled, taken over by another worker)."""
    items = [(_data_from(data), target) for _number, target, data, _n in chunk]
    rows = sum(n for *_rest, n in chunk)
    for attempt in range(2):
        # Outside the transaction: lookups, data keys, sealing, what to write.
        plan = people_bulk_prepare(
            network=batch.network,
            items=items,
            source=Person.Source.IMPORT,
            lookups=lookups,
            actor=actor,
        )
        counts = plan.counts()
        _live_pause()  # an alert written while this chunk was prepared goes first
        begun = time.perf_counter()
        try:
            with transaction.atomic():
                # held from here (SQLite's BEGIN IMMEDIATE has the lock) to the commit
                begun = time.perf_counter()
                _commit_without_flush()
                moved = ImportBatch.objects.filter(
                    pk=batch.pk, status=ImportBatch.Status.RUNNING, cursor=batch.cursor
                ).update(
                    cursor=batch.cursor + len(chunk),
                    done_count=F("done_count") + rows,
                    heartbeat_at=timezone.now(),
                    created_count=F("created_count") + counts["created"],
                    updated_count=F("updated_count") + counts["updated"],
                    unchanged_count=F("unchanged_count") + counts["unchanged"],
                )
                if moved != 1:
                    return None
                people_bulk_write(plan=plan)
        except IntegrityError:
            # Someone signed up with the same email or phone meanwhile: look again.
            if attempt == 0:
                continue
            logger.warning("import batch %s: a chunk could not be written", batch.pk)
            _chunk_failed(batch, [number for number, *_rest in chunk], rows)
            return time.perf_counter() - begun
        held = time.perf_counter() - begun
        batch.cursor += len(chunk)
        return held
    return None  # pragma: no cover - the loop returns


def _chunk_failed(batch: ImportBatch, numbers: list[int], rows: int) -> None:
    """Record the chunk's rows as problems and move past them."""
    with transaction.atomic():
        fresh = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        problems = list(fresh.problems or [])
        message = _("This row could not be saved: import the file again to retry it.")
        problems.extend([n, message] for n in numbers)
        fresh.problems = problems[:MAX_PROBLEMS_KEPT]
        fresh.cursor = batch.cursor + len(numbers)
        fresh.done_count += rows
        fresh.skipped_count += rows
        fresh.save(update_fields=["problems", "cursor", "done_count", "skipped_count"])
        batch.cursor = fresh.cursor


def _finish(batch: ImportBatch, status: str, problems: list[list[object]] | None = None) -> None:
    """End the import: drop the sealed rows, keep counts, and record it."""
    with transaction.atomic():
        fresh = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if fresh.status not in ImportBatch.ACTIVE:
            return
        fresh.status = status
        fresh.payload = None
        fresh.finished_at = timezone.now()
        if problems is not None:
            fresh.problems = problems
        if status == ImportBatch.Status.IMPORTED:
            fresh.done_count = fresh.row_count
        fresh.save()
        audit_record(
            action=AuditEvent.Action.CREATE,
            actor=fresh.created_by,
            obj=fresh,
            note=(
                f"status={status} rows={fresh.row_count} created={fresh.created_count} "
                f"updated={fresh.updated_count} unchanged={fresh.unchanged_count}"
            ),
        )
    batch.refresh_from_db()


def import_batch_cancel(*, batch: ImportBatch, actor: User | None = None) -> bool:
    """Stop a queued or running import: the chunk being written finishes or is rolled
    back, nothing more is written, the sealed rows are dropped. True if it was stopped."""
    with transaction.atomic():
        stopped = ImportBatch.objects.filter(pk=batch.pk, status__in=ImportBatch.ACTIVE).update(
            status=ImportBatch.Status.CANCELLED, payload=None, finished_at=timezone.now()
        )
        if stopped:
            audit_record(
                action=AuditEvent.Action.UPDATE,
                actor=actor,
                obj=batch,
                fields=["status"],
                note="cancelled",
            )
    batch.refresh_from_db()
    return bool(stopped)


def import_batches_resume() -> int:
    """For the sweeper: queue again every import whose worker stopped (a crash, a
    restart). Re-running a batch is safe: it starts from its cursor."""
    stale = timezone.now() - STALE_AFTER
    ids = list(
        ImportBatch.objects.filter(
            status__in=ImportBatch.ACTIVE, heartbeat_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        ImportBatch.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        import_batch_task(pk)
    return len(ids)


@db_task()
def import_batch_task(batch_id: int) -> None:
    """Huey: write an import for a few seconds (ids only; the rows are read sealed from
    the batch), then queue the rest behind whatever else is waiting, so an import never
    keeps a worker from an alert's deliveries."""
    if import_batch_work(batch_id=batch_id, max_seconds=TASK_SECONDS).more:
        import_batch_task(batch_id)
