"""A real granian server on loopback for the benchmarks that measure over HTTP."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

from amparo.core.management.commands._processes import granian_command

REPO = Path(__file__).resolve().parent.parent
#: granian worker processes: the deployment's AMPARO_WEB_WORKERS default (one per core,
#: at most 4) unless BENCH_WEB_WORKERS says
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(min(4, os.cpu_count() or 1))))
#: request threads per server process: the deployment's AMPARO_WEB_THREADS unless
#: BENCH_WEB_THREADS says (not one per client: the server is measured as deployed)
WEB_THREADS = int(os.environ["BENCH_WEB_THREADS"]) if os.environ.get("BENCH_WEB_THREADS") else None


def free_port() -> int:
    """A free loopback port: any, or one in ``BENCH_PORTS`` ("8600-8699") when set (a
    shared machine where each user has a range)."""
    low, _sep, high = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port in BENCH_PORTS")


def start_server(
    port: int,
    *,
    workers: int,
    threads: int | None,
    log_path: Path,
    app: str = "amparo.asgi:application",
    factory: bool = False,
    env_extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    if threads is not None:  # the request threads of amparo.core.buffered (None: as deployed)
        env["AMPARO_WEB_THREADS"] = str(threads)
    env.update(env_extra or {})
    command = granian_command("127.0.0.1", port, workers, app=app, factory=factory)
    with log_path.open("wb") as log:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)  # noqa: S603


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


class Browser:
    """One phone's browser, for a client thread: one keep-alive HTTP/1.1 connection (as
    a browser keeps one), its cookies, redirects not followed. Plain ``http.client``:
    the benchmark's clients share the cores with the server, so each request should cost
    the client little (``urllib`` opens a connection per request and runs its handler
    chain and cookie jar)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, str, float]:
        """(status, Location, body, seconds) of a GET, or a form POST when ``data``."""
        sent = dict(headers or {})
        jar = [f"{k}={v}" for k, v in self.cookies.items()]
        if jar:
            sent["Cookie"] = "; ".join([*jar, *([sent["Cookie"]] if "Cookie" in sent else [])])
        if data is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn is not None
            conn = self.conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn = conn
            try:
                conn.request("GET" if data is None else "POST", path, data, sent)
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed an idle kept-alive connection: a browser opens another
                conn.close()
                self.conn = None
                if attempt == 2 or not reused:
                    raise
        took = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _eq, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            conn.close()
            self.conn = None
        return response.status, response.headers.get("Location", ""), body, took
