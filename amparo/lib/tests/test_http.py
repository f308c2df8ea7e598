"""amparo/lib/http.py: the only way out, with timeouts, a size cap, no redirects by
default, and a block on private destinations for URLs a person supplied.

Real servers on loopback; no mocks. The block is tested on the address check itself,
on URLs (nothing is ever sent to the server behind a refused URL), on redirects (a
loopback server stands in for a public site through the tests-only ``_trusted``
parameter), and on the socket's actual peer (what a DNS answer changed between the
check and the connection would reach).
"""

from __future__ import annotations

import ast
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from amparo.lib import http

AMPARO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("requests", "urllib3", "httpx", "urllib.request", "http.client")


# --- nobody else goes out ----------------------------------------------------------------


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports (``from urllib import request`` counts as
    ``urllib.request``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def offending(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_no_module_but_lib_http_imports_an_http_client() -> None:
    checked, bad = 0, {}
    for path in AMPARO.rglob("*.py"):
        relative = path.relative_to(AMPARO).as_posix()
        if relative == "lib/http.py" or "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        checked += 1
        hits = offending(imported_modules(path.read_text(encoding="utf-8")))
        if hits:
            bad[relative] = hits
    assert checked > 100
    assert not bad, f"outbound HTTP must go through amparo/lib/http.py: {bad}"


def test_the_import_scan_would_catch_each_form() -> None:
    samples = {
        "import requests": ["requests"],
        "from requests import Session": ["requests", "requests.Session"],
        "import urllib.request": ["urllib.request"],
        "from urllib import request": ["urllib.request"],
        "from http import client": ["http.client"],
        "import http.client as hc": ["http.client"],
        "import httpx": ["httpx"],
        "from urllib3.util import Retry": ["urllib3.util", "urllib3.util.Retry"],
        "import importlib\nimportlib.import_module('requests')": ["requests"],
    }
    for source, expected in samples.items():
        assert offending(imported_modules(source)) == expected, source
    assert offending(imported_modules("from urllib.parse import urlsplit\nimport http")) == []


# --- the address check ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fe80::1%eth0",
        "ff02::1",
        "2001:db8::1",  # documentation
        "not an address",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert http.address_refused(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert http.address_refused(address) == ""


# --- loopback servers --------------------------------------------------------------------


@dataclass
class Seen:
    """One request a loopback server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Server:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.hits: list[str] = []
        self.seen: list[Seen] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.seen.append(Seen(self.command, self.path, headers, body))
                server.hits.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"no"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET
            do_PUT = do_GET

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def inner() -> Iterator[Server]:
    """A second loopback server at 127.0.0.2: the "private" target of a redirect."""
    s = Server("127.0.0.2")
    yield s
    s.close()


TRUST_LOOPBACK_ONE = ["127.0.0.1/32"]
#: both loopback servers stand in for two public sites (another host, not a private one)
TRUST_BOTH = ["127.0.0.1/32", "127.0.0.2/32"]


# --- user URLs: the block ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",  # a name that resolves to loopback
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",  # 127.0.0.1 written as one number
        "http://0x7f.1:{port}/",
    ],
)
def test_user_url_to_this_machine_is_refused_and_nothing_is_sent(server: Server, url: str) -> None:
    with pytest.raises(http.BlockedAddress):
        http.fetch_user_url(url.format(port=server.port), ports=[server.port])
    assert server.hits == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "loopback"),
        ("https://[fd00::1]/", "private"),
        ("http://example.org:8080/", "port not allowed"),
        ("ftp://example.org/", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:secret@example.org/", "credentials in the URL"),
        ("http:///nohost", "no host"),
        ("http://[::1/", "malformed URL"),
    ],
)
def test_user_url_refusals_say_why(url: str, reason: str) -> None:
    with pytest.raises(http.BlockedAddress) as refused:
        http.fetch_user_url(url)
    assert reason in refused.value.reason
    assert url not in str(refused.value)  # never the URL in the error


def test_redirect_to_a_private_address_is_refused(server: Server, inner: Server) -> None:
    server.routes["/go"] = (302, {"Location": inner.url("/secret")}, b"")
    with pytest.raises(http.BlockedAddress):
        http.fetch_user_url(
            server.url("/go"), ports=[server.port, inner.port], _trusted=TRUST_LOOPBACK_ONE
        )
    assert server.hits == ["/go"] and inner.hits == []


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]:{inner}/secret",
        "http://0.0.0.0:{inner}/secret",  # noqa: S104 - "this host"
        "gopher://127.0.0.2:{inner}/",
    ],
)
def test_redirects_to_metadata_mapped_or_named_loopback_are_refused(
    server: Server, inner: Server, location: str
) -> None:
    server.routes["/go"] = (301, {"Location": location.format(inner=inner.port)}, b"")
    with pytest.raises(http.BlockedAddress):
        http.fetch_user_url(
            server.url("/go"), ports=[server.port, inner.port], _trusted=TRUST_LOOPBACK_ONE
        )
    assert inner.hits == []


def test_redirects_to_allowed_places_are_followed_a_bounded_number_of_times(
    server: Server,
) -> None:
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    server.routes["/b"] = (200, {"Content-Type": "text/plain"}, b"hello")
    response = http.fetch_user_url(
        server.url("/a"), ports=[server.port], _trusted=TRUST_LOOPBACK_ONE
    )
    assert response.status_code == 200 and response.content == b"hello"
    assert response.redirects == [server.url("/a")]
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(http.HttpError) as looped:
        http.fetch_user_url(server.url("/loop"), ports=[server.port], _trusted=TRUST_LOOPBACK_ONE)
    assert looped.value.kind == "TooManyRedirects"
    assert server.hits.count("/loop") == http.MAX_REDIRECTS + 1


def test_the_connected_peer_is_checked_even_if_the_name_check_passed(server: Server) -> None:
    """What a DNS answer that changed after the check (rebinding) would reach: the
    checked connection refuses a loopback peer before sending anything."""
    session = requests.Session()
    session.trust_env = False
    adapter = http._checked_adapter(())
    session.mount("http://", adapter)
    prepared = session.prepare_request(requests.Request("GET", server.url("/")))
    with pytest.raises(http.BlockedAddress) as refused:
        http.send(session, prepared)
    assert "loopback" in refused.value.reason
    assert server.hits == []


# --- provider calls: timeouts, size, redirects -------------------------------------------------


def test_provider_calls_reach_loopback_and_do_not_follow_redirects(server: Server) -> None:
    server.routes["/moved"] = (302, {"Location": "/elsewhere"}, b"")
    response = http.get(server.url("/moved"))
    assert response.status_code == 302 and server.hits == ["/moved"]
    server.routes["/api"] = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    assert http.post(server.url("/api"), json={"x": 1}).json() == {"ok": True}


def test_a_server_that_never_answers_times_out_quickly() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # connections complete in the kernel; nothing ever answers
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(http.TimedOut):
            http.get(f"http://127.0.0.1:{port}/", timeout=(1.0, 0.5))
        assert time.monotonic() - started < 3
    finally:
        listener.close()


def test_a_slow_drip_is_cut_at_the_total_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        conn, _addr = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"x")
            except OSError:
                break
            time.sleep(0.1)  # each byte well inside the read timeout
        conn.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(http.TimedOut) as slow:
            http.get(f"http://127.0.0.1:{port}/", timeout=(0.5, 1.0))
        assert slow.value.kind == "TotalTimeout"
        assert time.monotonic() - started < 4
    finally:
        stop.set()
        listener.close()


def test_a_response_over_the_cap_is_refused(server: Server) -> None:
    server.routes["/big"] = (200, {}, b"x" * 300_000)
    with pytest.raises(http.ResponseTooLarge):
        http.get(server.url("/big"), max_bytes=100_000)
    assert len(http.get(server.url("/big"), max_bytes=400_000).content) == 300_000


def test_a_chunked_response_over_the_cap_is_refused_while_reading() -> None:
    """No Content-Length to refuse up front: the cap is enforced as the body arrives."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _addr = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(100):
                conn.sendall(b"2710\r\n" + b"y" * 10000 + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(http.ResponseTooLarge):
            http.get(f"http://127.0.0.1:{port}/", max_bytes=50_000)
    finally:
        listener.close()


def test_connection_refused_is_an_http_error_without_the_url() -> None:
    with pytest.raises(http.HttpError) as failed:
        http.post("http://127.0.0.1:9/bot123456:SECRET/sendMessage", json={})
    assert failed.value.kind == "ConnectionError"
    assert "SECRET" not in str(failed.value)


# --- user URLs: what a redirect carries on --------------------------------------------------

CREDENTIALS = {
    "Authorization": "Bearer s3cret-token",
    "Cookie": "session=s3cret-cookie",
    "Proxy-Authorization": "Basic s3cret-proxy",
    "X-Api-Key": "s3cret-key",
    "Accept-Language": "es",
}


def test_a_redirect_to_another_host_drops_the_credentials(server: Server, inner: Server) -> None:
    server.routes["/go"] = (302, {"Location": inner.url("/landing")}, b"")
    inner.routes["/landing"] = (200, {}, b"ok")
    response = http.fetch_user_url(
        server.url("/go"),
        ports=[server.port, inner.port],
        headers=CREDENTIALS,
        sensitive_headers=["x-api-key"],  # the caller marks its own secret header
        _trusted=TRUST_BOTH,
    )
    assert response.status_code == 200 and response.content == b"ok"
    [first] = server.seen
    assert first.headers["authorization"] == "Bearer s3cret-token"
    assert first.headers["cookie"] == "session=s3cret-cookie"
    assert first.headers["x-api-key"] == "s3cret-key"
    [second] = inner.seen
    assert second.path == "/landing"
    for name in ("authorization", "cookie", "proxy-authorization", "x-api-key"):
        assert name not in second.headers, name
    assert not any("s3cret" in value for value in second.headers.values())
    assert second.headers["accept-language"] == "es"  # an ordinary header goes on


def test_a_header_not_marked_sensitive_is_kept_but_the_standard_ones_never(
    server: Server, inner: Server
) -> None:
    server.routes["/go"] = (307, {"Location": inner.url("/landing")}, b"")
    inner.routes["/landing"] = (200, {}, b"ok")
    http.fetch_user_url(
        server.url("/go"), ports=[server.port, inner.port], headers=CREDENTIALS, _trusted=TRUST_BOTH
    )
    [second] = inner.seen
    assert second.headers["x-api-key"] == "s3cret-key"  # the caller did not mark it
    assert "authorization" not in second.headers and "cookie" not in second.headers


def test_a_redirect_on_the_same_host_keeps_them_and_coming_back_does_not_restore_them(
    server: Server, inner: Server
) -> None:
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    server.routes["/b"] = (302, {"Location": inner.url("/c")}, b"")
    inner.routes["/c"] = (302, {"Location": server.url("/d")}, b"")
    server.routes["/d"] = (200, {}, b"done")
    response = http.fetch_user_url(
        server.url("/a"),
        ports=[server.port, inner.port],
        headers={"Authorization": "Bearer s3cret-token"},
        _trusted=TRUST_BOTH,
    )
    assert response.content == b"done"
    by_path = {seen.path: seen for seen in [*server.seen, *inner.seen]}
    assert by_path["/a"].headers["authorization"] == "Bearer s3cret-token"
    assert by_path["/b"].headers["authorization"] == "Bearer s3cret-token"  # same host
    assert "authorization" not in by_path["/c"].headers
    # The other host chose this URL: the credentials are not sent back with it.
    assert "authorization" not in by_path["/d"].headers


def test_another_port_on_the_same_host_is_another_origin(server: Server) -> None:
    other = Server()
    try:
        server.routes["/go"] = (302, {"Location": other.url("/x")}, b"")
        other.routes["/x"] = (200, {}, b"ok")
        http.fetch_user_url(
            server.url("/go"),
            ports=[server.port, other.port],
            headers={"Cookie": "session=s3cret-cookie"},
            _trusted=TRUST_LOOPBACK_ONE,
        )
        assert server.seen[0].headers["cookie"] == "session=s3cret-cookie"
        assert "cookie" not in other.seen[0].headers
    finally:
        other.close()


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_post_redirected_by_301_302_303_goes_on_as_a_get_without_its_body(
    server: Server, status: int
) -> None:
    server.routes["/form"] = (status, {"Location": "/thanks"}, b"")
    server.routes["/thanks"] = (200, {}, b"thanks")
    response = http.fetch_user_url(
        server.url("/form"),
        method="POST",
        data={"name": "Rosa", "phone": "+14135550111"},
        ports=[server.port],
        _trusted=TRUST_LOOPBACK_ONE,
    )
    assert response.content == b"thanks"
    first, second = server.seen
    assert first.method == "POST" and b"phone=%2B14135550111" in first.body
    assert second.method == "GET" and second.path == "/thanks"
    assert second.body == b""
    assert "content-type" not in second.headers
    assert second.headers.get("content-length", "0") == "0"


@pytest.mark.parametrize("status", [307, 308])
def test_a_post_redirected_by_307_308_keeps_its_method_and_body(
    server: Server, status: int
) -> None:
    server.routes["/api"] = (status, {"Location": "/api2"}, b"")
    server.routes["/api2"] = (200, {}, b"ok")
    http.fetch_user_url(
        server.url("/api"),
        method="POST",
        json={"n": 1},
        ports=[server.port],
        _trusted=TRUST_LOOPBACK_ONE,
    )
    first, second = server.seen
    assert first.method == second.method == "POST"
    assert first.body == second.body == b'{"n": 1}'
    assert second.headers["content-type"] == "application/json"


def test_a_303_turns_any_method_into_a_get_and_a_302_keeps_a_put(server: Server) -> None:
    server.routes["/put"] = (302, {"Location": "/see"}, b"")
    server.routes["/see"] = (303, {"Location": "/end"}, b"")
    server.routes["/end"] = (200, {}, b"ok")
    http.fetch_user_url(
        server.url("/put"),
        method="PUT",
        data=b"payload",
        ports=[server.port],
        _trusted=TRUST_LOOPBACK_ONE,
    )
    assert [(s.method, s.path, s.body) for s in server.seen] == [
        ("PUT", "/put", b"payload"),
        ("PUT", "/see", b"payload"),
        ("GET", "/end", b""),
    ]
