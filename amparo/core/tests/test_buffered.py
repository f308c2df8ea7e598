"""amparo.core.buffered on its own (no server): the limits, what the WSGI application
sees, and that a body never touches the disk. The real server is
test_slow_clients.py."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Iterator, MutableMapping
from typing import Any

from amparo.core.buffered import RESERVED, SMALL_BODY, BufferedWSGI
from amparo.lib.uploads import BUDGET


def _app(seen: list[dict[str, Any]]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        seen.append({**environ, "body": environ["wsgi.input"].read()})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one ", b"two"])

    return app


def _call(
    app: BufferedWSGI,
    chunks: list[bytes],
    headers: list[tuple[bytes, bytes]],
    *,
    stalls: bool = False,
    client: str = "203.0.113.9",
    then: dict[str, Any] | None = None,
    client_gone: bool = False,
    pace: float = 0.0,
) -> Any:
    """Run one request; its body comes in ``chunks`` (then the client stalls: waits)."""
    sent: list[MutableMapping[str, Any]] = []

    async def run() -> None:
        messages = [
            {"type": "http.request", "body": c, "more_body": stalls or i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        if then is not None:
            messages.append(then)

        async def receive() -> dict[str, Any]:
            if messages:
                await asyncio.sleep(pace)
                return messages.pop(0)
            await asyncio.sleep(3600)  # a stalled client
            raise AssertionError

        async def send(message: MutableMapping[str, Any]) -> None:
            if client_gone:
                raise OSError("the client went away")
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/report/red/",
            "query_string": b"a=1",
            "headers": headers,
            "client": (client, 5000),
            "server": ("127.0.0.1", 8000),
            "scheme": "http",
            "http_version": "1.1",
        }
        await app(scope, receive, send)

    try:
        asyncio.run(run())
    except OSError:
        return None, b""
    if not sent:
        return None, b""
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, body


def test_the_application_sees_the_whole_body_and_clean_headers(settings):
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    status, body = _call(
        app,
        [b"what=", b"raid"],
        [
            (b"content-length", b"9"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x_forwarded_for", b"6.6.6.6"),  # must not pass for X-Forwarded-For
        ],
    )
    assert (status, body) == (200, b"one two")
    (environ,) = seen
    assert environ["body"] == b"what=raid"
    assert environ["CONTENT_LENGTH"] == "9"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_FORWARDED_FOR" not in environ
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/report/red/", "a=1")
    assert environ["REMOTE_ADDR"] == "203.0.113.9"
    assert BUDGET.used == 0 and app.arriving == {}


def test_a_body_without_content_length_or_chunked_is_read_whole(settings):
    """Review of issue 15: an HTTP/2 body has neither Content-Length nor chunked
    transfer encoding; it reached the application empty."""
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    status, _ = _call(app, [b"what=", b"raid"], [(b"content-type", b"text/plain")])
    assert status == 200 and seen[0]["body"] == b"what=raid"
    assert seen[0]["CONTENT_LENGTH"] == "9"
    # still under the size limit and the deadline
    settings.WEB_BODY_MAX_BYTES = 100
    assert _call(app, [b"x" * 60, b"x" * 60], [])[0] == 413
    settings.WEB_BODY_TIMEOUT = 0.2
    assert _call(app, [b"x"], [], stalls=True)[0] == 408
    assert BUDGET.used == 0 and app.arriving == {}


def test_granian_speaks_http1_only():
    """HTTP/2 (prior knowledge) would bypass the header timeout of slow connections."""
    from amparo.core.management.commands._processes import granian_command

    command = granian_command("127.0.0.1", 8141, 1)
    assert command[command.index("--http") + 1] == "1"


class _Streamed:
    """A streamed response (as a FileResponse is), which must always be closed."""

    streaming = True

    def __init__(self) -> None:
        self.closed = False
        self.block_size = 4096
        self.sizes: list[int] = []

    def __iter__(self) -> Iterator[bytes]:
        self.sizes.append(self.block_size)
        yield b"part"

    def close(self) -> None:
        self.closed = True


def test_a_streamed_response_is_closed_when_the_client_is_gone():
    """Review of issue 15: the response was started outside the try, so a client gone
    before it skipped close() (no request_finished, the static file left open)."""
    made: list[_Streamed] = []

    def app(environ: dict[str, Any], start_response: Any) -> _Streamed:
        start_response("200 OK", [("Content-Type", "image/png")])
        made.append(_Streamed())
        return made[-1]

    assert _call(BufferedWSGI(app), [b""], [], client_gone=True)[0] is None
    assert made[0].closed
    # when the client stays: all of it arrives, in large blocks, and it is closed too
    assert _call(BufferedWSGI(app), [b""], []) == (200, b"part")
    assert made[1].closed and made[1].sizes[0] >= 256 * 1024


def test_a_failing_application_gets_500_and_gives_its_memory_back():
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("broken")

    front = BufferedWSGI(app)
    size = SMALL_BODY + 10
    status, _ = _call(front, [b"x" * size], [(b"content-length", str(size).encode())])
    assert status == 500 and BUDGET.used == 0 and front.arriving == {}


def test_a_client_gone_mid_body_gives_its_memory_and_its_place_back():
    seen: list[dict[str, Any]] = []
    front = BufferedWSGI(_app(seen))
    size = SMALL_BODY + 10
    status, _ = _call(
        front,
        [b"x" * size],
        [(b"content-length", str(size * 2).encode())],
        stalls=True,
        then={"type": "http.disconnect"},
    )
    assert status is None and not seen
    assert BUDGET.used == 0 and front.arriving == {}


def test_a_stalled_body_gets_408_at_its_deadline(settings):
    settings.WEB_BODY_TIMEOUT = 0.2
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    status, body = _call(app, [b"what=", b"ra"], [(b"content-length", b"19")], stalls=True)
    assert status == 408 and b"too long" in body
    assert not seen and BUDGET.used == 0 and app.arriving == {}


def test_a_slow_body_arrives_while_bytes_keep_coming_but_a_trickle_does_not(settings, monkeypatch):
    """Review of issue 15: one deadline for the whole body refused a 5 MB photo from a
    phone slower than 700 kbit/s. Now: silence, or a rate below the minimum."""
    import amparo.core.buffered as buffered

    settings.WEB_BODY_TIMEOUT = 0.2  # silence allowed between two parts
    monkeypatch.setattr(buffered, "BODY_GRACE", 0.3)
    monkeypatch.setattr(buffered, "BODY_MIN_RATE", 1000)
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    steady = [b"x" * 200] * 8  # 0.8 s in all, far past the silence allowed
    assert _call(app, steady, [], pace=0.1)[0] == 200 and seen[0]["body"] == b"x" * 1600
    # a part every 0.1 s is never silent, but 10 bytes a part is 100 bytes a second
    status, body = _call(app, [b"x" * 10] * 20, [], pace=0.1)
    assert status == 408 and len(seen) == 1
    assert BUDGET.used == 0 and app.arriving == {}


def test_a_refusal_is_a_page_that_says_to_go_back_where_html_is_accepted(settings):
    settings.WEB_BODY_TIMEOUT = 0.2
    app = BufferedWSGI(_app([]))
    browser = [(b"accept", b"text/html,*/*"), (b"accept-language", b"es")]
    status, body = _call(app, [b"x"], [(b"content-length", b"9"), *browser], stalls=True)
    page = body.decode()
    assert status == 408 and page.startswith("<!doctype html>") and 'lang="es"' in page
    assert "Vuelva atrás" in page
    # a webhook, a script: plain text
    status, body = _call(app, [b"x"], [(b"content-length", b"9")], stalls=True)
    assert (
        status == 408 and body == b"The upload took too long and was stopped. Please try again.\n"
    )


def test_limits_size_memory_and_per_client(settings):
    settings.WEB_BODY_TIMEOUT = 0.2
    settings.WEB_BODY_MAX_BYTES = 100
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    # declared too large: refused (read and dropped first)
    status, _ = _call(app, [b"x" * 50], [(b"content-length", b"101")])
    assert status == 413
    # larger than declared (chunked): refused as it passes the limit
    status, _ = _call(app, [b"x" * 60, b"x" * 60], [(b"transfer-encoding", b"chunked")])
    assert status == 413
    # the one upload memory budget (photo decoding shares it): past it, a large body
    # is refused…
    settings.WEB_BODY_MAX_BYTES = 200_000
    settings.UPLOAD_MEMORY_BUDGET = 100_000
    assert BUDGET.take(100_000)
    large = SMALL_BODY + 10
    status, _ = _call(app, [b"x" * large], [(b"content-length", str(large).encode())])
    assert status == 503
    # …while a form's small body still gets in
    status, _ = _call(app, [b"x" * 60], [(b"content-length", b"60")])
    assert status == 200 and seen.pop()["body"] == b"x" * 60
    BUDGET.give(100_000)
    assert BUDGET.used == 0
    # the application sees what its body holds of the budget, given back afterwards
    status, _ = _call(app, [b"x" * large], [(b"content-length", str(large).encode())])
    assert status == 200 and seen.pop()[RESERVED] == large and BUDGET.used == 0
    # one client with its large bodies arriving already: the next large one waits its
    # turn, a small one (a form, behind a carrier's shared address) never does
    app.arriving["203.0.113.9"] = settings.WEB_BODIES_PER_CLIENT
    big = [(b"content-length", str(large).encode()), (b"accept-language", b"es")]
    status, body = _call(app, [b"x" * large], big)
    assert status == 429 and "conexión".encode() in body  # in the client's language
    assert not seen and BUDGET.used == 0
    status, _ = _call(app, [b"x" * 60], [(b"content-length", b"60")])
    assert status == 200 and seen.pop()["body"] == b"x" * 60
    del app.arriving["203.0.113.9"]
    status, _ = _call(app, [b"x" * large], big)
    assert status == 200 and seen.pop()["body"] == b"x" * large
    assert BUDGET.used == 0 and app.arriving == {}


def test_the_per_client_limit_counts_an_ipv6_network_and_the_proxys_header(settings):
    seen: list[dict[str, Any]] = []
    app = BufferedWSGI(_app(seen))
    app.arriving["2001:db8:1:2::/64"] = settings.WEB_BODIES_PER_CLIENT
    size = SMALL_BODY + 1
    one = [(b"content-length", str(size).encode())]
    body = [b"x" * size]
    assert _call(app, body, one, client="2001:db8:1:2::99")[0] == 429  # same /64
    assert _call(app, body, one, client="2001:db8:1:3::99")[0] == 200  # another
    # behind a proxy: the last address of its header, never the proxy's own
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    app.arriving["198.51.100.7"] = settings.WEB_BODIES_PER_CLIENT
    forwarded = [*one, (b"x-forwarded-for", b"10.0.0.1, 198.51.100.7")]
    assert _call(app, body, forwarded, client="127.0.0.1")[0] == 429
    assert _call(app, body, one, client="127.0.0.1")[0] == 200


def test_the_proxys_header_counts_only_from_a_trusted_proxy(settings, rf):
    """Review of issue 15: any client could name itself in the header (and spread its
    uploads over made-up addresses). The front and the rate limits use one rule."""
    from amparo.core.buffered import _client
    from amparo.lib.addresses import client_address

    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    header = {"x-forwarded-for": "198.51.100.7"}
    for peer, expected in (("127.0.0.1", "198.51.100.7"), ("203.0.113.5", "203.0.113.5")):
        assert _client({"client": (peer, 1)}, header) == expected
        request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert client_address(request=request) == expected
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _client({"client": ("10.1.2.3", 1)}, header) == "198.51.100.7"
    assert _client({"client": ("127.0.0.1", 1)}, header) == "127.0.0.1"
    # a header that is not a request header (REMOTE_USER…) is never read, by either
    settings.CLIENT_ADDRESS_HEADER = "REMOTE_USER"
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", REMOTE_USER="198.51.100.7")
    assert client_address(request=request) == "10.1.2.3"


def test_a_body_above_the_upload_memory_size_is_never_a_file(settings, monkeypatch):
    """Django's own ASGI handler spools a body above FILE_UPLOAD_MAX_MEMORY_SIZE to a
    temporary file (with a photo's EXIF and GPS in it); the front never does. The spy
    is shown to catch Django's handler first, so it can catch the front."""
    from django.core.handlers.asgi import ASGIHandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    rolled: list[Any] = []
    real = tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spooled = real(*args, **kwargs)
        rolled.append(spooled)
        return spooled

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", spy)

    async def django_reads() -> None:
        parts = [{"type": "http.request", "body": b"y" * 4000, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return parts.pop(0)

        (await ASGIHandler().read_body(receive)).close()

    asyncio.run(django_reads())
    assert len(rolled) == 1 and rolled[0]._rolled  # Django's: on disk
    seen: list[dict[str, Any]] = []
    status, _ = _call(BufferedWSGI(_app(seen)), [b"y" * 4000], [(b"content-length", b"4000")])
    assert status == 200 and seen[0]["body"] == b"y" * 4000
    assert type(seen[0]["wsgi.input"]) is io.BytesIO
    assert len(rolled) == 1  # the front made no temporary file at all


def test_django_serves_through_it():
    """The project's own application, as granian serves it, answers."""
    from amparo.asgi import application

    status, body = _get_healthz(application)
    assert status == 200 and b'"ok": true' in body


def _get_healthz(app: BufferedWSGI) -> tuple[int, bytes]:
    sent: list[MutableMapping[str, Any]] = []

    async def run() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/healthz",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        await app(scope, receive, send)

    asyncio.run(run())
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_gil_switch_of_0_leaves_python_s_own_and_a_bad_one_is_explained(settings):
    import os
    import subprocess
    import sys

    before = sys.getswitchinterval()
    try:
        settings.WEB_GIL_SWITCH_MS = 0
        BufferedWSGI(_app([]))  # raised ValueError: switch interval must be positive
        assert sys.getswitchinterval() == before
        settings.WEB_GIL_SWITCH_MS = 2
        BufferedWSGI(_app([]))
        assert abs(sys.getswitchinterval() - 0.002) < 1e-9
    finally:
        sys.setswitchinterval(before)
    read = "import amparo.settings as s; print(s.WEB_GIL_SWITCH_MS)"
    for given, outcome in [("0", "0.0"), ("", "0.5"), ("-1", "up to 1000"), ("abc", "'abc'")]:
        done = subprocess.run(
            [sys.executable, "-c", read],
            env={**os.environ, "AMPARO_WEB_GIL_SWITCH_MS": given},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert outcome in (done.stdout if done.returncode == 0 else done.stderr), given
