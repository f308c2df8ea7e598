"""Store and go: a signed SMS webhook (and a status callback) makes one write and
answers; the handling happens in a worker, once, and the sweeper finds what a lost
task left behind (issue 16)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.channels.models import Delivery, InboundMessage, ProviderDeletion
from amparo.channels.outbox import outbox_write
from amparo.channels.services import inbound_handle, inbound_pending, inbound_store
from amparo.channels.tasks import sweep
from amparo.channels.twilio import cleanup
from amparo.conftest import send_now, wait_for
from amparo.tests.factories import PersonFactory

from .conftest import CALLER, HOTLINE, twilio_post

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def text(sid: str, body: str, *, worker: bool = False) -> Any:
    params = {"MessageSid": sid, "From": CALLER, "To": HOTLINE, "Body": body}
    return twilio_post("twilio_sms", params, worker=worker)


@pytest.mark.django_db
def test_the_webhook_writes_one_sealed_row_and_a_worker_handles_it(
    twilio_settings: Any, network_a: Any
) -> None:
    person = PersonFactory.create(network=network_a, name="Rosa", phone=CALLER)
    sid = "SM" + "c" * 32
    with CaptureQueriesContext(connection) as queries:
        response = text(sid, "STOP")
    assert response.status_code == 200
    assert response.content.decode().strip().endswith("<Response />")
    writes = _writes(queries)
    assert len(writes) == 1 and "channels_inboundmessage" in writes[0], writes
    # stored, sealed, not handled yet: no opt-out, no reply, Twilio's copy still there
    message = InboundMessage.objects.get()
    assert message.handled_at is None and message.handled_by == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, from_address FROM channels_inboundmessage")
        body, sender = cursor.fetchone()
    assert "STOP" not in str(body) and CALLER not in str(sender)
    person.refresh_from_db()
    assert person.opted_out_at is None
    assert not Delivery.objects.exists() and not ProviderDeletion.objects.exists()
    # Twilio retries the same MessageSid: one refused insert, still one row
    assert text(sid, "STOP").status_code == 200
    assert InboundMessage.objects.count() == 1

    # the worker: handled once, even when its task runs twice
    assert inbound_handle(message_id=message.pk) == "people.optout"
    assert inbound_handle(message_id=message.pk) is None
    person.refresh_from_db()
    message.refresh_from_db()
    assert person.opted_out_at is not None
    assert message.handled_at is not None and message.handled_by == "people.optout"
    assert Delivery.objects.filter(purpose="reply", channel="twilio_sms").count() == 1
    deletion = ProviderDeletion.objects.get(provider_ref=sid)
    assert deletion.direction == "in" and deletion.network_id == network_a.pk


@pytest.mark.django_db
def test_a_failing_handling_rolls_back_and_stays_pending(
    twilio_settings: Any, network_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    PersonFactory.create(network=network_a, name="Rosa", phone=CALLER)
    text("SM" + "d" * 32, "STOP")
    message = InboundMessage.objects.get()

    def outbox_down(**_kwargs: Any) -> None:
        raise RuntimeError("the worker died here")

    monkeypatch.setattr("amparo.channels.services.outbox_write", outbox_down)
    with pytest.raises(RuntimeError):
        inbound_handle(message_id=message.pk)
    message.refresh_from_db()
    assert message.handled_at is None  # the claim rolled back with the rest
    assert not ProviderDeletion.objects.exists()
    later = message.received_at + timedelta(minutes=1)
    assert inbound_pending(now=later) == [message.pk]
    assert inbound_pending(now=message.received_at + timedelta(seconds=1)) == []  # fast path's


@pytest.mark.django_db
def test_a_status_callback_writes_only_its_delivery_and_the_sweep_schedules_the_deletion(
    twilio_settings: Any, network_a: Any
) -> None:
    delivery = outbox_write(
        network=network_a, channel="twilio_sms", to="+16175550123", body="Hola", purpose="message"
    )
    assert send_now(delivery) == Delivery.Status.SENT
    delivery.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        response = twilio_post(
            "twilio_status",
            {"MessageSid": delivery.provider_ref, "MessageStatus": "delivered"},
            worker=False,
        )
    assert response.status_code == 204
    writes = _writes(queries)
    assert len(writes) == 1 and "channels_delivery" in writes[0], writes
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED
    # its schedule_task was lost: the sweep's look at final texts finds it
    assert not ProviderDeletion.objects.exists()
    assert cleanup.final_sent_schedule() == 1
    row = ProviderDeletion.objects.get(provider_ref=delivery.provider_ref)
    assert row.direction == "out" and row.due_at >= timezone.now() + timedelta(seconds=60)
    assert cleanup.final_sent_schedule() == 0


@pytest.mark.background
def test_a_worker_handles_the_text_and_the_sweeper_a_lost_one(
    huey_consumer: Any, twilio_settings: Any, network_a: Any
) -> None:
    PersonFactory.create(network=network_a, name="Rosa", phone=CALLER)
    text("SM" + "e" * 32, "STOP")  # the fast path: the task enqueued on commit
    first = InboundMessage.objects.get()
    assert wait_for(lambda: InboundMessage.objects.get(pk=first.pk).handled_at is not None)
    assert InboundMessage.objects.get(pk=first.pk).handled_by == "people.optout"

    # stored, then the process died before its task was enqueued
    lost = inbound_store(
        network_id=network_a.pk,
        channel="twilio_sms",
        from_address=CALLER,
        body="START",
        provider_ref="SM" + "f" * 32,
    )
    assert lost is not None
    InboundMessage.objects.filter(pk=lost.pk).update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    assert sweep() >= 1
    assert wait_for(lambda: InboundMessage.objects.get(pk=lost.pk).handled_at is not None)
    assert InboundMessage.objects.get(pk=lost.pk).handled_by == "people.optout"
    assert Delivery.objects.filter(purpose="reply").count() == 2
