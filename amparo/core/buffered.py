"""The ASGI application granian serves: a request body is read on the event loop, into
memory, with a deadline and limits; only a complete request takes one of the
``WEB_THREADS`` threads, where Django's WSGI handler serves it (README, "Slow clients").

A client that sends slowly or stops holds no thread: silent for ``WEB_BODY_TIMEOUT``
seconds, or below ``BODY_MIN_RATE`` after ``BODY_GRACE``, it gets 408 (a short page in
its language saying to go back: the browser keeps the form). The limits:

- a body over ``WEB_BODY_MAX_BYTES`` gets 413 (read and dropped up to ``DRAIN_LIMIT``
  first, so the browser shows the answer);
- bodies are charged to the upload memory budget (``amparo.lib.uploads.BUDGET``) as
  they arrive and given back when the response is done; past it a large body gets 503,
  never the first ``SMALL_BODY`` bytes (a form or a webhook always gets in). The
  application finds the bytes reserved for its body in ``environ[RESERVED]``;
- one client (by ``lib.addresses``) has at most ``WEB_BODIES_PER_CLIENT`` bodies over
  ``SMALL_BODY`` being read at once (429).

Nothing is written to disk (a ``BytesIO``: Django's ASGI handler would spool to a
temporary file); the response is sent from the event loop too."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from amparo.lib.addresses import address_of
from amparo.lib.uploads import BUDGET

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
WSGIApp = Callable[..., Iterable[bytes]]

#: a refused body up to this size is read (and dropped) so the browser sees the answer
DRAIN_LIMIT = 64 * 1024 * 1024
#: a body this small (a report, a webhook, a login) is never refused for memory, so
#: large uploads held by an attacker cannot shut the forms out
SMALL_BODY = 64 * 1024
#: a body may take as long as it needs while bytes keep coming (at most
#: ``WEB_BODY_TIMEOUT`` seconds apart); after this many seconds it must also have come
#: at this average rate (bytes a second), or it gets 408: 4 KB/s is slower than a 2G
#: phone, and keeps one trickling client from holding its memory for hours
BODY_GRACE = 60.0
BODY_MIN_RATE = 4 * 1024
#: a streamed file (a static file, a download) is sent in blocks this large
FILE_BLOCK = 256 * 1024
#: the environ key with the bytes of upload memory reserved for this request's body
RESERVED = "amparo.body_reserved"
_END = object()


class BodyRefused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _messages() -> dict[int, str]:
    return {
        408: _("The upload took too long and was stopped. Please try again."),
        413: _("This upload is larger than Amparo accepts."),
        429: _("Too many uploads are arriving from your connection at once. Please wait."),
        503: _("The server is busy with other uploads. Please try again in a minute."),
    }


class BufferedWSGI:
    """Wrap a WSGI application (Django's) as an ASGI one; see the module's docstring."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        # A thread that gave up the GIL for a database call waits for another thread's
        # time slice to end before it runs on: a writer holding SQLite's write lock
        # waits once per statement, so the slice is shorter than Python's 5 ms
        if settings.WEB_GIL_SWITCH_MS > 0:  # 0: Python's own
            sys.setswitchinterval(settings.WEB_GIL_SWITCH_MS / 1000)
        self.executor = ThreadPoolExecutor(
            max_workers=settings.WEB_THREADS, thread_name_prefix="amparo-request"
        )
        self.arriving: dict[str, int] = {}  # client -> bodies still arriving

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        try:
            body = await self._body(scope, headers, receive)
        except BodyRefused as refused:
            await _refuse(send, refused.status, headers)
            return
        except _Disconnected:
            return
        size = len(body.getbuffer())
        try:
            environ = _environ(scope, headers, body, size)
            environ[RESERVED] = size
            await self._respond(environ, send)
        finally:
            BUDGET.give(size)

    async def _body(self, scope: Scope, headers: dict[str, str], receive: Receive) -> io.BytesIO:
        """The whole body, or BodyRefused; its size is charged to ``BUDGET`` once returned.

        Read until the client says it is complete (an HTTP/2 body may have neither length nor
        chunking). Only a body past ``SMALL_BODY`` counts toward ``WEB_BODIES_PER_CLIENT``."""
        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            raise BodyRefused(400) from None
        loop = asyncio.get_running_loop()
        limit = settings.WEB_BODY_MAX_BYTES
        if declared > limit:
            await self._drain(
                receive, loop.time() + settings.WEB_BODY_TIMEOUT, min(declared, DRAIN_LIMIT)
            )
            raise BodyRefused(413)
        client = _client(scope, headers)
        counted = False
        buffer = io.BytesIO()
        began = loop.time()
        try:
            while True:
                # No byte for WEB_BODY_TIMEOUT seconds, or (after BODY_GRACE) slower on
                # average than BODY_MIN_RATE: a slow phone's 5 MB photo still arrives.
                by_rate = began + max(BODY_GRACE, buffer.tell() / BODY_MIN_RATE)
                idle = loop.time() + settings.WEB_BODY_TIMEOUT
                try:
                    async with asyncio.timeout_at(min(idle, by_rate)):
                        message = await receive()
                except TimeoutError:
                    raise BodyRefused(408) from None
                if message["type"] == "http.disconnect":
                    raise _Disconnected
                chunk = message.get("body", b"")
                size = buffer.tell() + len(chunk)
                if size > limit:
                    raise BodyRefused(413)
                if size > SMALL_BODY and not counted:
                    if self.arriving.get(client, 0) >= settings.WEB_BODIES_PER_CLIENT:
                        raise BodyRefused(429)
                    self.arriving[client] = self.arriving.get(client, 0) + 1
                    counted = True
                if not BUDGET.take(len(chunk), always=size <= SMALL_BODY):
                    raise BodyRefused(503)
                buffer.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            BUDGET.give(buffer.tell())
            raise
        finally:
            if counted:
                self.arriving[client] -= 1
                if not self.arriving[client]:
                    del self.arriving[client]
        buffer.seek(0)
        return buffer

    async def _drain(self, receive: Receive, deadline: float, most: int) -> None:
        read = 0
        try:
            async with asyncio.timeout_at(deadline):
                while read < most:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Disconnected
                    read += len(message.get("body", b""))
                    if not message.get("more_body", False):
                        return
        except TimeoutError:
            return

    async def _respond(self, environ: dict[str, Any], send: Send) -> None:
        loop = asyncio.get_running_loop()
        start: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            start["status"] = int(status.split(" ", 1)[0])
            start["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]
            return lambda data: start.setdefault("written", []).append(data)

        def call() -> tuple[Any, bytes | None]:
            """Run the view; a whole response is read (and closed) here, a streamed one
            iterated here too, never on the event loop (an async iterator calls async_to_sync)."""
            result = self.app(environ, start_response)
            if getattr(result, "streaming", False):
                if getattr(result, "block_size", None) is not None:
                    result.block_size = max(result.block_size, FILE_BLOCK)  # type: ignore[attr-defined]
                return result, None
            try:
                return result, b"".join(chunk for chunk in result if chunk)
            finally:
                _close(result)

        try:
            result, whole = await loop.run_in_executor(self.executor, call)
        except Exception:
            log.exception("the application failed outside Django's own error handling")
            await _refuse(send, 500, {})
            return
        written = b"".join(start.pop("written", []))
        response_start = {
            "type": "http.response.start",
            "status": start["status"],
            "headers": start["headers"],
        }
        if whole is not None:
            await send(response_start)
            await send({"type": "http.response.body", "body": written + whole})
            return
        try:
            iterator = await loop.run_in_executor(self.executor, iter, result)
            await send(response_start)
            if written:
                await send({"type": "http.response.body", "body": written, "more_body": True})
            while True:
                chunk = await loop.run_in_executor(self.executor, next, iterator, _END)
                if chunk is _END:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            # Always closed (Django's request_finished, an open static file), even when
            # the client is gone and this task is being cancelled.
            await asyncio.shield(loop.run_in_executor(self.executor, _close, result))


class _Disconnected(Exception):
    pass


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()  # Django's request_finished: database connections are tidied here


def _headers(scope: Scope) -> dict[str, str]:
    """Header names (lower case) to values; repeated headers joined as WSGI does."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in out:
            out[name] += ("; " if name == "cookie" else ",") + value
        else:
            out[name] = value
    return out


def _client(scope: Scope, headers: dict[str, str]) -> str:
    """The address the per-client limit counts, by the rate limits' own rule
    (``lib.addresses.address_of``: the proxy's header only from a trusted proxy)."""
    client = scope.get("client") or ("", 0)
    return address_of(
        peer=str(client[0]), header=lambda name: headers.get(name[5:].lower().replace("_", "-"), "")
    )


def _environ(scope: Scope, headers: dict[str, str], body: io.BytesIO, size: int) -> dict[str, Any]:
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        if "_" in name:  # X_Forwarded_For must not pass for X-Forwarded-For
            continue
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = str(size)
        elif name != "transfer-encoding":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    if size and "CONTENT_LENGTH" not in environ:  # a chunked body, now whole
        environ["CONTENT_LENGTH"] = str(size)
    return environ


def _language(headers: dict[str, str]) -> str:
    from django.utils.translation.trans_real import (
        get_supported_language_variant,
        parse_accept_lang_header,
    )

    for code, _quality in parse_accept_lang_header(headers.get("accept-language", "")):
        try:
            return str(get_supported_language_variant(code))
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


async def _refuse(send: Send, status: int, headers: dict[str, str]) -> None:
    """A short answer in the client's language: a page where it takes HTML (saying to
    go back, where the browser still has the form as it was typed), else plain text."""
    language = _language(headers)
    with translation.override(language):
        text = _messages().get(status, _("This request could not be answered."))
        back = _("Go back: what you typed is still in the form. Then send it again.")
    if "text/html" in headers.get("accept", ""):
        body = (
            f'<!doctype html><html lang="{escape(language)}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(text)}</title><main><h1>{escape(text)}</h1>"
            f"<p>{escape(back)}</p></main></html>\n"
        ).encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = f"{text}\n".encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
                (b"content-security-policy", b"default-src 'none'"),
                *([(b"retry-after", b"60")] if status in (429, 503) else []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
