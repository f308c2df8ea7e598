"""The SMS webhook and the Twilio SMS transport (against the fake Twilio API)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from amparo.channels.models import Delivery, InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.twilio.transport import VALIDITY_SECONDS
from amparo.conftest import send_now
from amparo.tests.factories import PersonFactory

from .conftest import CALLER, HOTLINE, PUBLIC_URL, twilio_post

pytestmark = pytest.mark.django_db


def text(sid: str, body: str, sender: str = CALLER) -> Any:
    return twilio_post(
        "twilio_sms", {"MessageSid": sid, "From": sender, "To": HOTLINE, "Body": body}
    )


def test_stop_is_stored_once_and_opts_out(twilio_settings: Any, network_a: Any) -> None:
    person = PersonFactory.create(network=network_a, name="Rosa", phone=CALLER)
    sid = "SM" + "a" * 32
    response = text(sid, "STOP")
    assert response.status_code == 200
    assert response.content.decode().strip().endswith("<Response />")
    person.refresh_from_db()
    assert person.opted_out_at is not None
    message = InboundMessage.objects.get()
    assert message.handled_by == "people.optout" and message.channel == "twilio_sms"
    replies = Delivery.objects.filter(purpose="reply", channel="twilio_sms")
    assert replies.count() == 1
    # Twilio retries the same message: stored once, handled once.
    assert text(sid, "STOP").status_code == 200
    assert InboundMessage.objects.count() == 1 and replies.count() == 1


def test_message_text_is_sealed_in_the_database(twilio_settings: Any, network_a: Any) -> None:
    text("SM" + "b" * 32, "agents at the plant on Main St")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, from_address FROM channels_inboundmessage")
        raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "Main St" not in raw and CALLER not in raw


def test_sms_to_an_unknown_number_is_404(twilio_settings: Any, network_a: Any) -> None:
    response = twilio_post(
        "twilio_sms",
        {"MessageSid": "SM" + "c" * 32, "From": CALLER, "To": "+15085550000", "Body": "hi"},
    )
    assert response.status_code == 404
    assert not InboundMessage.objects.exists()


def test_transport_sends_through_the_twilio_client(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    delivery = outbox_write(
        network=network_a,
        channel="twilio_sms",
        to="+14135550111",
        body="Hola",
        language="es",
        purpose="message",
    )
    assert send_now(delivery) == Delivery.Status.SENT
    delivery.refresh_from_db()
    assert delivery.provider_ref.startswith("SM")
    sent = fake_twilio.messages[0]
    assert sent["To"] == "+14135550111" and sent["From"] == HOTLINE and sent["Body"] == "Hola"
    assert sent["ValidityPeriod"] == str(VALIDITY_SECONDS)
    assert sent["StatusCallback"] == PUBLIC_URL + "/hooks/twilio/status"

    # Twilio's status callback moves it to delivered; an unknown message is 404.
    status = {"MessageSid": delivery.provider_ref, "MessageStatus": "delivered"}
    assert twilio_post("twilio_status", status).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    unknown = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "delivered"}
    assert twilio_post("twilio_status", unknown).status_code == 404


@pytest.mark.parametrize(
    ("code", "expected"), [(21211, "failed"), (21610, "failed"), (30008, "queued")]
)
def test_transport_maps_twilio_errors(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, code: int, expected: str
) -> None:
    fake_twilio.fail_codes["+14135550111"] = code
    delivery = outbox_write(
        network=network_a, channel="twilio_sms", to="+14135550111", body="x", purpose="message"
    )
    assert send_now(delivery) == expected
    delivery.refresh_from_db()
    assert str(code) in delivery.error and "+1413" not in delivery.error


def test_transport_unreachable_api_is_transient(twilio_settings: Any, network_a: Any) -> None:
    twilio_settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    delivery = outbox_write(
        network=network_a, channel="twilio_sms", to="+14135550111", body="x", purpose="message"
    )
    assert send_now(delivery) == Delivery.Status.QUEUED


def _reach(person: Any) -> tuple[bool, bool, list[tuple[bool, bool]]]:
    person.refresh_from_db()
    phones = list(person.phones.values_list("sms_ok", "voice_ok"))
    return person.reach_sms, person.reach_voice, phones


@pytest.mark.parametrize(
    ("code", "takes_texts", "status"),
    [
        (21211, False, "failed"),  # invalid number
        (21610, True, "failed"),  # replied STOP: the opt-out covers it, START undoes it
        (21614, False, "failed"),  # not a mobile
        (30006, False, "failed"),  # landline
        (21617, True, "failed"),  # body too long: the number is fine
        (30001, True, "queued"),  # queue overflow: retried
        (20429, True, "queued"),  # too many requests
    ],
)
def test_a_number_refused_for_good_takes_texts_no_more(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, code: int, takes_texts: bool, status
) -> None:
    person = PersonFactory.create(network=network_a, phone="+14135550111")
    other = PersonFactory.create(network=network_a, phone="+14135550112")
    assert _reach(person) == (True, True, [(True, True)])
    fake_twilio.fail_codes["+14135550111"] = code
    delivery = outbox_write(
        network=network_a, channel="twilio_sms", to="+14135550111", body="x", purpose="message"
    )
    assert send_now(delivery) == status
    assert _reach(person) == (takes_texts, True, [(takes_texts, True)])
    assert _reach(other) == (True, True, [(True, True)])


@pytest.mark.parametrize(
    ("code", "takes_texts"),
    [("30005", False), ("30003", True), ("30001", True), ("", True)],  # 30003: phone off
)
def test_a_status_callback_refusing_the_number_marks_it(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, code: str, takes_texts: bool
) -> None:
    person = PersonFactory.create(network=network_a, phone="+14135550111")
    delivery = outbox_write(
        network=network_a, channel="twilio_sms", to="+14135550111", body="x", purpose="message"
    )
    assert send_now(delivery) == Delivery.Status.SENT
    delivery.refresh_from_db()
    callback = {"MessageSid": delivery.provider_ref, "MessageStatus": "undelivered"}
    assert twilio_post("twilio_status", {**callback, "ErrorCode": code}).status_code == 204
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.FAILED
    assert _reach(person) == (takes_texts, True, [(takes_texts, True)])
