"""Alerts by phone call: the call-out against the fake Twilio API, signed webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.urls import reverse

from amparo.alerts.models import Alert, AlertRecipient
from amparo.channels.base import TransportError
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.channels.twilio.voice_alert import SALT, TwilioVoiceTransport, delivery_token
from amparo.conftest import send_now
from amparo.tests.factories import PersonFactory

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE,
    PUBLIC_URL,
    FakeTwilio,
    _handler,
    twilio_post,
)

PERSON = "+14135550142"
CALL_SID = "CA" + "1" * 32
MESSAGE = "Redada en la calle 5. Vamos al centro de detención."


@pytest.fixture
def fake_calls(settings: Any) -> Iterator[FakeTwilio]:
    """The fake Twilio API of conftest.py, also answering ``Calls.json``."""
    from http.server import ThreadingHTTPServer

    fake = FakeTwilio()
    base = _handler(fake)

    class Handler(base):  # type: ignore[valid-type, misc]
        def do_POST(self) -> None:
            if not self.path.endswith("/Calls.json"):
                return super().do_POST()
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with fake.lock:
                fake.requests.append(("POST", self.path))
            code = fake.fail_codes.get(form.get("To", ""))
            if not self._authorized() or code:
                body = {"code": code or 20003, "message": "refused", "status": 400}
                return self._send(400 if code else 401, json.dumps(body).encode())
            with fake.lock:
                fake.messages.append(form)
            body = {"sid": CALL_SID, "account_sid": ACCOUNT_SID, "status": "queued"}
            self._send(201, json.dumps(body).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = HOTLINE
    settings.TWILIO_API_BASE = fake.base
    settings.PUBLIC_URL = PUBLIC_URL
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _recipient(network: Any, language: str = "es", status: str = "sending") -> AlertRecipient:
    person = PersonFactory.create(network=network, name="Ana", phone=PERSON, language=language)
    alert = Alert.objects.create(network=network, kind="squad", status=status)
    return AlertRecipient.objects.create(alert=alert, person=person, language=language)


def _callout(network: Any, language: str = "es", recipient: Any = None) -> Delivery:
    delivery = outbox_write(
        network=network,
        channel="twilio_voice",
        to=PERSON,
        body=MESSAGE,
        language=language,
        purpose="message",
    )
    if recipient is not None:
        Delivery.objects.filter(pk=delivery.pk).update(recipient=recipient, person=recipient.person)
    return delivery


def _q(delivery: Delivery) -> str:
    from urllib.parse import urlencode

    return urlencode({"d": delivery_token(delivery.pk)})


@pytest.mark.django_db
def test_the_call_is_placed_with_a_signed_twiml_url(network_a, fake_calls):
    delivery = _callout(network_a)
    assert send_now(delivery) == "sent"
    assert Delivery.objects.get(pk=delivery.pk).provider_ref == CALL_SID
    [form] = fake_calls.messages
    assert form["To"] == PERSON and form["From"] == HOTLINE and form["Method"] == "POST"
    url = urlsplit(form["Url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == PUBLIC_URL + reverse("twilio_voice_alert")
    [token] = parse_qs(url.query)["d"]
    assert signing.loads(token, salt=SALT) == delivery.pk
    assert PERSON not in form["Url"] and MESSAGE not in form["Url"]
    assert form["StatusCallback"].startswith(PUBLIC_URL + reverse("twilio_voice_alert_status"))


@pytest.mark.django_db
def test_an_invalid_number_is_permanent_and_no_credentials_transient(
    network_a, fake_calls, settings
):
    fake_calls.fail_codes[PERSON] = 21211
    delivery = _callout(network_a)
    person = PersonFactory.create(network=network_a, phone=PERSON)
    assert send_now(delivery) == "failed"
    assert Delivery.objects.get(pk=delivery.pk).error == "twilio voice: error 21211"
    person.refresh_from_db()  # the number takes calls no more (texts: a text will tell)
    assert (person.reach_voice, person.reach_sms) == (False, True)

    fake_calls.fail_codes[PERSON] = 20429  # too many requests
    with pytest.raises(TransportError) as caught:
        TwilioVoiceTransport().send(delivery)
    assert caught.value.permanent is False

    settings.TWILIO_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(TransportError) as caught:
        TwilioVoiceTransport().send(delivery)
    assert caught.value.permanent is False

    settings.TWILIO_FROM_NUMBER = ""
    with pytest.raises(TransportError) as caught:
        TwilioVoiceTransport().send(delivery)
    assert caught.value.message == "twilio voice: not configured" and not caught.value.permanent


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "say_language", "prompt"),
    [
        ("es", 'language="es-US"', "Oprima 1"),
        ("en", 'language="en-US"', "Press 1 if you can go. Press 2 if you cannot."),
    ],
)
def test_the_twiml_reads_the_message_in_the_persons_language(
    network_a, fake_calls, language, say_language, prompt
):
    delivery = _callout(network_a, language=language)
    response = twilio_post("twilio_voice_alert", {"CallSid": CALL_SID}, query=_q(delivery))
    assert response.status_code == 200
    xml = response.content.decode()
    assert "<Gather" in xml and 'numDigits="1"' in xml and MESSAGE in xml
    assert reverse("twilio_voice_alert_answer") in xml and say_language in xml
    if language == "en":  # the Spanish prompt waits for the lead's .po
        assert prompt in xml


@pytest.mark.django_db
@pytest.mark.parametrize(("digits", "status"), [("1", "going"), ("2", "not_going")])
def test_the_keypress_records_the_answer(network_a, fake_calls, digits, status):
    recipient = _recipient(network_a)
    delivery = _callout(network_a, recipient=recipient)
    response = twilio_post(
        "twilio_voice_alert_answer", {"CallSid": CALL_SID, "Digits": digits}, query=_q(delivery)
    )
    assert response.status_code == 200 and "<Hangup" in response.content.decode()
    recipient.refresh_from_db()
    assert recipient.status == status and recipient.answered_via == "voice"


@pytest.mark.django_db
def test_another_key_asks_again_and_a_closed_alert_records_nothing(network_a, fake_calls):
    recipient = _recipient(network_a, status="done")
    delivery = _callout(network_a, recipient=recipient)
    again = twilio_post(
        "twilio_voice_alert_answer", {"CallSid": CALL_SID, "Digits": "7"}, query=_q(delivery)
    )
    assert "<Gather" in again.content.decode()
    closed = twilio_post(
        "twilio_voice_alert_answer", {"CallSid": CALL_SID, "Digits": "1"}, query=_q(delivery)
    )
    assert closed.status_code == 200
    recipient.refresh_from_db()
    assert recipient.status == "pending"


@pytest.mark.django_db
def test_bad_signatures_and_forged_delivery_ids_are_refused(network_a, fake_calls):
    recipient = _recipient(network_a)
    delivery = _callout(network_a, recipient=recipient)
    params = {"CallSid": CALL_SID, "Digits": "1"}
    bad = twilio_post("twilio_voice_alert_answer", params, query=_q(delivery), signature="bad")
    assert bad.status_code == 403
    unsigned = twilio_post("twilio_voice_alert_answer", params, query=_q(delivery), signature="")
    assert unsigned.status_code == 403
    # signed by Twilio, but the delivery id is not ours
    forged = twilio_post("twilio_voice_alert_answer", params, query=f"d={delivery.pk}")
    assert forged.status_code == 404
    recipient.refresh_from_db()
    assert recipient.status == "pending" and recipient.answered_at is None
    twiml = twilio_post(
        "twilio_voice_alert", {"CallSid": CALL_SID}, query=_q(delivery), signature="x"
    )
    assert twiml.status_code == 403 and MESSAGE.encode() not in twiml.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call_status", "status"), [("completed", "delivered"), ("no-answer", "failed")]
)
def test_the_call_status_updates_the_delivery(network_a, fake_calls, call_status, status):
    delivery = _callout(network_a)
    assert send_now(delivery) == "sent"
    response = twilio_post(
        "twilio_voice_alert_status",
        {"CallSid": CALL_SID, "CallStatus": call_status},
        query=_q(delivery),
    )
    assert response.status_code == 204
    assert Delivery.objects.get(pk=delivery.pk).status == status
