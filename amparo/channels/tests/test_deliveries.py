from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from amparo.channels import inbound, outbox
from amparo.channels.base import ProviderRef, Transport, TransportError
from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.outbox import (
    claim_batch,
    claim_lease,
    claim_next,
    outbox_drain,
    outbox_sweep,
    outbox_write,
)
from amparo.channels.registry import UnknownTransport, get_transport, register_transport
from amparo.channels.services import inbound_receive
from amparo.conftest import send_now

NUMBER = "+14135550142"


def _send(network, to=NUMBER, **kwargs):
    return outbox_write(
        network=network, channel="sandbox", to=to, body="hola", purpose="message", **kwargs
    )


def _write(network, channel):
    return outbox_write(network=network, channel=channel, to=NUMBER, body="x", purpose="message")


@pytest.mark.django_db
def test_a_delivery_is_saved_before_sending_and_then_sent(network_a):
    delivery = _send(network_a)
    assert Delivery.objects.get(pk=delivery.pk).status == "queued"
    assert send_now(delivery) == "sent"
    sent = Delivery.objects.get(pk=delivery.pk)
    assert sent.attempts == 1 and sent.provider_ref.startswith("sandbox-") and sent.sent_at
    # a second attempt finds nothing to do: a message is never sent twice
    assert outbox_drain(sender=delivery.sender) == 0
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


@pytest.mark.django_db
def test_only_one_worker_can_claim_a_delivery(network_a):
    delivery = _send(network_a)
    claim = claim_next(delivery.sender)
    assert claim is not None and claim.delivery_id == delivery.pk
    assert claim_next(delivery.sender) is None


@pytest.mark.django_db
def test_a_batch_claim_takes_rows_once_in_order_with_paced_slots(network_a, settings):
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 0.5}  # slots 2 s apart
    rows = [_send(network_a, to=f"+1413555015{i}") for i in range(3)]
    first = claim_batch("sandbox", 2)
    assert [c.delivery_id for c in first] == [rows[0].pk, rows[1].pk]
    assert first[1].slot - first[0].slot == timedelta(seconds=2)
    rest = claim_batch("sandbox", 2)
    assert [c.delivery_id for c in rest] == [rows[2].pk]
    assert rest[0].slot - first[1].slot == timedelta(seconds=2)
    assert claim_batch("sandbox", 2) == []  # each row claimed once
    claimed = Delivery.objects.filter(pk__in=[r.pk for r in rows])
    assert {(d.status, d.attempts) for d in claimed} == {("sending", 1)}
    assert sorted(d.claimed_at for d in claimed) == [c.slot for c in first + rest]


@pytest.mark.django_db
def test_a_drain_fallen_behind_its_slots_gives_the_rest_back(network_a, settings, monkeypatch):
    """A drain held up (one slow send) does not then send its batch's later rows in a
    burst, late: they go back to the queue and get fresh slots."""
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 1}
    settings.OUTBOX_DRAINS_PER_SENDER, settings.OUTBOX_SEND_SECONDS = 3, 3  # batches of 3
    rows = [_send(network_a, to=f"+1413555016{i}") for i in range(3)]
    seen: list[tuple[int, float, int]] = []  # row, seconds after its slot, tries
    with time_machine.travel(timezone.now(), tick=False) as clock:
        monkeypatch.setattr(outbox.time, "sleep", clock.shift)

        def send(*, delivery_id: int) -> str:
            row = Delivery.objects.get(pk=delivery_id)
            seen.append((row.pk, (timezone.now() - row.claimed_at).total_seconds(), row.attempts))
            row.status = "sent"
            row.save(update_fields=["status"])
            clock.shift(5 if len(seen) == 1 else 0)  # the first send takes 5 s
            return "sent"

        monkeypatch.setattr(outbox, "outbox_send", send)
        assert outbox_drain(sender="sandbox") == 3
    assert [pk for pk, _, _ in seen] == [r.pk for r in rows]  # in order, each once
    assert all(late <= 1 for _, late, _ in seen), seen  # none sent long after its slot
    assert {tries for _, _, tries in seen} == {1}  # a row given back keeps its try


@pytest.mark.django_db
def test_a_late_drain_gives_back_only_rows_still_its_own(network_a, settings):
    """Drain A stalls past the lease, B takes A's rows back as abandoned: A, going on,
    must not hand B's claim back to the queue (a third drain would send it again)."""
    settings.ALERT_RATE_PER_SECOND = {"sandbox": 1}
    rows = [_send(network_a, to=f"+1413555017{i}") for i in range(2)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        a = claim_batch("sandbox", 2)
        clock.shift(claim_lease() + timedelta(seconds=5))
        b = claim_batch("sandbox", 2)
        assert [c.delivery_id for c in b] == [r.pk for r in rows]
        assert outbox.claims_release(a[1:]) == 0
        assert outbox.claims_release(b[1:]) == 1  # B's own: given back, try not spent
    first, second = (Delivery.objects.get(pk=r.pk) for r in rows)
    assert (first.status, first.attempts) == ("sending", 2)
    assert (second.status, second.attempts, second.claimed_at) == ("queued", 1, None)


@pytest.mark.django_db
def test_transient_errors_retry_with_backoff_then_fail(network_a):
    delivery = _send(network_a, to="+14135559998")
    assert send_now(delivery) == "queued"
    first = Delivery.objects.get(pk=delivery.pk)
    assert first.error and first.due_at > timezone.now()
    assert outbox_drain(sender=delivery.sender) == 0  # not due yet
    for _ in range(first.max_attempts - 1):
        with time_machine.travel(
            Delivery.objects.get(pk=delivery.pk).due_at + timedelta(seconds=1)
        ):
            status = send_now(delivery)
    assert status == "failed"
    assert Delivery.objects.get(pk=delivery.pk).attempts == first.max_attempts


@pytest.mark.django_db
def test_permanent_errors_are_not_retried(network_a):
    delivery = _send(network_a, to="+14135559999")
    assert send_now(delivery) == "failed"
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


@pytest.mark.django_db
def test_stale_alerts_expire_instead_of_arriving_late(network_a):
    delivery = _send(network_a, expires_at=timezone.now() + timedelta(minutes=10))
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert send_now(delivery) == "expired"


@pytest.mark.django_db
def test_sweep_finds_due_and_abandoned_deliveries(network_a):
    due = _send(network_a)
    later = _send(network_a, due_at=timezone.now() + timedelta(hours=1))
    crashed = _send(network_a)
    Delivery.objects.filter(pk=crashed.pk).update(  # a worker claimed it, then died
        status="sending", claimed_at=timezone.now(), attempts=1
    )
    assert outbox_sweep() == ["sandbox"]  # the due row's sender
    Delivery.objects.filter(pk=due.pk).update(status="sent")
    assert outbox_sweep() == []  # neither the later row nor the fresh claim
    with time_machine.travel(timezone.now() + claim_lease() + timedelta(seconds=1)):
        assert outbox_sweep() == ["sandbox"]
        claim = claim_next("sandbox")
        assert claim is not None and claim.delivery_id == crashed.pk
        assert Delivery.objects.get(pk=crashed.pk).attempts == 2
        assert outbox_sweep() == []
    assert Delivery.objects.get(pk=later.pk).status == "queued"  # not due for an hour


@pytest.mark.django_db
def test_unknown_channel_fails_before_saving(network_a):
    with pytest.raises(UnknownTransport):
        _write(network_a, "pigeon")
    assert not Delivery.objects.exists()


class ExplodingTransport(Transport):
    slug = "exploding"

    def send(self, delivery):
        raise TransportError("provider said no", permanent=True)


class EchoTransport(Transport):
    slug = "echo"

    def send(self, delivery):
        return ProviderRef(id=f"echo-{delivery.pk}")


@pytest.mark.django_db
def test_registry_loads_transports_lazily_by_dotted_path(network_a):
    register_transport("echo", f"{__name__}.EchoTransport")
    register_transport("exploding", f"{__name__}.ExplodingTransport")
    assert isinstance(get_transport("echo"), EchoTransport)
    d = _write(network_a, "exploding")
    assert send_now(d) == "failed"
    assert Delivery.objects.get(pk=d.pk).error == "provider said no"


SEEN: list[str] = []


def ping(message):
    SEEN.append(message.body)
    if message.body.strip().upper() == "PING":
        return inbound.Handled(handler="test-ping", reply="PONG", language="en")
    return None


def broken(message):
    raise RuntimeError("bug")


def test_the_inbound_table_in_its_order(settings):
    """The order is the policy: STOP/START before anything; an open alert's YES before a
    sign-up's; a hearing's "CORTE 4821" and "NO CORTE 4821" before a verifier's "NO 4821"; a verifier's "NO 4821" after the alerts (which leave it alone); a playbook step's
    "PB1234" before an event invitation's YES/NO, which comes after all of those; a rota's
    "APOYO 12" after REPORT; REPORT before the hotline's catch-all, which
    is last."""
    assert [path for path, _claims in settings.INBOUND_HANDLERS] == [
        "amparo.people.optout.optout_inbound",
        "amparo.alerts.answers.alert_answer_inbound",
        "amparo.people.signup.signup_inbound",
        "amparo.hotline.shifts.swaps.swap_inbound",
        "amparo.hearings.inbound.hearings_inbound",
        "amparo.reports.verification.verify_inbound",
        "amparo.playbooks.services.step_inbound",
        "amparo.people.events.events_inbound",
        "amparo.reports.sms.report_inbound",
        "amparo.support.services.rota_inbound",
        "amparo.hotline.keywords.hotline_inbound",
    ]
    for path, claims in settings.INBOUND_HANDLERS:
        assert callable(inbound.handler_load(path)) and claims, path


@pytest.mark.django_db
def test_inbound_is_stored_once_per_provider_id_and_handled(network_a, settings):
    settings.INBOUND_HANDLERS = [(f"{__name__}.ping", "PING")]
    SEEN.clear()
    first = inbound_receive(
        network=network_a,
        channel="sandbox",
        from_address=NUMBER,
        body="ping",
        provider_ref="p1",
    )
    again = inbound_receive(
        network=network_a,
        channel="sandbox",
        from_address=NUMBER,
        body="ping",
        provider_ref="p1",
    )
    assert again.pk == first.pk and InboundMessage.objects.count() == 1
    assert SEEN == ["ping"]
    assert InboundMessage.objects.get().handled_by == "test-ping"
    reply = Delivery.objects.get(purpose="reply")
    assert reply.body == "PONG" and reply.to_address == NUMBER


@pytest.mark.django_db
def test_a_broken_handler_does_not_lose_the_message(network_a, settings):
    settings.INBOUND_HANDLERS = [(f"{__name__}.broken", "bug"), (f"{__name__}.ping", "PING")]
    SEEN.clear()
    message = inbound_receive(
        network=network_a, channel="sandbox", from_address=NUMBER, body="hola"
    )
    assert InboundMessage.objects.get(pk=message.pk).body == "hola"
    assert SEEN == ["hola"]  # the handlers after the broken one still ran


class BuggyTransport(Transport):
    slug = "buggy"

    def send(self, delivery):
        raise KeyError("a bug, with +14135550142 in its message")


@pytest.mark.django_db
def test_an_unexpected_error_is_retried_a_bounded_number_of_times_then_fails(network_a):
    register_transport("buggy", f"{__name__}.BuggyTransport")
    d = _write(network_a, "buggy")
    assert send_now(d) == "queued"
    assert Delivery.objects.get(pk=d.pk).error == "unexpected KeyError"  # no message text
    for _ in range(10):
        due = Delivery.objects.get(pk=d.pk).due_at
        with time_machine.travel(due + timedelta(seconds=1)):
            send_now(d)
    final = Delivery.objects.get(pk=d.pk)
    assert final.status == "failed" and final.attempts == final.max_attempts


@pytest.mark.django_db
def test_an_abandoned_claim_without_attempts_left_is_failed_not_retried(network_a):
    d = _send(network_a)
    Delivery.objects.filter(pk=d.pk).update(
        status="sending", attempts=4, max_attempts=4, claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert outbox_sweep() == []
    assert Delivery.objects.get(pk=d.pk).status == "failed"
    assert outbox_drain(sender=d.sender) == 0
