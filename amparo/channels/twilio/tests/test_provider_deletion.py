"""Provider minimisation: texts are deleted at Twilio once final (cleanup.py), against
the fake Twilio API; and each kind of text is sent with the shortest useful validity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amparo.channels.models import Delivery, InboundMessage, ProviderDeletion
from amparo.channels.outbox import outbox_write
from amparo.channels.twilio import cleanup
from amparo.channels.twilio.transport import VALIDITY_SECONDS, validity_seconds
from amparo.conftest import send_now

from .conftest import CALLER, HOTLINE, twilio_post

pytestmark = pytest.mark.django_db

TO = "+14135550111"


def sent_text(network: Any, body: str = "Hola", **fields: Any) -> Delivery:
    fields.setdefault("purpose", "message")
    delivery = outbox_write(network=network, channel="twilio_sms", to=TO, body=body, **fields)
    assert send_now(delivery) == Delivery.Status.SENT
    delivery.refresh_from_db()
    return delivery


def status(sid: str, value: str) -> Any:
    return twilio_post("twilio_status", {"MessageSid": sid, "MessageStatus": value})


def deletes(fake: Any) -> list[str]:
    return [path for method, path in fake.requests if method == "DELETE" and "/Messages/" in path]


def later(row: ProviderDeletion, seconds: float = 1) -> Any:
    return ProviderDeletion.objects.get(pk=row.pk).due_at + timedelta(seconds=seconds)


@pytest.mark.parametrize("final", ["delivered", "undelivered", "failed"])
def test_a_sent_text_is_deleted_at_twilio_once_it_is_final(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, final: str
) -> None:
    delivery = sent_text(network_a)
    sid = delivery.provider_ref
    assert status(sid, "sent").status_code == 204  # not final: nothing yet
    assert not ProviderDeletion.objects.exists()
    assert status(sid, final).status_code == 204
    row = ProviderDeletion.objects.get()
    assert row.provider_ref == sid and row.direction == "out"
    assert row.network_id == network_a.pk
    # Twilio refuses to delete a message in its first minute: not due yet
    assert row.due_at >= timezone.now() + timedelta(seconds=60)
    assert cleanup.run(deletion_id=row.pk) == ""
    assert deletes(fake_twilio) == []

    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert fake_twilio.deleted_messages == [sid]
    # Twilio sends the callback again: still one row, never a second DELETE
    assert status(sid, final).status_code == 204
    assert ProviderDeletion.objects.count() == 1
    assert cleanup.run(deletion_id=row.pk, now=later(row, 3600)) == ""
    assert cleanup.due_ids(now=later(row, 86400)) == []
    assert len(deletes(fake_twilio)) == 1
    # Amparo keeps the provider's id (and its own sealed copy), not Twilio's
    delivery.refresh_from_db()
    assert delivery.provider_ref == sid and delivery.body == "Hola"


def test_a_received_text_is_deleted_after_it_is_stored(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    sid = "SM" + "9" * 32
    response = twilio_post(
        "twilio_sms", {"MessageSid": sid, "From": CALLER, "To": HOTLINE, "Body": "Hola"}
    )
    assert response.status_code == 200
    message = InboundMessage.objects.get(provider_ref=sid)
    row = ProviderDeletion.objects.get(provider_ref=sid)
    assert row.direction == "in" and row.network_id == network_a.pk
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert fake_twilio.deleted_messages == [sid]
    message.refresh_from_db()
    assert message.body == "Hola" and message.provider_ref == sid


def test_a_500_is_retried_later_and_success_is_not_repeated(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    delivery = sent_text(network_a)
    status(delivery.provider_ref, "delivered")
    row = ProviderDeletion.objects.get()
    fake_twilio.fail_message_deletes = 1
    first_try = later(row)
    assert cleanup.run(deletion_id=row.pk, now=first_try) == "retry"
    failed = ProviderDeletion.objects.get(pk=row.pk)
    assert failed.deleted_at is None and failed.attempts == 1 and failed.claimed_at is None
    assert "500" in failed.error and TO not in failed.error
    assert failed.due_at >= first_try + cleanup.FIRST_DELAY
    # not before its new time…
    assert cleanup.due_ids(now=first_try + timedelta(seconds=5)) == []
    # …then the sweep finds it and it succeeds
    assert cleanup.due_ids(now=later(failed)) == [row.pk]
    assert cleanup.run(deletion_id=row.pk, now=later(failed)) == "deleted"
    done = ProviderDeletion.objects.get(pk=row.pk)
    assert done.attempts == 2 and done.deleted_at is not None and done.error == ""
    assert fake_twilio.deleted_messages == [delivery.provider_ref]
    assert cleanup.due_ids(now=later(done, 10**6)) == []
    assert len(deletes(fake_twilio)) == 2  # the failed one and the good one, no more


def test_failures_back_off_but_are_never_given_up(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    delivery = sent_text(network_a)
    status(delivery.provider_ref, "delivered")
    row = ProviderDeletion.objects.get()
    fake_twilio.fail_message_deletes = 12
    when = later(row)
    gaps = []
    for _ in range(12):
        assert cleanup.run(deletion_id=row.pk, now=when) == "retry"
        due = ProviderDeletion.objects.get(pk=row.pk).due_at
        gaps.append(due - when)
        when = due + timedelta(seconds=1)
    assert gaps == sorted(gaps) and gaps[-1] == cleanup.MAX_DELAY
    assert cleanup.run(deletion_id=row.pk, now=when) == "deleted"


def test_already_gone_at_twilio_counts_as_done(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    delivery = sent_text(network_a)
    fake_twilio.deleted_messages.append(delivery.provider_ref)  # someone deleted it already
    status(delivery.provider_ref, "failed")
    row = ProviderDeletion.objects.get()
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert ProviderDeletion.objects.get(pk=row.pk).error == "already gone"


def test_a_text_that_never_reports_a_final_status_is_deleted_later(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    recent = sent_text(network_a)
    old = sent_text(network_a, body="older")
    Delivery.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(hours=7))
    assert cleanup.stale_sent_schedule() == 1
    assert cleanup.stale_sent_schedule() == 0  # once
    row = ProviderDeletion.objects.get()
    assert row.provider_ref == old.provider_ref != recent.provider_ref
    assert cleanup.run(deletion_id=row.pk) == "deleted"
    assert fake_twilio.deleted_messages == [old.provider_ref]


def test_unconfigured_twilio_keeps_the_row_for_later(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    delivery = sent_text(network_a)
    status(delivery.provider_ref, "delivered")
    twilio_settings.TWILIO_AUTH_TOKEN = ""
    row = ProviderDeletion.objects.get()
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "retry"
    assert ProviderDeletion.objects.get(pk=row.pk).error == "not configured"


def test_the_sweep_and_the_huey_task_delete_for_real(
    transactional_db: Any, huey_consumer: Any, fake_twilio: Any, settings: Any
) -> None:
    from amparo.conftest import make_network, wait_for

    from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = HOTLINE
    settings.TWILIO_API_BASE = fake_twilio.base
    settings.PUBLIC_URL = PUBLIC_URL
    network = make_network("net-d", "Network D")
    sid = "SM" + "7" * 32
    twilio_post("twilio_sms", {"MessageSid": sid, "From": CALLER, "To": HOTLINE, "Body": "hi"})
    fake_twilio.fail_message_deletes = 1
    ProviderDeletion.objects.update(due_at=timezone.now())  # skip the minute's wait
    assert cleanup.provider_deletion_sweep() == 1
    assert wait_for(lambda: ProviderDeletion.objects.get().attempts == 1)
    assert fake_twilio.deleted_messages == []
    ProviderDeletion.objects.update(due_at=timezone.now())
    assert cleanup.provider_deletion_sweep() == 1
    assert wait_for(lambda: fake_twilio.deleted_messages == [sid])
    assert wait_for(lambda: ProviderDeletion.objects.get().deleted_at is not None)
    assert cleanup.provider_deletion_sweep() == 0
    assert network.pk == ProviderDeletion.objects.get().network_id


# --- validity ---------------------------------------------------------------------------


def test_each_kind_of_text_gets_the_shortest_useful_validity(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    now = timezone.now()
    cases: list[tuple[dict[str, Any], int]] = [
        ({"purpose": "message"}, VALIDITY_SECONDS),
        ({"purpose": "reply"}, VALIDITY_SECONDS),
        ({"purpose": "hotline-ring"}, 300),
        ({"purpose": "hotline-voicemail"}, 3600),
        ({"purpose": "alert", "expires_at": now + timedelta(minutes=10)}, 600),
        ({"purpose": "alert", "expires_at": now + timedelta(hours=5)}, 3600),
        ({"purpose": "verify", "expires_at": now + timedelta(minutes=30)}, 1800),
        ({"purpose": "signup-confirm", "expires_at": now + timedelta(days=1)}, VALIDITY_SECONDS),
    ]
    for fields, expected in cases:
        delivery = sent_text(network_a, **fields)
        sent = fake_twilio.messages[-1]
        assert abs(int(sent["ValidityPeriod"]) - expected) <= 5, (fields, sent["ValidityPeriod"])
        assert 1 <= validity_seconds(delivery) <= VALIDITY_SECONDS
