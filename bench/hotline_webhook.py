"""Signed Twilio SMS webhooks against the real server (granian) on loopback.

Run from the repository root: ``python -m bench.hotline_webhook``. It migrates a
throwaway database (bench/_setup.py: SQLite, or a throwaway PostgreSQL database when
``DATABASE_URL`` is set) with a throwaway SQLite Huey queue, sets a Twilio auth token,
starts granian on 127.0.0.1 serving the app plus one bench-only view that does one
INSERT (bench/_wsgi.py), and a worker (``amparo worker``) as ``amparo run`` does — the
webhook only stores the text; the worker hands it to the inbound handlers (replies
are queued, never sent: the Twilio API is unreachable). By default the worker starts
once the load is over, so the web figures are the webhook's own and the worker's
catch-up is timed apart (``BENCH_WORKER_DURING=1`` runs it during the load). Then:

1. baseline: ``REQUESTS`` ``POST /bench/one-insert`` from ``THREADS`` client threads
   (and as many ``GET /healthz``, shown for reference);
2. paced: ``PACED_RATE`` signed webhooks per second for ``PACED_SECONDS`` s (a text no
   keyword handles, each a new MessageSid), latency counted from each request's
   scheduled time (so a stall is not hidden), p50/p99;
3. throughput: ``REQUESTS`` signed ``POST /hooks/twilio/sms`` from ``THREADS`` threads;
   requests/s against the one-insert view's (the aim: at least half); then the
   worker handles every stored text (bounded by ``TIME_LIMIT``), timed.

Then it counts 5xx answers and "database is locked" lines in the server's and the
worker's logs, and checks in the database that every accepted webhook was stored
once and handled.

Bounded: each phase stops at ``TIME_LIMIT`` seconds; only loopback.
Env: BENCH_REQUESTS (3000), BENCH_THREADS (8), BENCH_WEB_WORKERS, BENCH_PACED_RATE
(200), BENCH_PACED_SECONDS (10), BENCH_WORKER (1: run the worker; 0: store only),
BENCH_WORKER_DURING (0: the worker starts when the load is over and its catch-up is
timed; 1: it runs during the load, competing for SQLite's one writer).
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

from bench._server import REPO as SERVER_REPO
from bench._server import WEB_WORKERS, free_port, start_server, wait_ready

REPO = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PACED_RATE = float(os.environ.get("BENCH_PACED_RATE", "200"))
PACED_SECONDS = float(os.environ.get("BENCH_PACED_SECONDS", "10"))
WITH_WORKER = os.environ.get("BENCH_WORKER", "1") != "0"
#: 1: the worker runs during the load too (it then competes for SQLite's write lock);
#: 0 (default): it starts once the load is over, and its catch-up is timed.
WORKER_DURING = os.environ.get("BENCH_WORKER_DURING", "0") == "1"
TIME_LIMIT = 60.0
CATCH_UP_LIMIT = 120.0  # seconds for the worker to handle every stored text
AIM_RATIO = 0.5  # webhook requests/s over the one-insert view's
AIM_PACED_P99_MS = 100.0
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
    elif kind == "insert":
        body = urlencode({"ref": f"bench-{i}"}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        method, path = "POST", "/bench/one-insert"
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
    pending = rows.filter(handled_at__isnull=True).count()
    return {"stored": rows.count(), "duplicates": duplicates, "pending": pending}


def _catch_up(network_id: int) -> float:
    """Seconds until the worker has handled every stored text (bounded; -1 if not)."""
    from amparo.channels.models import InboundMessage

    start = time.monotonic()
    rows = InboundMessage.objects.filter(network_id=network_id, handled_at__isnull=True)
    while time.monotonic() - start < CATCH_UP_LIMIT:
        if not rows.exists():
            return time.monotonic() - start
        time.sleep(0.1)
    return -1.0


def _start_worker(log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SERVER_REPO)
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "amparo", "worker"],
            cwd=SERVER_REPO,
            env=env,
            stdout=log,
            stderr=log,
        )


def run() -> dict[str, Any]:
    _environment()
    from bench._setup import database_label, django_in_tempdir

    data_dir = django_in_tempdir()  # removed at exit
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    try:
        network_id = _seed()
        port = free_port()
        _Conn.port = port
        log_path = Path(data_dir) / "granian.log"
        worker_log = Path(data_dir) / "worker.log"
        server = start_server(
            port,
            workers=WEB_WORKERS,
            threads=THREADS,
            log_path=log_path,
            app="bench._wsgi:application",
        )
        if WITH_WORKER and WORKER_DURING:
            worker = _start_worker(worker_log)
        wait_ready(port, server)
        for i in range(40):  # warm up every worker: URL resolver, templates, connections
            _timed("sms", 10_000_000 + i, time.monotonic() + 30)
            _timed("insert", 10_000_000 + i, time.monotonic() + 30)
            _timed("healthz", i, time.monotonic() + 30)
        warm_catch_up = _catch_up(network_id) if worker is not None else 0.0

        insert = _throughput("insert", 0)
        healthz = _throughput("healthz", 0)
        paced = _paced(1_000_000)
        paced_catch_up = _catch_up(network_id) if worker is not None else 0.0
        sms = _throughput("sms", 0)
        if WITH_WORKER and worker is None:  # the load is over: time the worker's catch-up
            worker = _start_worker(worker_log)
        sms_catch_up = _catch_up(network_id) if WITH_WORKER else 0.0
        time.sleep(0.5)
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=15)
        log = log_path.read_text(errors="replace")
        if worker is not None:
            log += worker_log.read_text(errors="replace")
        stored = _stored(network_id)
        accepted = sms["ok"] + paced["ok"] + 40
        return {
            "database": database_label(),
            "insert": insert,
            "sms": sms,
            "healthz": healthz,
            "paced": paced,
            "catch_up": (warm_catch_up, paced_catch_up, sms_catch_up),
            "locked": log.count("database is locked"),
            "log_5xx": log.count("Internal Server Error"),
            "stored": stored["stored"],
            "pending": stored["pending"],
            "duplicates": stored["duplicates"],
            "lost": int(accepted - stored["stored"]),
            "log_tail": log[-2000:],
        }
    finally:
        for process in (server, worker):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=5)


def main() -> None:
    r = run()
    sms, insert, hz, paced = r["sms"], r["insert"], r["healthz"], r["paced"]
    ratio = sms["rps"] / insert["rps"] if insert["rps"] else float("nan")
    ratio_healthz = sms["rps"] / hz["rps"] if hz["rps"] else float("nan")
    errors = sms["errors_5xx"] + paced["errors_5xx"] + hz["errors_5xx"] + insert["errors_5xx"]
    _warm, paced_catch_up, sms_catch_up = r["catch_up"]
    handled_ok = not WITH_WORKER or (r["pending"] == 0 and min(r["catch_up"]) >= 0)
    ok = (
        ratio >= AIM_RATIO
        and paced["p99_ms"] <= AIM_PACED_P99_MS
        and r["locked"] == 0
        and errors == 0
        and r["lost"] == 0
        and r["duplicates"] == 0
        and handled_ok
    )
    if errors or r["locked"]:
        print(r["log_tail"], file=sys.stderr)
    print(
        f"{r['database']}, client threads {THREADS}, server processes {WEB_WORKERS}, "
        f"worker {('during the load' if WORKER_DURING else 'after the load') if WITH_WORKER else 'off'}, "
        "SQLite queue"
    )
    for label, s in (
        ("POST /hooks/twilio/sms   ", sms),
        ("POST /bench/one-insert   ", insert),
        ("GET  /healthz            ", hz),
    ):
        print(
            f"{label}: {s['ok']:.0f}/{s['sent']:.0f} ok in {s['seconds']:.1f} s, "
            f"{s['rps']:.0f} req/s, p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, "
            f"5xx {s['errors_5xx']:.0f}"
        )
    print(
        f"webhook / one-insert view throughput: {ratio:.2f} (aim >= {AIM_RATIO}); "
        f"webhook / healthz: {ratio_healthz:.2f}"
    )
    print(
        f"paced {PACED_RATE:.0f} req/s for {PACED_SECONDS:.0f} s: {paced['ok']:.0f}/"
        f"{paced['sent']:.0f} ok, achieved {paced['rps']:.0f} req/s, p50 {paced['p50_ms']:.1f} ms, "
        f"p99 {paced['p99_ms']:.1f} ms (aim <= {AIM_PACED_P99_MS:.0f}), 5xx {paced['errors_5xx']:.0f}"
    )
    if WITH_WORKER:
        during = f"{paced_catch_up:.1f} s after the paced phase, " if WORKER_DURING else ""
        print(
            f"worker caught up {during}{sms_catch_up:.1f} s after the burst "
            f"(-1: not within {CATCH_UP_LIMIT:.0f} s); still pending {r['pending']}"
        )
    print(
        f"database is locked: {r['locked']}; server errors logged: {r['log_5xx']}; "
        f"stored {r['stored']}, lost {r['lost']}, duplicates {r['duplicates']}"
    )
    print(
        f"RESULT hotline_webhook: ok={'yes' if ok else 'no'} db={r['database']} "
        f"ratio={ratio:.2f} aim_ratio_min={AIM_RATIO} "
        f"paced_p99_ms={paced['p99_ms']:.1f} aim_paced_p99_ms_max={AIM_PACED_P99_MS:.0f} "
        f"sms_rps={sms['rps']:.0f} insert_rps={insert['rps']:.0f} healthz_rps={hz['rps']:.0f} "
        f"sms_p99_ms={sms['p99_ms']:.1f} paced_rate={PACED_RATE:.0f} "
        f"catch_up_s={sms_catch_up:.1f} pending={r['pending']} "
        f"locked={r['locked']} errors_5xx={errors:.0f} lost={r['lost']} "
        f"duplicates={r['duplicates']}"
    )


if __name__ == "__main__":
    main()
