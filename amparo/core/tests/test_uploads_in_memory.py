"""Nothing a person uploads is written to disk unsealed (amparo/lib/uploads.py).

Django used to spool any upload past 2 MiB to a temporary file, in clear: a report photo
with its GPS position sat in /tmp while the client stalled and after a ``kill -9``. Here
a stalled 4 MB upload is watched, on the real server (granian on loopback) and fed
to Django's handler a part at a time; the memory all uploads may hold at once is
bounded (by the buffering front: test_buffered.py), and an upload refused by its size
is said plainly while what the person typed is kept.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from amparo.conftest import client_for
from amparo.lib.uploads import BUDGET
from amparo.people import antiabuse
from amparo.people.models import ImportBatch
from amparo.reports.models import Report
from bench._server import free_port, start_server, wait_ready

BOUNDARY = "amparo-stalled-upload"
SECRET = "Zq3" + "x" * 29  # a CSRF cookie the client makes up (32 letters), as a browser's
MARK = b"GPS 42.2043 -72.6162 "  # what a photo's EXIF would carry
FOUR_MB = 4 * 1024 * 1024


def multipart(size: int) -> bytes:
    """A form post: the CSRF token, then a ``size``-byte photo, then a typed field."""
    photo = (MARK * (size // len(MARK) + 1))[:size]
    crlf = b"\r\n"
    parts = [
        f"--{BOUNDARY}",
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"',
        "",
        SECRET,
        f"--{BOUNDARY}",
        'Content-Disposition: form-data; name="photo"; filename="raid.jpg"',
        "Content-Type: image/jpeg",
        "",
    ]
    tail = [f"--{BOUNDARY}", 'Content-Disposition: form-data; name="note"', "", "typed", ""]
    return (
        crlf.join(p.encode() for p in parts)
        + crlf
        + photo
        + crlf
        + crlf.join(p.encode() for p in tail)[:-2]
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def files_in(directory: Path) -> set[str]:
    return {str(p) for p in directory.rglob("*")}


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def test_a_stalled_4mb_upload_writes_nothing_to_the_temp_dir_of_the_real_server(
    tmp_path: Path,
) -> None:
    watched = tmp_path / "tmp"
    watched.mkdir()
    port = free_port()
    server = start_server(
        port,
        workers=1,
        threads=2,
        log_path=tmp_path / "server.log",
        env_extra={"TMPDIR": str(watched), "AMPARO_DATA_DIR": str(tmp_path / "data")},
    )
    stalled = None
    try:
        wait_ready(port, server)
        before = files_in(watched)
        body = multipart(FOUR_MB)
        head = (
            f"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: csrftoken={SECRET}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        stalled = socket.create_connection(("127.0.0.1", port), timeout=10)
        stalled.sendall(head + body[:-10])  # 10 bytes short, then nothing more
        deadline = time.monotonic() + 1.5
        appeared: set[str] = set()
        while time.monotonic() < deadline and not appeared:
            appeared = files_in(watched) - before
            time.sleep(0.05)
        assert not appeared, f"written to disk during a stalled upload: {appeared}"
        # the web worker killed mid-upload leaves nothing behind either
        for worker in children(server.pid):
            os.kill(worker, signal.SIGKILL)
        time.sleep(0.2)
        assert files_in(watched) == before
    finally:
        if stalled is not None:
            stalled.close()
        server.terminate()
        try:
            server.wait(10)
        except Exception:
            server.kill()
            server.wait(5)


class StallingInput:
    """A request body that arrives up to ``stall_at`` bytes, then waits to be let go."""

    def __init__(self, body: bytes, stall_at: int) -> None:
        self.body, self.stall_at, self.read_so_far = body, stall_at, 0
        self.stalled = threading.Event()
        self.go_on = threading.Event()

    def read(self, size: int = -1) -> bytes:
        if self.read_so_far >= self.stall_at and self.read_so_far < len(self.body):
            self.stalled.set()
            assert self.go_on.wait(10)
        end = len(self.body) if size is None or size < 0 else self.read_so_far + size
        if self.read_so_far < self.stall_at:
            end = min(end, self.stall_at)
        chunk = self.body[self.read_so_far : end]
        self.read_so_far += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:  # pragma: no cover - not used by Django
        return self.read(size)


@pytest.fixture
def stalled_upload(tmp_path: Path, settings: Any) -> Iterator[StallingInput]:
    """A 4 MB upload to a page, through Django's whole handler in a thread, stalled 10
    bytes short of its end until the test lets it go."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    body = multipart(FOUR_MB)
    stream = StallingInput(body, len(body) - 10)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": f"csrftoken={SECRET}",
    }
    answered: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        answered.append(status)
        return lambda data: None

    def run() -> None:
        response = WSGIHandler()(environ, start_response)
        b"".join(response)
        response.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert stream.stalled.wait(10), "the handler never read the body"
        yield stream
    finally:
        stream.go_on.set()
        thread.join(10)
    assert answered == ["200 OK"]  # the upload, once complete, was served


def test_a_stalled_upload_fed_to_django_is_held_in_memory_only(
    stalled_upload: StallingInput, tmp_path: Path
) -> None:
    # Django has read all but the last 10 bytes of the 4 MB body, and is waiting
    assert stalled_upload.read_so_far >= FOUR_MB
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def _cheap_pow(settings: Any) -> None:
    settings.SIGNUP_POW_BITS = 4
    settings.SIGNUP_NOJS_MIN_AGE = 0


def report_post(client: Client, network: Any, fields: dict[str, Any], photo: bytes) -> Any:
    """The public report form, posted with the photo first (what comes after it must
    still be read when the photo is refused)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("report_form", kwargs={"network": network.slug})
    page = client.get(url).content.decode()
    challenge = page.split('name="pow_challenge" value="', 1)[1].split('"', 1)[0]
    data = {
        "photo": SimpleUploadedFile("raid.jpg", photo, content_type="image/jpeg"),
        "pow_challenge": challenge,
        "pow_nonce": antiabuse.pow_solve(challenge=challenge, bits=4),
        "time": "now",
        **fields,
    }
    return client.post(url, data)


@pytest.mark.django_db
@pytest.mark.usefixtures("_cheap_pow")
def test_past_the_cap_a_file_is_refused_and_what_was_typed_is_shown_back(
    settings: Any, network_a: Any, coordinator_a: Any, tmp_path: Path
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.UPLOAD_MAX_BYTES = 256 * 1024
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    # no place given: the form comes back, with the words typed after the refused photo
    response = report_post(
        client, network_a, {"activity": "dos camionetas blancas"}, b"\xff" * 300_000
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "dos camionetas blancas" in page
    assert not Report.objects.exists()

    from django.core.files.uploadedfile import SimpleUploadedFile

    coordinator = client_for(coordinator_a, language="es")
    sheet = b"Nombre\n" + b"Rosa Ramirez\n" * 30_000  # 390 KB
    response = coordinator.post(
        reverse("people:import"), {"file": SimpleUploadedFile("p.csv", sheet)}
    )
    assert response.status_code == 400
    assert "Este archivo pesa más de" in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert list(tmp_path.iterdir()) == [] and BUDGET.used == 0


def test_the_cap_in_memory_covers_every_form_and_asgi_keeps_it_in_memory(settings: Any) -> None:
    """Every form's own limit fits under the handler's cap (else a file it accepts would
    be refused as too large), and Django's ASGI handler, which spools a body past
    FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, would keep such a body in memory."""
    from amparo.people.importing import MAX_UPLOAD_BYTES
    from amparo.reports.photos import MAX_BYTES

    assert settings.FILE_UPLOAD_HANDLERS == ["amparo.lib.uploads.MemoryOnlyUploadHandler"]
    assert max(MAX_UPLOAD_BYTES, MAX_BYTES) <= settings.UPLOAD_MAX_BYTES
    largest_body = settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert largest_body <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE
