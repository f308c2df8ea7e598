"""Defects an independent review found in the one outbox, kept fixed: refused numbers
never open a provider's circuit, an open circuit never makes an alert final, one drain
per sender, one sweep per turn, an alert that is over sends nothing more, old failures of expired alerts
never crowd out a live one's failover, and messages with nowhere else to go retry long
enough to outlast a provider's bad minute."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from amparo.alerts import outbox
from amparo.alerts.models import Alert
from amparo.channels import outbox as engine
from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery
from amparo.channels.registry import TRANSPORTS, register_transport
from amparo.lib import queue

from .test_outbox import make_alert, make_people

S = Delivery.Status


class Refusing(Transport):
    """Every number is refused for good (a landline, a STOP at the provider)."""

    slug = "refusing"
    rate_per_second = 1000.0

    def send(self, delivery: Delivery) -> ProviderRef:
        raise TransportError("refusing: 21614 not a mobile number", permanent=True)


class Down(Transport):
    slug = "down"
    rate_per_second = 1000.0

    def send(self, delivery: Delivery) -> ProviderRef:
        raise TransportError("down: 503")


def _with(slug: str, cls: type[Transport]) -> None:
    register_transport(slug, f"{__name__}.{cls.__name__}")


def test_refused_numbers_never_open_the_circuit(network_a):
    _with("refusing", Refusing)
    try:
        for n in range(8):  # more refusals than the breaker's K (5)
            engine.outbox_write(
                network=network_a,
                channel="refusing",
                to=f"+1413555{n:04d}",
                body="hola",
                purpose="signup-confirm",
            )
        engine.outbox_drain(sender="refusing")
        assert set(Delivery.objects.values_list("status", flat=True)) == {S.FAILED}
        assert not engine.BREAKER.is_open("refusing")
    finally:
        TRANSPORTS.pop("refusing", None)


def test_an_open_circuit_holds_an_alert_text_for_later_never_drops_it(network_a, settings):
    """SMS-only people (no next channel): their texts wait for the provider, tries kept."""
    _with("down", Down)
    try:
        settings.ALERT_CIRCUIT = {"failures": 2, "window_seconds": 30, "cooldown_seconds": 60}
        people = make_people(network_a, 5)  # sms only: nowhere to fail over to
        alert, rows = make_alert(network_a, people)
        outbox.alert_rows_write(alert=alert, rows=[replace(r, channel="down") for r in rows])
        engine.outbox_drain(sender="down")
        assert engine.BREAKER.is_open("down")
        held = Delivery.objects.filter(error=engine.CIRCUIT_OPEN)
        assert held.count() == 3  # the three after the two that opened the circuit
        assert set(held.values_list("status", "attempts")) == {(S.QUEUED, 0)}
        assert all(d.due_at > timezone.now() for d in held)
        assert not Delivery.objects.filter(error__endswith=outbox.LAST_CHANNEL, status=S.FAILED)
        # once the circuit closes they are tried again
        engine.BREAKER.reset()
        Delivery.objects.filter(pk__in=held).update(due_at=timezone.now())
        assert engine.outbox_drain(sender="down") >= 3
    finally:
        TRANSPORTS.pop("down", None)


def test_one_drain_per_sender(network_a):
    delivery = engine.outbox_write(
        network=network_a, channel="sandbox", to="+14135550199", body="hola", purpose="reply"
    )
    key = "outbox-drain:sandbox"
    assert HUEY.put_if_empty(key, time.time())  # another worker is draining this number
    try:  # a second drain leaves at once
        assert engine.outbox_drain_task.call_local("sandbox") == 0
        assert Delivery.objects.get(pk=delivery.pk).status == S.QUEUED
        # a holder that died long ago does not hold the number forever
        HUEY.put(key, time.time() - engine.DRAIN_LOCK_SECONDS - 1)
        assert engine.outbox_drain_task.call_local("sandbox") == 1
    finally:
        HUEY.delete(key)
    assert HUEY.put_if_empty(key, time.time())  # the drain let go of the number
    HUEY.delete(key)
    assert Delivery.objects.get(pk=delivery.pk).status == S.SENT


def test_a_fast_sender_gets_as_many_drains_as_its_rate_needs(settings):
    """A scale-out deployment lets several drains send for one fast sender (one drain
    sends one message at a time); a slow sender never gets a second, and a slot taken
    stays taken until its drain lets go."""
    settings.OUTBOX_DRAINS_PER_SENDER = 4
    settings.OUTBOX_SEND_SECONDS = 0.04
    settings.ALERT_RATE_PER_SECOND = {"fast": 100, "slow": 1}
    assert engine.drains_for("fast") == 4  # 100/s at 0.04 s a send: 4 needed, 4 allowed
    assert engine.drains_for("slow") == 1
    settings.OUTBOX_DRAINS_PER_SENDER = 1  # the default: one worker process
    assert engine.drains_for("fast") == 1
    settings.OUTBOX_DRAINS_PER_SENDER = 3
    taken = [engine.drain_slot("fast") for _ in range(4)]
    try:
        assert [t[0] for t in taken[:3] if t] == [0, 1, 2]
        assert taken[3] is None  # as many as it may have are sending
        assert engine.drain_slot("slow") is not None
    finally:
        for key in [t[1] for t in taken if t] + ["outbox-drain:slow"]:
            HUEY.delete(key)
    assert engine.drain_slot("fast") == (0, "outbox-drain:fast")
    HUEY.delete("outbox-drain:fast")


def test_the_sweeps_run_once_a_turn_however_many_workers_tick(monkeypatch):
    """Every worker's clock ticks (Huey's periodic tasks run on each consumer) and each
    starts with a sweep: only the first in a half-minute sweeps (one escalation pass,
    one failover pass), and a turn that is over does not stop the next."""
    from amparo.core import tasks

    ran: list[int] = []

    def run_sweeps() -> dict[str, int]:
        ran.append(1)
        return {"swept": 1}

    monkeypatch.setattr(tasks, "run_sweeps", run_sweeps)
    turn = tasks.SWEEP_EVERY_SECONDS / 2
    start = (int(time.time() // turn) + 10) * turn  # the start of a window no test used
    clock = [start + 0.1]
    monkeypatch.setattr(queue, "time", SimpleNamespace(time=lambda: clock[0]))
    assert [tasks.sweep_turn() for _ in range(4)] == [{"swept": 1}, {}, {}, {}]
    clock[0] = start + turn + 0.1  # the next window: the turn is over
    assert tasks.sweep_turn() == {"swept": 1}
    assert len(ran) == 2


def test_an_alert_that_is_over_sends_nothing_more(network_a):
    people = make_people(network_a, 2)
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    first = engine.claim_next("sandbox")
    assert first is not None
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.CANCELLED)
    # a text claimed before the cancel is not sent, and fails over nowhere
    assert engine.outbox_send(delivery_id=first.delivery_id) == S.EXPIRED
    assert Delivery.objects.get(pk=first.delivery_id).error == outbox.ALERT_OVER
    assert not Delivery.objects.filter(status=S.SENT).exists()
    failed = Delivery.objects.get(pk=first.delivery_id)
    failed.status = S.FAILED
    outbox.failover(failed)
    assert Delivery.objects.count() == 2


def test_expired_alerts_failures_are_not_pending_failover(network_a):
    people = make_people(network_a, 3, email=True)
    old, old_rows = make_alert(network_a, people[:2])
    outbox.alert_rows_write(alert=old, rows=old_rows)
    live, live_rows = make_alert(network_a, people[2:])
    outbox.alert_rows_write(alert=live, rows=live_rows)
    Delivery.objects.update(status=S.FAILED, error="undelivered")
    Alert.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    pending = Delivery.objects.filter(outbox.failover_pending())
    assert set(pending.values_list("alert_id", flat=True)) == {live.pk}


def test_messages_with_nowhere_else_to_go_retry_longer_than_alerts(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 15
    settings.ALERT_RETRY_BASE_SECONDS = 5
    alone = [engine.retry_delay(n, hook=False) for n in (1, 2, 3)]
    alert = [engine.retry_delay(n, hook=True) for n in (1, 2, 3)]
    assert 7.5 <= alone[0] <= 15 and 15 <= alone[1] <= 30 and 30 <= alone[2] <= 60
    assert all(a <= 5 * 2**i for i, a in enumerate(alert))
    assert sum(alone) >= 52.5  # a half-minute outage cannot use up a reply's tries


def test_a_starting_worker_runs_both_the_outbox_and_the_escalation_hooks():
    """Huey keeps start-up hooks by function name: two of one name, and one never ran."""
    import amparo.alerts.tasks
    import amparo.channels.tasks  # noqa: F401

    assert {"_outbox_on_startup", "_escalation_on_startup"} <= set(HUEY._startup)
