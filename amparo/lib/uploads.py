"""Uploads are held in memory, never written to disk (threat model: a seized or shared
server's ``/tmp``; Django would spool a large one there in clear, EXIF and GPS included).

The only upload handler keeps every file in memory, up to ``settings.UPLOAD_MAX_BYTES``
a request; a file past it is counted and dropped, and the form gets a
:class:`RefusedUpload` that says so (the other fields still parse, so what was typed is
shown back). One budget, :data:`BUDGET` (``UPLOAD_MEMORY_BUDGET``), bounds a web
process's uploads: ``amparo.core.buffered`` charges each body as it arrives and gives it
back after the response; a photo's decoding charges its pixels. The forms and views ask
:func:`upload_refusal` for the person's message."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

TOO_BIG = "too_big"
BUSY = "busy"


class MemoryBudget:
    """Bytes of upload memory a process may hold at once, shared by its threads."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.used = 0

    @property
    def limit(self) -> int:
        return int(settings.UPLOAD_MEMORY_BUDGET)

    def take(self, size: int, *, wait: float = 0.0, always: bool = False) -> bool:
        """Reserve ``size`` bytes (waiting up to ``wait`` seconds for them), or False.
        ``always``: counted even past the limit (a small body that is never refused)."""
        deadline = time.monotonic() + wait
        with self._cond:
            if always:
                self.used += size
                return True
            while self.used + size > self.limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._cond:
            self.used = max(0, self.used - size)
            self._cond.notify_all()

    @contextmanager
    def held(self, size: int, *, wait: float, refused: Callable[[], Exception]) -> Iterator[None]:
        """``size`` bytes for the length of the block, or ``refused()`` raised."""
        if not self.take(size, wait=wait):
            raise refused()
        try:
            yield
        finally:
            self.give(size)


BUDGET = MemoryBudget()


class RefusedUpload(UploadedFile):
    """A file that was not kept: its bytes were counted and dropped. ``size`` is how
    many arrived (more than the cap when it was too large); ``reason`` says why."""

    def __init__(self, *, name: str, content_type: str, size: int, reason: str) -> None:
        super().__init__(BytesIO(b""), name, content_type, size)
        self.reason = reason


def upload_refusal(upload: Any) -> str:
    """The person's message when ``upload`` was not kept, else ``""``."""
    if not isinstance(upload, RefusedUpload):
        return ""
    if upload.reason == BUSY:
        return _(
            "The file was not received: the server is busy receiving other files. "
            "Please try again in a minute."
        )
    return _("The file is larger than %(limit)s MB and was not accepted.") % {
        "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)
    }


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Every uploaded file in memory, up to the cap (module doc)."""

    chunk_size = 64 * 1024

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.cap = int(settings.UPLOAD_MAX_BYTES)
        self.stored = 0  # bytes kept for this request's files so far

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file: BytesIO | None = BytesIO()
        self.seen = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.seen += len(raw_data)
        if self.file is None:
            return None  # counted, dropped
        if self.stored + len(raw_data) > self.cap:
            self.stored -= self.file.tell()
            self.file = None  # past the cap: what was kept is let go
            return None
        self.file.write(raw_data)
        self.stored += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.file is None:
            return RefusedUpload(
                name=self.file_name or "",
                content_type=self.content_type or "",
                size=max(file_size, self.seen),
                reason=TOO_BIG,
            )
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
