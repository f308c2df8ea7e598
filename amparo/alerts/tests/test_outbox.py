"""The alert outbox: one write, tier order per sender, pacing, retries, failover, stop."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.alerts import escalation, outbox
from amparo.alerts.models import Alert, AlertKind, AlertRecipient, EscalationStep
from amparo.alerts.outbox import Row
from amparo.channels import outbox as engine
from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery
from amparo.channels.registry import TRANSPORTS, register_transport
from amparo.channels.sandbox.models import SandboxMessage
from amparo.people.models import Person, PersonPhone

BODY = "Raid reported near the plaza: can you go?"


def make_people(network: Network, n: int, *, email: bool = False) -> list[Person]:
    """Fast: people and phones in bulk (keys are created by pre_save)."""
    people = Person.objects.bulk_create(
        [
            Person(
                network=network,
                name=f"Responder {i}",
                email=f"r{i}@example.org" if email else "",
                language="es",
                channel_order=["sms", "email"],
            )
            for i in range(n)
        ],
        batch_size=500,
    )
    if not people[0].pk:  # backends without RETURNING ids
        people = list(Person.objects.filter(network=network).order_by("pk"))
    PersonPhone.objects.bulk_create(
        [
            PersonPhone(person=p, number=f"+1413{2000000 + i:07d}", is_primary=True)
            for i, p in enumerate(people)
        ],
        batch_size=500,
    )
    return people


def make_alert(
    network: Network, people: list[Person], *, tiers: int = 1, kind: str = "verification"
) -> tuple[Alert, list[Row]]:
    alert = Alert.objects.create(
        network=network,
        kind=kind,
        status=Alert.Status.SENDING,
        templates={"es": BODY},
        expires_at=timezone.now() + timedelta(hours=2),
    )
    size = max(1, -(-len(people) // tiers))
    recipients = AlertRecipient.objects.bulk_create(
        [
            AlertRecipient(alert=alert, person=p, tier=1 + i // size, language="es")
            for i, p in enumerate(people)
        ],
        batch_size=500,
    )
    if not recipients[0].pk:
        recipients = list(AlertRecipient.objects.filter(alert=alert).order_by("pk"))
    rows = [
        Row(r, p, "sandbox", f"+1413{2000000 + i:07d}", BODY, "es", r.tier, 0)
        for i, (r, p) in enumerate(zip(recipients, people, strict=True))
    ]
    return alert, rows


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 1000, "email": 1000, "flaky": 1000}
    settings.ALERT_RETRY_BASE_SECONDS = 0.01
    settings.ALERT_RETRY_CAP_SECONDS = 0.05
    settings.ALERT_CIRCUIT = {"failures": 3, "window_seconds": 30, "cooldown_seconds": 60}
    engine.BREAKER.reset()


def drain_all(senders: list[str], rounds: int = 50) -> None:
    """Drain in this process until nothing is queued (retries wait a few ms)."""
    import time

    for _ in range(rounds):
        for sender in senders:
            engine.outbox_drain(sender=sender)
        engine.outbox_sweep()
        if not Delivery.objects.filter(status__in=["queued", "sending"]).exists():
            return
        time.sleep(0.02)


def test_write_is_one_idempotent_bulk_of_first_choices(
    network_a, django_capture_on_commit_callbacks
):
    people = make_people(network_a, 5)
    alert, rows = make_alert(network_a, people)
    rows.append(Row(rows[0].recipient, people[0], "email", "x@example.org", BODY, "es", 1, 1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox.alert_rows_write(alert=alert, rows=rows) == 5
    assert len(callbacks) == 1
    assert outbox.alert_rows_write(alert=alert, rows=rows) == 0
    deliveries = Delivery.objects.filter(alert=alert)
    assert deliveries.count() == 5
    assert set(deliveries.values_list("channel_rank", "sender", "expires_at")) == {
        (0, "sandbox", alert.expires_at)
    }


def test_sent_in_tier_order_and_paced(network_a, settings):
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 50}
    people = make_people(network_a, 30)
    alert, rows = make_alert(network_a, people, tiers=3)
    rows.reverse()  # written highest tier first: order comes from the claim, not the insert
    outbox.alert_rows_write(alert=alert, rows=rows)
    engine.outbox_drain(sender="sandbox")
    sent = list(Delivery.objects.filter(alert=alert).order_by("sent_at", "id"))
    assert all(d.status == "sent" for d in sent)
    tiers = [d.tier for d in sent]
    assert tiers == sorted(tiers)
    slots = sorted(d.claimed_at for d in sent)
    gaps = [(b - a).total_seconds() for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 0.0199  # 50 per second, never faster
    assert SandboxMessage.objects.count() == 30


def test_no_drain_sends_a_tier_while_another_still_holds_an_earlier_one(network_a):
    """Two drains across a tier boundary: the second gets no tier-2 row while the
    first's tier-1 rows are claimed and unsent (descheduled past their slots, it would
    send them after); once they are sent it does, and a drain TIER_HOLD past its slot
    (it may have died) holds the next tier back no longer."""
    people = make_people(network_a, 6)
    alert, rows = make_alert(network_a, people, tiers=3)
    outbox.alert_rows_write(alert=alert, rows=rows)
    first = engine.claim_batch("sandbox", 2)
    assert {Delivery.objects.get(pk=c.delivery_id).tier for c in first} == {1}
    assert engine.claim_batch("sandbox", 2) == []  # not tier 2 before tier 1 is out
    bulk, bulk_rows = make_alert(network_a, people[:2], kind=AlertKind.MEMBERS)
    outbox.alert_rows_write(alert=bulk, rows=bulk_rows)
    assert engine.claim_batch("sandbox", 2) == []  # nor a member alert's text meanwhile
    for claim in first:
        engine.outbox_send(delivery_id=claim.delivery_id)
    second = engine.claim_batch("sandbox", 2)  # this drain then dies
    assert {Delivery.objects.get(pk=c.delivery_id).tier for c in second} == {2}
    assert engine.claim_batch("sandbox", 2) == []
    ids = [c.delivery_id for c in second]
    Delivery.objects.filter(pk__in=ids).update(
        claimed_at=timezone.now() - engine.TIER_HOLD - timedelta(seconds=1)
    )
    late = engine.claim_batch("sandbox", 2)  # so late it may have died: no longer held up
    assert [Delivery.objects.get(pk=c.delivery_id).tier for c in late] == [3, 3]
    Delivery.objects.filter(pk__in=ids).update(
        claimed_at=timezone.now() - engine.claim_lease() - timedelta(seconds=1)
    )
    again = engine.claim_batch("sandbox", 2)  # the abandoned tier 2, once its lease is over
    assert [Delivery.objects.get(pk=c.delivery_id).tier for c in again] == [2, 2]


def test_transient_errors_retry_with_backoff_then_fail_over(network_a, settings, mailoutbox):
    settings.ALERT_MAX_ATTEMPTS = 3
    people = make_people(network_a, 1, email=True)
    alert, rows = make_alert(network_a, people)
    recipient, person = rows[0].recipient, rows[0].person
    rows = [Row(recipient, person, "sandbox", "+14135559998", BODY, "es", 1, 0)]  # transient
    outbox.alert_rows_write(alert=alert, rows=rows)
    drain_all(["sandbox", "email"])
    first = Delivery.objects.get(recipient=recipient, channel="sandbox")
    assert (first.status, first.attempts) == ("failed", 3)
    second = Delivery.objects.get(recipient=recipient, channel="email")
    assert (second.status, second.channel_rank) == ("sent", 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["r0@example.org"]


def test_retry_delay_is_capped_and_jittered(settings):
    settings.ALERT_RETRY_BASE_SECONDS = 5
    settings.ALERT_RETRY_CAP_SECONDS = 60
    delays = {round(engine.retry_delay(1), 3) for _ in range(20)}
    assert len(delays) > 1 and all(2.5 <= d <= 5 for d in delays)
    assert all(30 <= engine.retry_delay(10) <= 60 for _ in range(20))


def test_an_answer_stops_every_channel(network_a):
    people = make_people(network_a, 3)
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    recipient = rows[0].recipient
    AlertRecipient.objects.filter(pk=recipient.pk).update(status="going")
    assert outbox.recipient_answered_stop(recipient) == 1
    engine.outbox_drain(sender="sandbox")
    assert Delivery.objects.get(recipient=recipient).status == "expired"
    assert Delivery.objects.filter(alert=alert, status="sent").count() == 2


def test_answer_checked_before_each_send(network_a):
    people = make_people(network_a, 1)
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    AlertRecipient.objects.update(status="not_going")  # answered, stop not called
    engine.outbox_drain(sender="sandbox")
    assert Delivery.objects.get().status == "expired"
    assert not SandboxMessage.objects.exists()


def test_stale_alerts_expire_instead_of_arriving_late(network_a):
    people = make_people(network_a, 2)
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    Delivery.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    engine.outbox_drain(sender="sandbox")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"expired"}


def test_no_receipt_in_time_fails_over(network_a, settings):
    settings.ALERT_RECEIPT_TRANSPORTS = ["sandbox"]
    settings.ALERT_RECEIPT_MINUTES = 5
    people = make_people(network_a, 1, email=True)
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    engine.outbox_drain(sender="sandbox")
    Delivery.objects.update(sent_at=timezone.now() - timedelta(minutes=6))
    assert engine.outbox_sweep() == ["email"]
    assert Delivery.objects.get(channel="sandbox").error == engine.NO_RECEIPT
    assert Delivery.objects.get(channel="email").status == "queued"


class Broken(Transport):
    slug = "broken"
    rate_per_second = 1000.0

    def send(self, delivery: Delivery) -> ProviderRef:
        raise TransportError("broken: down")


def test_circuit_breaker_fails_over_immediately(network_a, settings, mailoutbox):
    register_transport("broken", f"{__name__}.Broken")
    try:
        settings.ALERT_MAX_ATTEMPTS = 10
        people = make_people(network_a, 8, email=True)
        alert, rows = make_alert(network_a, people)
        rows = [replace(r, channel="broken") for r in rows]
        outbox.alert_rows_write(alert=alert, rows=rows)
        drain_all(["broken", "email"])
        assert engine.BREAKER.is_open("broken")
        broken = Delivery.objects.filter(channel="broken")
        # Three real failures opened the circuit; nobody waited through 10 attempts.
        assert sum(d.attempts for d in broken) < 3 + 8 * 2
        # The provider is down, not the messages: they wait for the circuit to close
        # (their tries not spent) while the next channel already went out.
        assert set(broken.values_list("status", flat=True)) == {"queued"}
        assert set(broken.values_list("error", flat=True)) == {engine.CIRCUIT_OPEN}
        assert all(d.due_at > timezone.now() for d in broken)
        assert len(mail.outbox) == 8
    finally:
        TRANSPORTS.pop("broken", None)


def test_escalation_sweep_claims_due_steps_once(network_a):
    people = make_people(network_a, 1)
    alert, _rows = make_alert(network_a, people)
    AlertRecipient.objects.filter(alert=alert).update(status="going")
    now = timezone.now()
    due = EscalationStep.objects.create(
        alert=alert,
        position=0,
        action="widen",
        params={"need": 1},
        due_at=now - timedelta(seconds=1),
    )
    EscalationStep.objects.create(
        alert=alert, position=1, action="widen", due_at=now + timedelta(hours=1)
    )
    assert escalation.escalation_sweep() == 1
    assert escalation.escalation_sweep() == 0
    assert EscalationStep.objects.get(pk=due.pk).result == "satisfied"


def test_rate_defaults_to_the_transport(settings):
    settings.ALERT_RATE_PER_SECOND = {}
    assert engine.rate_for("sandbox") == 100.0
    assert engine.rate_for("twilio_sms:+14135550100") == 1.0


def test_a_failed_status_callback_fails_over_on_the_sweep(network_a):
    people = make_people(network_a, 2, email=True)
    people[1].email = ""  # no next channel
    people[1].save(update_fields=["email", "email_index"])
    alert, rows = make_alert(network_a, people)
    outbox.alert_rows_write(alert=alert, rows=rows)
    engine.outbox_drain(sender="sandbox")
    Delivery.objects.update(status="failed", error="twilio: undelivered 30003")  # the callback
    assert engine.outbox_sweep() == ["email"]
    assert Delivery.objects.filter(channel="email").count() == 1
    assert Delivery.objects.get(person=people[1]).error.endswith(outbox.LAST_CHANNEL)
    assert engine.outbox_sweep() == ["email"]  # nothing new: each failover happens once
    assert Delivery.objects.count() == 3
