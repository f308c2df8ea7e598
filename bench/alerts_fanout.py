"""An alert to 2,000 people through the REAL twilio_sms transport and a fake Twilio.

Run from the repository root: ``python -m bench.alerts_fanout``. It migrates a
throwaway SQLite database (bench/_setup.py), starts a fake Twilio Messages API on
127.0.0.1 that admits ``RATE`` messages per second (a token bucket with a burst of
``BURST``; over it: HTTP 429, Twilio error 20429) and sends a signed "delivered"
status callback for every accepted message (through the real status view, in
process), then:

1. the outbox: ``alert_rows_write`` of a 2,000-recipient alert in four tiers, drained by
   two worker threads sharing the database token bucket at ``RATE`` per second;
   total time / the physical minimum (2,000 / RATE = 20 s: aim ≤ 1.10), tier-order
   inversions as the fake API saw them (must be 0), 429s, deliveries marked delivered;
2. the naive way: the same 2,000 numbers in a loop with the twilio client, sleeping
   1/RATE after each send (and 1 s on a 429, then trying again); its time and 429s.
   It has no tiers, no failover, no crash recovery: the ratio is the price of those.

The scale-out engine: with ``BENCH_FANOUT_WORKERS=4`` the outbox is drained by four
``amparo worker`` processes on the queue ``AMPARO_HUEY_URL`` names (Redis), as a
deployment's would be, instead of two threads here; with ``DATABASE_URL`` the
database is a throwaway PostgreSQL one (bench/_setup.py). Same aim, and the fake
counts duplicates (a number sent twice): must be 0. E.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo AMPARO_HUEY_URL=redis://127.0.0.1:6379/7
BENCH_FANOUT_WORKERS=4 python -m bench.alerts_fanout``.

Last line: ``RESULT alerts_fanout: ratio=… aim_ratio_max=1.10 inversions=… duplicates=… …``.
Bounded: each phase stops at ``TIME_LIMIT`` seconds; only loopback.
Env: BENCH_RECIPIENTS (2000), BENCH_RATE (100), BENCH_BURST (5), BENCH_FANOUT_WORKERS (0).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "2000"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
BURST = float(os.environ.get("BENCH_BURST", "5"))
TIERS = 4
TIME_LIMIT = 75.0
ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "bench-fanout-auth-token-not-real"  # noqa: S105 - a throwaway for loopback
FROM = "+14135550100"
PUBLIC_URL = "https://alerts.bench.invalid"
STATUS_PATH = "/hooks/twilio/status"
CALLBACK_DELAY = 0.5  # seconds from acceptance to the "delivered" callback
WORKERS = int(os.environ.get("BENCH_FANOUT_WORKERS", "0"))  # 0: two threads in this process
AIM_RATIO = 1.10


def number(i: int) -> str:
    return f"+1413{3000000 + i:07d}"


@dataclass
class FakeTwilio:
    rate: float
    burst: float
    tier_of: dict[str, int] = field(default_factory=dict)
    accepted: list[str] = field(default_factory=list)
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, To)
    refused: int = 0
    tokens: float = 0.0
    last: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    callbacks: queue.Queue[tuple[float, str, str] | None] = field(default_factory=queue.Queue)
    callback_refused: int = 0
    base: str = ""

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.arrivals.clear()
            self.refused = 0
            self.tokens = self.burst
            self.last = time.monotonic()

    def admit(self, to: str) -> str | None:
        with self.lock:
            now = time.monotonic()
            self.arrivals.append((now, to))
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens < 1.0:
                self.refused += 1
                return None
            self.tokens -= 1.0
            self.accepted.append(to)
            return f"SM{len(self.accepted):08d}{abs(hash(to)) % 10**24:024d}"

    def inversions(self) -> int:
        highest, count = 0, 0
        for to in self.accepted:
            tier = self.tier_of.get(to, 0)
            if tier < highest:
                count += 1
            highest = max(highest, tier)
        return count


def handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms stall

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            to = form.get("To", "")
            sid = fake.admit(to)
            if sid is None:
                status, body = 429, {"code": 20429, "message": "Too Many Requests", "status": 429}
            else:
                status = 201
                body = {"sid": sid, "account_sid": ACCOUNT_SID, "to": to, "status": "queued"}
                if form.get("StatusCallback"):
                    fake.callbacks.put((time.monotonic() + CALLBACK_DELAY, sid, to))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(rate=RATE, burst=BURST)
    fake.reset()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def callback_sender(fake: FakeTwilio) -> None:
    """Twilio's "delivered" status callbacks, signed, through the real view."""
    from django.db import connection
    from django.test import Client
    from twilio.request_validator import RequestValidator

    client = Client(HTTP_HOST="127.0.0.1")
    validator = RequestValidator(AUTH_TOKEN)
    while (item := fake.callbacks.get()) is not None:
        at, sid, to = item
        if (wait := at - time.monotonic()) > 0:
            time.sleep(wait)  # Twilio hands on, then reports: not before we saw the SID
        params = {
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "MessageStatus": "delivered",
            "To": to,
            "From": FROM,
        }
        signature = validator.compute_signature(PUBLIC_URL + STATUS_PATH, params)
        response = client.post(
            STATUS_PATH,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
        if response.status_code != 204:
            fake.callback_refused += 1
    connection.close()


def environment(api_base: str) -> None:
    os.environ["TWILIO_ACCOUNT_SID"] = ACCOUNT_SID
    os.environ["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    os.environ.pop("TWILIO_AUTH_TOKEN_FILE", None)
    os.environ["TWILIO_FROM_NUMBER"] = FROM
    os.environ["AMPARO_PUBLIC_URL"] = PUBLIC_URL
    os.environ["AMPARO_TWILIO_API_BASE"] = api_base
    os.environ["AMPARO_SMS_TRANSPORT"] = "twilio_sms"  # not the sandbox AMPARO_TESTING turns on
    os.environ["AMPARO_ALERT_RATE_PER_SECOND"] = json.dumps({"twilio_sms": RATE})


def make_alert(fake: FakeTwilio) -> tuple[Any, list[Any]]:
    from django.utils import timezone

    from amparo.accounts.models import Network
    from amparo.alerts.models import Alert, AlertRecipient
    from amparo.alerts.outbox import Row
    from amparo.people.models import Person

    network = Network.objects.get(slug="bench-alerts")
    people = Person.objects.bulk_create(
        [Person(network=network, name=f"Responder {i}", language="es") for i in range(RECIPIENTS)],
        batch_size=500,
    )
    alert = Alert.objects.create(
        network=network,
        kind="drill",
        is_drill=True,
        status=Alert.Status.SENDING,
        templates={"es": "Simulacro: redada cerca de la plaza. ¿Puedes ir?"},
        expires_at=timezone.now() + timedelta(hours=2),
    )
    per_tier = -(-RECIPIENTS // TIERS)
    recipients = AlertRecipient.objects.bulk_create(
        [
            AlertRecipient(alert=alert, person=p, tier=1 + i // per_tier, language="es")
            for i, p in enumerate(people)
        ],
        batch_size=500,
    )
    rows = []
    for i, (recipient, person) in enumerate(zip(recipients, people, strict=True)):
        fake.tier_of[number(i)] = recipient.tier
        body = "Simulacro: redada cerca de la plaza. ¿Puedes ir?"
        rows.append(Row(recipient, person, "twilio_sms", number(i), body, "es", recipient.tier, 0))
    # Written highest tier first: the order must come from the claim, not the insert.
    rows.reverse()
    return alert, rows


def timeline(fake: FakeTwilio, started: float, wrote: float) -> str:
    """Where the time went: the write, the first and last send, idle gaps (over 3 slots
    with no request to the fake), 429s."""
    times = [t - started for t, _ in fake.arrivals]
    if not times:
        return f"write {wrote - started:.2f} s, no sends"
    slot = 1.0 / RATE
    gaps = [(a, b - a) for a, b in zip(times, times[1:], strict=False) if b - a > 3 * slot]
    idle = sum(g for _, g in gaps) - 3 * slot * len(gaps)
    worst = ", ".join(f"{g:.2f}@{a:.1f}" for a, g in sorted(gaps, key=lambda x: -x[1])[:5])
    return (
        f"write {wrote - started:.2f} s, first send {times[0]:.2f} s, last {times[-1]:.2f} s, "
        f"{len(gaps)} gaps over {3 * slot:.2f} s (idle beyond them {idle:.2f} s; worst {worst})"
    )


def run_outbox(fake: FakeTwilio, callbacks: threading.Thread) -> dict[str, float]:
    from amparo.channels import outbox

    alert, rows = make_alert(fake)
    if WORKERS:
        return _run_workers(fake, callbacks, alert, rows)
    from django.test.utils import override_settings

    enqueue = outbox._drain_now
    outbox._drain_now = lambda senders: None  # the threads drain
    try:  # as many drains per sender as threads: each claims two slots at a time
        with override_settings(OUTBOX_DRAINS_PER_SENDER=2):
            return _run_outbox(fake, callbacks, alert, rows)
    finally:
        outbox._drain_now = enqueue  # later benches in the process use the queue


def _run_outbox(
    fake: FakeTwilio, callbacks: threading.Thread, alert: Any, rows: list[Any]
) -> dict[str, float]:
    from django.db import connection

    from amparo.alerts.outbox import alert_rows_write
    from amparo.channels import outbox
    from amparo.channels.models import Delivery

    outbox.transports_warm()  # as a worker does when it starts (the 4-worker run waits for it)
    fake.reset()
    started, cpu = time.monotonic(), time.process_time()
    alert_rows_write(alert=alert, rows=rows)
    wrote = time.monotonic()
    sender = outbox.sender_for("twilio_sms")
    pending = Delivery.objects.filter(alert=alert, status__in=["queued", "sending"])

    def worker() -> None:
        while time.monotonic() - started < TIME_LIMIT:
            outbox.outbox_drain(sender=sender, max_seconds=TIME_LIMIT)
            if not pending.exists():
                break
            time.sleep(0.05)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(timeline(fake, started, wrote), f"CPU (this process) {time.process_time() - cpu:.2f} s")
    fake.callbacks.put(None)
    callbacks.join(timeout=60)  # the status callbacks still on their way
    statuses = dict.fromkeys(["sent", "delivered", "failed", "queued", "sending"], 0)
    for status in Delivery.objects.filter(alert=alert).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "seconds": elapsed,
        "accepted": len(fake.accepted),
        "unique": len(set(fake.accepted)),
        "refused": fake.refused,
        "inversions": fake.inversions(),
        "callback_refused": fake.callback_refused,
        **{f"status_{k}": v for k, v in statuses.items()},
    }


def _wait_started(logs: list[Any], limit: float = 90.0) -> None:
    """Until every worker says its outbox is ready (started, and its transports' client
    libraries loaded: a loaded machine takes a while to import Django four times): the
    fan-out's clock starts when the engine is up, not before."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if all("outbox ready" in log.read_text(errors="replace").lower() for log in logs):
            time.sleep(1.0)  # and their start-up sweeps
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker processes did not start within {limit:.0f} s")


def _cpu(workers: list[Any]) -> float:
    """CPU seconds the worker processes (their threads) have used (Linux /proc; else 0)."""
    total = 0.0
    for worker in workers:
        try:
            fields = open(f"/proc/{worker.pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: PTH123, SIM115
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _run_workers(
    fake: FakeTwilio, callbacks: threading.Thread, alert: Any, rows: list[Any]
) -> dict[str, float]:
    """The outbox drained by ``WORKERS`` worker processes on the configured queue."""
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    from amparo.alerts.outbox import alert_rows_write
    from amparo.channels.models import Delivery

    if settings.HUEY.get("immediate"):
        raise RuntimeError("BENCH_FANOUT_WORKERS needs a real queue: set AMPARO_HUEY_URL")
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    repo = Path(__file__).resolve().parent.parent
    # as a scale-out deployment is configured: one drain per worker for a fast sender
    drains = os.environ.get("AMPARO_OUTBOX_DRAINS_PER_SENDER", str(WORKERS))
    env = {**os.environ, "PYTHONPATH": str(repo), "AMPARO_OUTBOX_DRAINS_PER_SENDER": drains}
    logs = Path(settings.DATA_DIR)
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "amparo", "worker"],
            cwd=repo,
            env=env,
            stdout=(logs / f"worker-{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(WORKERS)
    ]
    try:
        _wait_started([logs / f"worker-{i}.log" for i in range(WORKERS)])
        fake.reset()
        started, cpu = time.monotonic(), _cpu(workers)
        alert_rows_write(alert=alert, rows=rows)  # enqueues the drain on commit
        wrote = time.monotonic()
        pending = Delivery.objects.filter(alert=alert, status__in=["queued", "sending"])
        while pending.exists() and time.monotonic() - started < TIME_LIMIT:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        print(timeline(fake, started, wrote), f"CPU: workers {_cpu(workers) - cpu:.2f} s")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    fake.callbacks.put(None)
    callbacks.join(timeout=60)
    statuses = dict.fromkeys(["sent", "delivered", "failed", "queued", "sending"], 0)
    for status in Delivery.objects.filter(alert=alert).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "seconds": elapsed,
        "accepted": len(fake.accepted),
        "unique": len(set(fake.accepted)),
        "refused": fake.refused,
        "inversions": fake.inversions(),
        "callback_refused": fake.callback_refused,
        **{f"status_{k}": v for k, v in statuses.items()},
    }


def run_naive(fake: FakeTwilio) -> dict[str, float]:
    """The obvious script: send, sleep 1/RATE, next; on a 429 wait a second."""
    from twilio.base.exceptions import TwilioRestException

    from amparo.channels.twilio.client import twilio_client

    fake.reset()
    client = twilio_client()
    started = time.monotonic()
    i = 0
    while i < RECIPIENTS and time.monotonic() - started < TIME_LIMIT:
        try:
            client.messages.create(to=number(i), from_=FROM, body="Simulacro: redada. ¿Puedes ir?")
        except TwilioRestException as exc:
            if exc.status == 429:
                time.sleep(1.0)
                continue
            raise
        i += 1
        time.sleep(1.0 / RATE)
    return {"seconds": time.monotonic() - started, "sent": i, "refused": fake.refused}


def run(fake: FakeTwilio) -> dict[str, float]:
    """Needs Django set up with the fake's ``environment``; prints its figures."""
    from amparo.accounts.models import Network

    Network.objects.get_or_create(slug="bench-alerts", defaults={"name": "Bench alerts"})
    fake.tier_of.clear()
    callbacks = threading.Thread(target=callback_sender, args=(fake,))
    callbacks.start()
    try:
        ours = run_outbox(fake, callbacks)
    finally:
        fake.callbacks.put(None)
        callbacks.join(timeout=30)
    naive = run_naive(fake)
    minimum = RECIPIENTS / RATE
    print(
        f"recipients={RECIPIENTS} rate={RATE:g}/s burst={BURST:g} physical minimum={minimum:.1f} s"
    )
    print(
        f"outbox: {ours['seconds']:.2f} s, accepted {ours['accepted']:.0f} "
        f"(unique {ours['unique']:.0f}), 429s {ours['refused']:.0f}, "
        f"inversions {ours['inversions']:.0f}, delivered {ours['status_delivered']:.0f}, "
        f"sent {ours['status_sent']:.0f}, failed {ours['status_failed']:.0f}, "
        f"callbacks refused {ours['callback_refused']:.0f}, "
        f"left {ours['status_queued'] + ours['status_sending']:.0f}"
    )
    print(
        f"naive loop: {naive['seconds']:.2f} s, sent {naive['sent']:.0f}, "
        f"429s {naive['refused']:.0f}"
    )
    return {
        "ratio": ours["seconds"] / minimum,
        "inversions": ours["inversions"],
        "naive_ratio": naive["seconds"] / minimum,
        "vs_naive": ours["seconds"] / naive["seconds"],
        "seconds": ours["seconds"],
        "naive_seconds": naive["seconds"],
        "refused": ours["refused"],
        "naive_refused": naive["refused"],
        "delivered": ours["status_delivered"],
        "unique": ours["unique"],
        "duplicates": ours["accepted"] - ours["unique"],
    }


def main() -> None:
    import logging

    logging.getLogger("twilio").setLevel(logging.WARNING)
    with fake_twilio() as fake:
        environment(fake.base)
        from bench._setup import database_label, django_in_tempdir

        django_in_tempdir()
        f = run(fake)
    engine = f"{WORKERS} worker processes" if WORKERS else "2 threads"
    queue_kind = os.environ.get("AMPARO_HUEY_URL", "memory").split(":", 1)[0]
    print(
        f"{database_label()}, outbox drained by {engine}, queue {queue_kind}: "
        f"ratio {f['ratio']:.3f} (aim <= {AIM_RATIO}), duplicates {f['duplicates']:.0f} (must be 0)"
    )
    print(
        f"RESULT alerts_fanout: ratio={f['ratio']:.3f} aim_ratio_max={AIM_RATIO} "
        f"db={database_label()} workers={WORKERS} queue={queue_kind} "
        f"duplicates={f['duplicates']:.0f} inversions={f['inversions']:.0f} "
        f"naive_ratio={f['naive_ratio']:.3f} vs_naive={f['vs_naive']:.3f} "
        f"seconds={f['seconds']:.2f} naive_seconds={f['naive_seconds']:.2f} "
        f"refused={f['refused']:.0f} naive_refused={f['naive_refused']:.0f} "
        f"delivered={f['delivered']:.0f} unique={f['unique']:.0f}"
    )


if __name__ == "__main__":
    main()
