"""Slow and stalled clients against the real server (granian on loopback).

Run from the repository root: ``python -m bench.slow_clients``. It migrates a throwaway
SQLite database (bench/_setup.py), starts granian as ``amparo run`` does (one web
process, ``THREADS`` request threads) and measures ``GET /healthz`` and the public
report form, one request after another:

1. baseline: no attack;
2. attack: ``STALLED`` uploads whose bodies stop 10 bytes short of their
   Content-Length, spread over ``ADDRESSES`` loopback addresses (127.0.0.2…), and
   ``SLOW_HEADERS`` connections whose headers never end, all left open.

It prints p50/p95 of both phases, their ratio, and how the stalled uploads were
answered (held until their deadline, or 429 at once past the per-address limit).

Bounded: ``ATTACK_SECONDS`` of measuring, every socket closed at the end; only
loopback. Env: BENCH_STALLED (500), BENCH_SLOW_HEADERS (500), BENCH_ADDRESSES (64),
BENCH_THREADS (4), BENCH_ATTACK_SECONDS (10).
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench._server import free_port, start_server, wait_ready

STALLED = int(os.environ.get("BENCH_STALLED", "500"))
SLOW_HEADERS = int(os.environ.get("BENCH_SLOW_HEADERS", "500"))
ADDRESSES = int(os.environ.get("BENCH_ADDRESSES", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
ATTACK_SECONDS = float(os.environ.get("BENCH_ATTACK_SECONDS", "10"))
SLUG = "bench-slow"


def _get(port: int, path: str) -> float:
    """Seconds for one GET (10 s counts a timeout or an error)."""
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            return 10.0
    except OSError:
        return 10.0
    return time.perf_counter() - started


def _measure(port: int, seconds: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"healthz": [], "form": []}
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        out["healthz"].append(_get(port, "/healthz"))
        if i % 5 == 0:
            out["form"].append(_get(port, f"/report/{SLUG}/"))
        i += 1
    return out


def _p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def _attack(port: int) -> list[socket.socket]:
    socks = []
    body = b"what=" + b"x" * 2000
    for i in range(STALLED):
        source = (f"127.0.0.{2 + i % ADDRESSES}", 0)
        sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source)
        head = (
            f"POST /report/{SLUG}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body) + 10}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        socks.append(sock)
    for i in range(SLOW_HEADERS):
        source = (f"127.0.0.{2 + i % ADDRESSES}", 0)
        sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        socks.append(sock)
    return socks


def _answers(socks: list[socket.socket]) -> dict[str, int]:
    counts = {"429": 0, "other": 0, "open": 0}
    for sock in socks[:STALLED]:
        sock.setblocking(False)
        try:
            data = sock.recv(64)
        except BlockingIOError:
            counts["open"] += 1
            continue
        except OSError:
            data = b""
        counts["429" if data.startswith(b"HTTP/1.1 429") else "other"] += 1
    return counts


def run() -> dict[str, Any]:
    from bench._setup import django_in_tempdir

    data_dir = django_in_tempdir()  # removed at exit
    from amparo.accounts.services import network_create

    network_create(slug=SLUG, name="Red Lenta")
    port = free_port()
    log_path = Path(data_dir) / "granian.log"
    server: subprocess.Popen[bytes] | None = None
    socks: list[socket.socket] = []
    try:
        server = start_server(port, workers=1, threads=THREADS, log_path=log_path)
        wait_ready(port, server)
        for _ in range(20):  # warm up: URL resolver, templates, connections
            _get(port, f"/report/{SLUG}/")
        base = _measure(port, ATTACK_SECONDS / 2)
        socks = _attack(port)
        time.sleep(0.5)
        answers = _answers(socks)
        attack = _measure(port, ATTACK_SECONDS)
        return {"base": base, "attack": attack, "answers": answers}
    finally:
        for sock in socks:
            sock.close()
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def main() -> None:
    r = run()
    base, attack, answers = r["base"], r["attack"], r["answers"]
    hz_base, hz_attack = _p(base["healthz"], 95), _p(attack["healthz"], 95)
    form_attack = _p(attack["form"], 95)
    failed = sum(1 for t in attack["healthz"] + attack["form"] if t >= 10.0)
    ratio = hz_attack / hz_base if hz_base else float("nan")
    print(
        f"{STALLED} stalled uploads from {ADDRESSES} addresses and {SLOW_HEADERS} "
        f"unfinished headers, {THREADS} request threads"
    )
    for name, phase in (("no attack", base), ("attack", attack)):
        print(
            f"{name:9}: /healthz {len(phase['healthz'])} requests, p50 "
            f"{_p(phase['healthz'], 50):.1f} ms, p95 {_p(phase['healthz'], 95):.1f} ms; "
            f"report form p95 {_p(phase['form'], 95):.1f} ms"
        )
    print(f"stalled uploads: {answers} (held until their deadline: 'open')")
    ok = failed == 0 and hz_attack < 1000
    print(
        f"RESULT slow_clients: ok={'yes' if ok else 'no'} healthz_p95_ms_base={hz_base:.1f} "
        f"healthz_p95_ms_attack={hz_attack:.1f} ratio={ratio:.2f} "
        f"form_p95_ms_attack={form_attack:.1f} failed={failed} held={answers['open']} "
        f"refused_429={answers['429']}"
    )


if __name__ == "__main__":
    main()
