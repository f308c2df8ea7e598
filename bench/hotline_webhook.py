"""Signed Twilio SMS webhooks against the real server (granian) on loopback.

Run from the repository root: ``python -m bench.hotline_webhook``. It migrates a
throwaway SQLite database (bench/_setup.py) with a throwaway SQLite Huey queue (the
replies are enqueued, never sent), sets a Twilio auth token, starts granian on
127.0.0.1 and:

1. throughput: ``REQUESTS`` signed ``POST /hooks/twilio/sms`` (each a new MessageSid,
   a text no keyword handles, so it is stored and handed to every inbound handler)
   from ``THREADS`` client threads, then the same number of ``GET /healthz`` (the
   trivial baseline) on the same server; requests/s and p50/p99 of each, and the ratio;
2. paced: ``PACED_RATE`` webhooks per second for ``PACED_SECONDS`` s, latency counted
   from each request's scheduled time (so a stall is not hidden), p50/p99.

Then it counts 5xx answers and "database is locked" lines in the server's log, and
checks in the database that every accepted webhook was stored once.

Bounded: each phase stops at ``TIME_LIMIT`` seconds; only loopback.
Env: BENCH_REQUESTS (3000), BENCH_THREADS (8), BENCH_WEB_WORKERS, BENCH_PACED_RATE
(200), BENCH_PACED_SECONDS (10).
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench._server import free_port, start_server, wait_ready

REPO = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(min(4, os.cpu_count() or 1))))
PACED_RATE = float(os.environ.get("BENCH_PACED_RATE", "200"))
PACED_SECONDS = float(os.environ.get("BENCH_PACED_SECONDS", "10"))
TIME_LIMIT = 60.0
SLUG = "bench-hotline"
HOTLINE = "+14135550100"
AUTH_TOKEN = "bench-twilio-auth-token-not-a-real-one"  # noqa: S105 - a throwaway for loopback
ACCOUNT_SID = "AC" + "b" * 32
PUBLIC_URL = "https://hotline.bench.invalid"
SMS_PATH = "/hooks/twilio/sms"


def _environment() -> str:
    """Settings for this process and the server: set before Django starts."""
    queue_dir = tempfile.mkdtemp(prefix="amparo-bench-queue-")
    atexit.register(shutil.rmtree, queue_dir, True)
    os.environ["AMPARO_HUEY_URL"] = "sqlite:" + str(Path(queue_dir) / "huey.sqlite3")
    os.environ["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    os.environ["TWILIO_ACCOUNT_SID"] = ACCOUNT_SID
    os.environ["TWILIO_FROM_NUMBER"] = HOTLINE
    os.environ["AMPARO_PUBLIC_URL"] = PUBLIC_URL
    os.environ["AMPARO_TWILIO_API_BASE"] = "http://127.0.0.1:9"  # never used: nothing is sent
    os.environ.pop("TWILIO_AUTH_TOKEN_FILE", None)
    return queue_dir


class _Conn:
    """One keep-alive connection per client thread."""

    local = threading.local()
    port = 0

    @classmethod
    def request(cls, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        for attempt in (1, 2):
            conn = getattr(cls.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=30)
                cls.local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                conn.close()
                cls.local.conn = None
                if attempt == 2:
                    return 599
        return 599


def _sms_request(i: int) -> tuple[bytes, dict[str, str]]:
    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": f"SM{i:032x}",
        "AccountSid": ACCOUNT_SID,
        "From": f"+1617555{i % 10000:04d}",
        "To": HOTLINE,
        "Body": "Hola, necesito ayuda con mi patrón" if i % 2 else "Hello, I need help",
        "NumMedia": "0",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return urlencode(params).encode(), headers


def _timed(kind: str, i: int, deadline: float, scheduled: float | None = None) -> tuple[int, float]:
    if time.monotonic() > deadline:
        return -1, 0.0
    if kind == "sms":
        body, headers = _sms_request(i)
        method, path = "POST", SMS_PATH
    else:
        body, headers, method, path = None, {}, "GET", "/healthz"
    start = time.perf_counter()
    status = _Conn.request(method, path, body, headers)
    end = time.perf_counter()
    if scheduled is not None:
        start = min(start, scheduled)
    return status, end - start


def _stats(results: list[tuple[int, float]], elapsed: float) -> dict[str, float]:
    ok = sorted(t for status, t in results if 200 <= status < 300)
    done = [r for r in results if r[0] != -1]
    q = statistics.quantiles(ok, n=100) if len(ok) >= 100 else []
    return {
        "sent": float(len(done)),
        "ok": float(len(ok)),
        "errors_5xx": float(sum(1 for status, _t in done if status >= 500)),
        "errors_other": float(sum(1 for status, _t in done if 300 <= status < 500)),
        "seconds": elapsed,
        "rps": len(ok) / elapsed if elapsed else 0.0,
        "p50_ms": (statistics.median(ok) * 1e3) if ok else float("nan"),
        "p99_ms": (q[98] * 1e3) if q else float("nan"),
    }


def _throughput(kind: str, offset: int) -> dict[str, float]:
    start = time.monotonic()
    deadline = start + TIME_LIMIT
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda i: _timed(kind, offset + i, deadline), range(REQUESTS)))
    return _stats(results, time.monotonic() - start)


def _paced(offset: int) -> dict[str, float]:
    count = int(PACED_RATE * PACED_SECONDS)
    interval = 1.0 / PACED_RATE
    start = time.monotonic()
    deadline = start + TIME_LIMIT
    perf0 = time.perf_counter()
    futures = []
    with ThreadPoolExecutor(max_workers=max(THREADS, 32)) as pool:
        for i in range(count):
            due = start + i * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() > deadline:
                break
            scheduled = perf0 + i * interval
            futures.append(pool.submit(_timed, "sms", offset + i, deadline, scheduled))
        results = [f.result() for f in futures]
    return _stats(results, time.monotonic() - start)


def _seed() -> int:
    from amparo.accounts.services import network_create

    return int(network_create(slug=SLUG, name="Red de Bench", hotline_number=HOTLINE).pk)


def _stored(network_id: int) -> dict[str, int]:
    from django.db.models import Count

    from amparo.channels.models import InboundMessage

    rows = InboundMessage.objects.filter(network_id=network_id, channel="twilio_sms")
    duplicates = rows.values("provider_ref").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"stored": rows.count(), "duplicates": duplicates}


def run() -> dict[str, Any]:
    _environment()
    from bench._setup import django_in_tempdir

    data_dir = django_in_tempdir()  # removed at exit
    server: subprocess.Popen[bytes] | None = None
    try:
        network_id = _seed()
        port = free_port()
        _Conn.port = port
        log_path = Path(data_dir) / "granian.log"
        server = start_server(port, workers=WEB_WORKERS, threads=THREADS, log_path=log_path)
        wait_ready(port, server)
        for i in range(40):  # warm up every worker: URL resolver, templates, connections
            _timed("sms", 10_000_000 + i, time.monotonic() + 30)
            _timed("healthz", i, time.monotonic() + 30)

        sms = _throughput("sms", 0)
        healthz = _throughput("healthz", 0)
        paced = _paced(1_000_000)
        time.sleep(0.5)
        server.terminate()
        server.wait(timeout=15)
        log = log_path.read_text(errors="replace")
        stored = _stored(network_id)
        accepted = sms["ok"] + paced["ok"] + 40
        return {
            "sms": sms,
            "healthz": healthz,
            "paced": paced,
            "locked": log.count("database is locked"),
            "log_5xx": log.count("Internal Server Error"),
            "stored": stored["stored"],
            "duplicates": stored["duplicates"],
            "lost": int(accepted - stored["stored"]),
            "log_tail": log[-2000:],
        }
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait(timeout=5)


def main() -> None:
    r = run()
    sms, hz, paced = r["sms"], r["healthz"], r["paced"]
    ratio = sms["rps"] / hz["rps"] if hz["rps"] else float("nan")
    errors = sms["errors_5xx"] + paced["errors_5xx"] + hz["errors_5xx"]
    ok = (
        ratio >= 0.5
        and paced["p99_ms"] < 100
        and r["locked"] == 0
        and errors == 0
        and r["lost"] == 0
        and r["duplicates"] == 0
    )
    if errors or r["locked"]:
        print(r["log_tail"], file=sys.stderr)
    print(f"client threads {THREADS}, server processes {WEB_WORKERS}, SQLite database and queue")
    for label, s in (("POST /hooks/twilio/sms", sms), ("GET  /healthz         ", hz)):
        print(
            f"{label}: {s['ok']:.0f}/{s['sent']:.0f} ok in {s['seconds']:.1f} s, "
            f"{s['rps']:.0f} req/s, p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, "
            f"5xx {s['errors_5xx']:.0f}"
        )
    print(f"webhook / healthz throughput: {ratio:.2f} (aim >= 0.5)")
    print(
        f"paced {PACED_RATE:.0f} req/s for {PACED_SECONDS:.0f} s: {paced['ok']:.0f}/"
        f"{paced['sent']:.0f} ok, achieved {paced['rps']:.0f} req/s, p50 {paced['p50_ms']:.1f} ms, "
        f"p99 {paced['p99_ms']:.1f} ms (aim < 100), 5xx {paced['errors_5xx']:.0f}"
    )
    print(
        f"database is locked: {r['locked']}; server errors logged: {r['log_5xx']}; "
        f"stored {r['stored']}, lost {r['lost']}, duplicates {r['duplicates']}"
    )
    print(
        f"RESULT hotline_webhook: ok={'yes' if ok else 'no'} sms_rps={sms['rps']:.0f} "
        f"sms_p50_ms={sms['p50_ms']:.1f} sms_p99_ms={sms['p99_ms']:.1f} "
        f"healthz_rps={hz['rps']:.0f} healthz_p99_ms={hz['p99_ms']:.1f} ratio={ratio:.2f} "
        f"paced_rate={PACED_RATE:.0f} paced_p99_ms={paced['p99_ms']:.1f} "
        f"locked={r['locked']} errors_5xx={errors:.0f} lost={r['lost']}"
    )


if __name__ == "__main__":
    main()
