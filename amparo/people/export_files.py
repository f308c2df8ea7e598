"""Large exports as background work, the way an import is (:mod:`.importing.work`).

Once a second person approves an export of more than ``settings.EXPORT_IMMEDIATE_MAX``
people, a Huey task makes its file:

- the people are read chunk by chunk (``EXPORT_CHUNK``) through the one row maker,
  :func:`.exporting.export_rows_for`; each chunk's rows are sealed (AES-GCM under a
  data key of this file only, wrapped by the master key: amparo.lib.crypto.envelope)
  and appended to a file under ``EXPORT_FILES_DIR``; ``file_done`` moves with each
  chunk, for the requester's progress bar;
- then the rows are read back, sorted and written as the CSV or XLSX, sealed again in
  frames, and the rows' file is deleted: nothing is written to the disk in clear;
- the one download opens the file, deletes it and forgets its key; the sweeper deletes
  the file of an approval that expired, and any file no request still waits for.

A frame is its length (4 bytes) then the sealed bytes; the context of each names the
request, the part, the frame's number and whether it is the last one, so frames cannot
be swapped, moved between files or cut off the end unnoticed (a part has at least one).
"""

from __future__ import annotations

import json
import logging
import secrets
import struct
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from huey.contrib.djhuey import db_task

from amparo.lib.crypto.envelope import (
    DecryptionError,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    wrap_data_key,
)

from .exporting import EXPORT_CHUNK, export_content, export_ids, export_rows_for
from .models import ExportRequest

logger = logging.getLogger(__name__)

FileState = ExportRequest.FileState
FRAME_BYTES = 256 * 1024
_LENGTH = struct.Struct(">I")
#: A running export whose heartbeat is older than this is started again by the sweeper.
STALE_AFTER = timedelta(minutes=5)


def export_is_background(request: ExportRequest) -> bool:
    return (
        request.kind in (ExportRequest.Kind.CSV, ExportRequest.Kind.XLSX)
        and request.count > settings.EXPORT_IMMEDIATE_MAX
    )


def export_file_queue(request: ExportRequest) -> None:
    """Queue the file of an approved export (in the approval's transaction)."""
    ExportRequest.objects.filter(pk=request.pk).update(
        file_state=FileState.QUEUED,
        file_token=secrets.token_hex(16),
        file_key=wrap_data_key(new_data_key()),
        file_done=0,
        file_total=request.count,
        file_heartbeat_at=timezone.now(),
    )
    request.refresh_from_db()
    pk = request.pk
    transaction.on_commit(lambda: export_file_task(pk))


# --- sealed frames ------------------------------------------------------------------------


def _path(request: ExportRequest, part: str) -> Path:
    directory = Path(settings.EXPORT_FILES_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory / f"{request.file_token}.{part}"


def _context(request: ExportRequest, part: str, number: int, last: bool) -> bytes:
    return f"amparo.export:{request.pk}:{part}:{number}:{'last' if last else 'more'}".encode()


def _write_frame(out: object, key: bytes, context: bytes, data: bytes) -> None:
    sealed = seal(key, data, context)
    out.write(_LENGTH.pack(len(sealed)) + sealed)  # type: ignore[attr-defined]


def _read_frames(request: ExportRequest, part: str, key: bytes) -> Iterator[bytes]:
    with _path(request, part).open("rb") as f:
        number, head = 0, f.read(_LENGTH.size)
        while len(head) == _LENGTH.size:
            sealed = f.read(_LENGTH.unpack(head)[0])
            head = f.read(_LENGTH.size)
            yield open_sealed(key, sealed, _context(request, part, number, not head))
            number += 1
        if head or not number:
            raise DecryptionError("export file cut short")


def _delete(request: ExportRequest) -> None:
    for part in ("rows", "sealed"):
        _path(request, part).unlink(missing_ok=True)


# --- the task -----------------------------------------------------------------------------


def export_file_work(request_id: int) -> None:
    """Make the sealed file of a queued export (or start an interrupted one again)."""
    now = timezone.now()
    # One run at a time: a queued export, or a running one whose worker stopped; each run
    # writes files of its own name, so a run overtaken by another one deletes only its own.
    token = secrets.token_hex(16)
    claimed = (
        ExportRequest.objects.filter(pk=request_id, status=ExportRequest.Status.APPROVED)
        .filter(
            Q(file_state=FileState.QUEUED)
            | Q(file_state=FileState.RUNNING, file_heartbeat_at__lt=now - STALE_AFTER)
        )
        .update(file_state=FileState.RUNNING, file_done=0, file_heartbeat_at=now, file_token=token)
    )
    if claimed != 1:
        return  # being made, downloaded, expired, or gone
    request = ExportRequest.objects.select_related("network").get(pk=request_id)
    request.file_token = token  # the updates below match only while this run holds it
    try:
        _make(request)
    except Exception as exc:
        # Never the exception's text: it could quote a value.
        logger.error("export %s stopped (%s)", request.pk, type(exc).__name__)
        _delete(request)
        ExportRequest.objects.filter(
            pk=request.pk, file_state=FileState.RUNNING, file_token=request.file_token
        ).update(file_state=FileState.FAILED, file_key=None)


def _make(request: ExportRequest) -> None:
    from .export_requests import export_request_filter

    key = unwrap_data_key(bytes(request.file_key or b""))
    ids = export_ids(network=request.network, people_filter=export_request_filter(request))
    ExportRequest.objects.filter(pk=request.pk).update(file_total=len(ids))
    chunks = 0
    with _path(request, "rows").open("wb") as out:
        for start in range(0, max(len(ids), 1), EXPORT_CHUNK):
            rows = export_rows_for(network=request.network, ids=ids[start : start + EXPORT_CHUNK])
            data = json.dumps(rows, ensure_ascii=False).encode()
            last = start + EXPORT_CHUNK >= len(ids)
            _write_frame(out, key, _context(request, "rows", chunks, last), data)
            chunks += 1
            out.flush()
            moving = ExportRequest.objects.filter(
                pk=request.pk, file_state=FileState.RUNNING, file_token=request.file_token
            )
            if not moving.update(file_done=start + len(rows), file_heartbeat_at=timezone.now()):
                _delete(request)  # downloaded or expired meanwhile
                return
    rows = [row for frame in _read_frames(request, "rows", key) for row in json.loads(frame)]
    content = export_content(rows, request.kind)
    with _path(request, "sealed").open("wb") as out:
        for number, start in enumerate(range(0, max(len(content), 1), FRAME_BYTES)):
            part, last = content[start : start + FRAME_BYTES], start + FRAME_BYTES >= len(content)
            _write_frame(out, key, _context(request, "sealed", number, last), part)
    _path(request, "rows").unlink(missing_ok=True)
    ready = ExportRequest.objects.filter(
        pk=request.pk, file_state=FileState.RUNNING, file_token=request.file_token
    ).update(file_state=FileState.READY, file_done=len(rows), file_total=len(rows), rows=len(rows))
    if not ready:
        _delete(request)


@db_task()
def export_file_task(request_id: int) -> None:
    """Huey: make an approved export's sealed file (ids only, never a row)."""
    export_file_work(request_id)


# --- the download and the sweep -----------------------------------------------------------


def export_file_take(request: ExportRequest) -> bytes:
    """The file's bytes, for the one download (already claimed): the file is deleted
    and its key forgotten before they are returned."""
    try:
        key = unwrap_data_key(bytes(request.file_key or b""))
        return b"".join(_read_frames(request, "sealed", key))
    finally:
        _delete(request)
        ExportRequest.objects.filter(pk=request.pk).update(
            file_state=FileState.DELETED, file_key=None
        )


def export_files_sweep() -> int:
    """For the sweeper: delete the files of approvals that expired, start again the
    exports whose worker stopped, and delete any file no request waits for (left by
    a crash; untouched for STALE_AFTER, so never one being written). The number
    of files deleted or exports started again."""
    now = timezone.now()
    done = 0
    expired = ExportRequest.objects.filter(
        file_state__in=[*ExportRequest.ACTIVE_FILE, FileState.READY], expires_at__lte=now
    )
    for request in expired:
        _delete(request)
        done += ExportRequest.objects.filter(pk=request.pk).update(
            file_state=FileState.DELETED, file_key=None
        )
    stale = ExportRequest.objects.filter(
        file_state__in=ExportRequest.ACTIVE_FILE,
        status=ExportRequest.Status.APPROVED,
        file_heartbeat_at__lt=now - STALE_AFTER,
    ).values_list("pk", flat=True)
    for pk in list(stale):
        ExportRequest.objects.filter(pk=pk).update(
            file_state=FileState.QUEUED, file_heartbeat_at=now
        )
        export_file_task(pk)
        done += 1
    directory = Path(settings.EXPORT_FILES_DIR)
    if directory.is_dir():
        waiting = set(
            ExportRequest.objects.filter(
                file_state__in=[*ExportRequest.ACTIVE_FILE, FileState.READY]
            ).values_list("file_token", flat=True)
        )
        quiet = (now - STALE_AFTER).timestamp()  # never a file being written right now
        for path in directory.iterdir():
            if path.name.split(".", 1)[0] not in waiting and path.stat().st_mtime < quiet:
                path.unlink(missing_ok=True)
                done += 1
    return done
