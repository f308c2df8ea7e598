"""Reliability of the alert outbox: a worker killed mid-alert, a provider failing
halfway, an escalation due while no worker ran, and the last gate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from amparo.alerts import outbox
from amparo.alerts.models import Alert, AlertRecipient, EscalationStep
from amparo.alerts.tests.test_outbox import BODY, drain_all, make_alert, make_people
from amparo.channels import outbox as engine
from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery
from amparo.channels.registry import TRANSPORTS, register_transport
from amparo.channels.sandbox.models import SandboxMessage
from amparo.conftest import make_network, wait_for
from amparo.reports.services import AlertNotAllowed, ReportInput, report_submit

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 1000, "email": 1000, "flaky": 1000}
    settings.ALERT_RETRY_BASE_SECONDS = 0.01
    settings.ALERT_RETRY_CAP_SECONDS = 0.05
    settings.ALERT_CIRCUIT = {"failures": 3, "window_seconds": 30, "cooldown_seconds": 60}
    engine.BREAKER.reset()


# --- a. SIGKILL the worker five times during a 2,000-recipient alert ----------------


def worker_env() -> dict[str, str]:
    """The test's database and queue, for a worker subprocess."""
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{db['NAME']}"
    env.pop("DATABASE_URL_FILE", None)
    huey = django_settings.HUEY
    if huey.get("filename"):
        env["AMPARO_HUEY_URL"] = f"sqlite:{huey['filename']}"
    env["AMPARO_TESTING"] = "1"
    env["AMPARO_DATA_DIR"] = str(django_settings.DATA_DIR)
    env["AMPARO_ALERT_RATE_PER_SECOND"] = '{"sandbox": 400}'
    env["AMPARO_ALERT_CLAIM_LEASE_SECONDS"] = "2"
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "amparo", "worker", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.background
@pytest.mark.django_db(transaction=True)
def test_sigkill_five_times_everyone_gets_the_alert_once_or_in_flight_twice():
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    network = make_network("net-kill", "Kill")
    people = make_people(network, 2000)
    alert, rows = make_alert(network, people, tiers=4)
    env = worker_env()
    rng = random.Random(6)
    in_flight = 0

    def statuses() -> Counter[str]:
        return Counter(Delivery.objects.filter(alert=alert).values_list("status", flat=True))

    sent = Delivery.objects.filter(alert=alert, status="sent")

    worker = start_worker(env)
    try:
        outbox.alert_rows_write(alert=alert, rows=rows)  # the drain is enqueued on commit
        for _ in range(5):
            before = sent.count()
            target = before + rng.randint(1, 40)
            # Kill only once this worker is observably sending (start-up takes seconds).
            assert wait_for(lambda t=target: sent.count() >= t, timeout=60), statuses()
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            at_kill = statuses()  # a dead worker changes nothing: the state at the kill
            assert at_kill["sent"] > before  # it was sending…
            assert at_kill["queued"] + at_kill["sending"] > 0, at_kill  # …with work left
            in_flight += at_kill["sending"]
            worker = start_worker(env)
        assert wait_for(
            lambda: not Delivery.objects.filter(alert=alert).exclude(status="sent").exists(),
            timeout=120,  # a loaded machine sends some 50 a second: time, not a limit
        ), Counter(Delivery.objects.filter(alert=alert).values_list("status", flat=True))
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        HUEY.flush()
    per_delivery = Counter(
        SandboxMessage.objects.filter(delivery__alert=alert).values_list("delivery", flat=True)
    )
    assert len(per_delivery) == 2000  # every recipient got the message
    duplicates = sum(n - 1 for n in per_delivery.values())
    assert duplicates <= in_flight
    assert SandboxMessage.objects.count() == 2000 + duplicates


# --- b. the primary SMS provider fails halfway ------------------------------------


class Flaky(Transport):
    """Succeeds for the first ``ok`` sends, then times out; calls ``on_first_failure``."""

    slug = "flaky"
    rate_per_second = 1000.0
    ok = 50
    sent: list[int] = []  # noqa: RUF012 - test state
    calls = 0
    on_first_failure: Any = None

    def send(self, delivery: Delivery) -> ProviderRef:
        cls = type(self)
        cls.calls += 1
        if len(cls.sent) < cls.ok:
            cls.sent.append(delivery.recipient_id or 0)
            return ProviderRef(id=f"flaky-{delivery.pk}")
        if cls.on_first_failure is not None:
            hook, cls.on_first_failure = cls.on_first_failure, None
            hook()
        raise TransportError("flaky: timeout")


def test_provider_failing_halfway_fails_over_to_email_and_spares_who_answered(
    network_a, settings, mailoutbox
):
    register_transport("flaky", f"{__name__}.Flaky")
    Flaky.sent, Flaky.calls = [], 0
    settings.ALERT_MAX_ATTEMPTS = 4
    try:
        people = make_people(network_a, 100, email=True)
        alert, rows = make_alert(network_a, people, tiers=2)
        rows = [replace(r, channel="flaky") for r in rows]
        late = [r.recipient for r in rows[80:90]]  # not yet sent when the provider breaks

        def they_answer() -> None:  # they answer on the hotline meanwhile
            for recipient in late:
                AlertRecipient.objects.filter(pk=recipient.pk).update(status="going")
                outbox.recipient_answered_stop(recipient)

        Flaky.on_first_failure = they_answer
        outbox.alert_rows_write(alert=alert, rows=rows)
        drain_all(["flaky", "email"])
    finally:
        TRANSPORTS.pop("flaky", None)
        Flaky.on_first_failure = None
    reached_by_sms = set(Flaky.sent)
    assert len(reached_by_sms) == 50
    emailed = {m.to[0] for m in mail.outbox}
    by_email = {p.email for p, r in zip(people, [r.recipient for r in rows], strict=True)}
    answered = {people[i].email for i in range(80, 90)}
    first_half = {people[i].email for i in range(50)}
    assert emailed == by_email - answered - first_half  # the other 40, once each
    assert len(mail.outbox) == 40
    assert not Delivery.objects.filter(recipient__in=late, status="sent").exists()
    assert Flaky.calls < 50 + 3 * 4  # the circuit opened: no grinding through retries


# --- c. an escalation step due while no worker ran ---------------------------------


@pytest.mark.background
def test_escalation_due_while_no_worker_fires_soon_after_start(network_a, transactional_db):
    """The step runs through ``amparo.alerts.escalation`` (enough people are going, so
    it ends "satisfied": what matters here is when it ran)."""
    from huey.contrib.djhuey import HUEY

    people = make_people(network_a, 1)
    alert, _rows = make_alert(network_a, people)
    AlertRecipient.objects.filter(alert=alert).update(status="going")
    step = EscalationStep.objects.create(
        alert=alert,
        position=0,
        action="widen",
        params={"need": 1},
        due_at=timezone.now() - timedelta(minutes=3),  # fell due while nothing ran
    )
    autodiscover_modules("tasks")  # as `amparo worker` does: its start-up sweeps
    HUEY.flush()
    consumer = HUEY.create_consumer(
        workers=2, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.1
    )
    started = time.monotonic()
    consumer.start()
    try:
        assert wait_for(
            lambda: EscalationStep.objects.get(pk=step.pk).done_at is not None, timeout=10
        )
        assert time.monotonic() - started < 5
        assert EscalationStep.objects.get(pk=step.pk).result == "satisfied"
    finally:
        consumer.stop(graceful=True)
        HUEY.flush()


# --- d. the last gate ---------------------------------------------------------------


def test_no_alert_beyond_verifiers_for_an_unconfirmed_incident(network_a):
    report = report_submit(
        network=network_a,
        source="web",
        data=ReportInput(details={"activity": "agents"}, point={"lat": 42.2043, "lng": -72.6162}),
    )
    people = make_people(network_a, 3)
    for kind in ("squad", "legal", "members"):
        alert, rows = make_alert(network_a, people, kind=kind)
        Alert.objects.filter(pk=alert.pk).update(incident=report.incident)
        alert.refresh_from_db()
        with pytest.raises(AlertNotAllowed):
            outbox.alert_rows_write(alert=alert, rows=rows)
        assert not Delivery.objects.filter(alert=alert).exists()
        alert.delete()
    # Without an incident, a squad call-out cannot go either.
    alert, rows = make_alert(network_a, people, kind="squad")
    with pytest.raises(AlertNotAllowed):
        outbox.alert_rows_write(alert=alert, rows=rows)
    # Verifiers may be asked: that is how an incident gets confirmed.
    alert, rows = make_alert(network_a, people, kind="verification")
    Alert.objects.filter(pk=alert.pk).update(incident=report.incident)
    alert.refresh_from_db()
    assert outbox.alert_rows_write(alert=alert, rows=rows) == 3
    assert BODY
