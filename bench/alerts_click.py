"""The dispatcher's click to the first provider request of tier 1: ``python -m bench.alerts_click``.

The same machinery as ``bench.alerts_fanout``: its fake Twilio Messages API on
127.0.0.1 (token bucket, 429s), the REAL twilio_sms transport and the database token
bucket at ``BENCH_RATE`` per second. The worker is a real huey consumer (the settings'
consumer options: thread workers, poll delay at most 0.25 s) on the SQLite huey queue,
started in this process — so the figure includes the queue hop a deployment has.

``ROUNDS`` squad call-outs for a confirmed incident, each over a few hundred seeded
people (tier 1 = the handful of rapid responders within the radius; the first tier the
plan filled when it has none, as with a tiny seed). For each: t0 just
before ``alert_create`` + ``alert_launch`` (what the Respond page's "send" runs), t1
when the fake API receives the first Messages.json request to one of that alert's
numbers. Median and p95 of t1 − t0; aim p95 ≤ 1 s on SQLite.

Last line: ``RESULT alerts_click: click_p95_ms=… click_median_ms=… …``.
Bounded: each round waits at most ``ROUND_LIMIT`` s; only loopback.
Env: BENCH_CLICK_ROUNDS (20), BENCH_CLICK_PEOPLE (300), BENCH_RATE (100).
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from typing import Any

from bench.alerts_fanout import FakeTwilio, environment, fake_twilio

ROUNDS = int(os.environ.get("BENCH_CLICK_ROUNDS", "20"))
PEOPLE = int(os.environ.get("BENCH_CLICK_PEOPLE", "300"))
ROUND_LIMIT = 10.0  # seconds per round for the first request, then for the rest of it
TOTAL_LIMIT = 60.0


def use_sqlite_huey() -> None:
    """Before Django starts: a real (non-immediate) SQLite queue in the bench's data dir."""
    os.environ["AMPARO_HUEY_URL"] = "sqlite"


def _first_request(fake: FakeTwilio, numbers: set[str], since: float, limit: float) -> float | None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with fake.lock:
            hit = next((t for t, to in fake.arrivals if t >= since and to in numbers), None)
        if hit is not None:
            return hit
        time.sleep(0.002)
    return None


def run(fake: FakeTwilio) -> dict[str, float]:
    """Needs Django set up with the fake's ``environment`` and ``use_sqlite_huey``."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from amparo.accounts.models import User
    from amparo.accounts.services import network_create
    from amparo.alerts.models import AlertKind
    from amparo.alerts.services import alert_create, alert_launch
    from amparo.channels.models import Delivery
    from amparo.people.models import Person
    from amparo.reports.models import Incident, IncidentStatus
    from bench.alerts_plan import CENTER, _seed

    if HUEY.immediate:
        raise RuntimeError("the click bench needs a real queue: call use_sqlite_huey() first")
    network = network_create(slug="bench-click", name="Bench click")
    _seed(network, PEOPLE)
    dispatcher = User.objects.create_user("dispatcher@bench.invalid", "bench-password-x1")
    verifier = Person.objects.create(network=network, name="Verifier", status="active")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
    consumer.start()
    latencies: list[float] = []
    tier1: list[int] = []
    first_tiers: list[int] = []
    missed = 0
    started = time.monotonic()
    try:
        time.sleep(0.5)  # the consumer's start-up sweep
        for _ in range(ROUNDS):
            if time.monotonic() - started > TOTAL_LIMIT:
                break
            incident = Incident.objects.create(
                network=network,
                status=IncidentStatus.CONFIRMED,
                point={"lat": CENTER[0], "lng": CENTER[1]},
                confirmed_by=verifier,
            )
            t0 = time.monotonic()
            alert = alert_create(
                network=network, kind=AlertKind.SQUAD, actor=dispatcher, incident=incident
            )
            alert = alert_launch(alert=alert, actor=dispatcher)
            rows = Delivery.objects.filter(alert=alert)
            # the first tier the plan filled (tier 1 unless no rapid responder is near:
            # a small seed, or a plan rule that changed — then the click still counts)
            first = rows.order_by("tier").values_list("tier", flat=True).first()
            if first is None:
                missed += 1  # the plan found nobody to send to
                continue
            first_tiers.append(first)
            numbers = {str(d.to_address) for d in rows.filter(tier=first)}  # opened, not sealed
            tier1.append(len(numbers))
            t1 = _first_request(fake, numbers, t0, ROUND_LIMIT)
            if t1 is None:
                missed += 1
            else:
                latencies.append(t1 - t0)
            deadline = time.monotonic() + ROUND_LIMIT  # let the alert finish: rounds apart
            while rows.filter(status__in=["queued", "sending"]).exists():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if not latencies:
        raise RuntimeError(
            f"no alert reached the fake provider ({missed} rounds missed; "
            f"first tiers {sorted(set(first_tiers))})"
        )
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "click_median_ms": statistics.median(ordered) * 1000,
        "click_p95_ms": p95 * 1000,
        "click_max_ms": ordered[-1] * 1000,
        "click_rounds": float(len(latencies)),
        "click_missed": float(missed),
        "click_tier1_median": float(statistics.median(tier1)),
        "click_first_tier": float(max(first_tiers)),
    }


def report(figures: dict[str, Any]) -> None:
    print(
        f"click to first provider request (tier {figures['click_first_tier']:.0f}, "
        f"{figures['click_rounds']:.0f} rounds, "
        f"tier of ~{figures['click_tier1_median']:.0f}): "
        f"median {figures['click_median_ms']:.0f} ms, p95 {figures['click_p95_ms']:.0f} ms, "
        f"max {figures['click_max_ms']:.0f} ms, missed {figures['click_missed']:.0f}"
    )


def main() -> None:
    import logging

    logging.getLogger("twilio").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
    with fake_twilio() as fake:
        environment(fake.base)
        use_sqlite_huey()
        from bench._setup import database_label, django_in_tempdir

        django_in_tempdir()
        figures = run(fake)
    report(figures)
    print(
        f"RESULT alerts_click: click_p95_ms={figures['click_p95_ms']:.0f} aim_click_p95_ms_max=1000 "
        f"db={database_label()} "
        f"click_median_ms={figures['click_median_ms']:.0f} "
        f"click_max_ms={figures['click_max_ms']:.0f} rounds={figures['click_rounds']:.0f} "
        f"missed={figures['click_missed']:.0f}"
    )


if __name__ == "__main__":
    main()
