"""Every Twilio endpoint: forged, missing or replayed-with-a-change signatures → 403,
no auth token → 403, a 1 MB body → 413; and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.channels.models import InboundMessage
from amparo.hotline.models import Call

from .conftest import AUTH_TOKEN, CALLER, HOTLINE, PUBLIC_URL, sign, twilio_post

pytestmark = pytest.mark.django_db

CALL_SID = "CA" + "3" * 32
ENDPOINTS: dict[str, dict[str, str]] = {
    "twilio_voice": {"CallSid": "CA" + "4" * 32, "From": CALLER, "To": HOTLINE},
    "twilio_voice_menu": {"CallSid": CALL_SID, "Digits": "2"},
    "twilio_voice_whisper": {"CallSid": "CA" + "5" * 32, "ParentCallSid": CALL_SID},
    "twilio_voice_take": {"CallSid": "CA" + "5" * 32, "ParentCallSid": CALL_SID, "Digits": "1"},
    "twilio_voice_leg": {
        "CallSid": "CA" + "5" * 32,
        "ParentCallSid": CALL_SID,
        "CallStatus": "in-progress",
        "To": "+14135550111",
    },
    "twilio_voice_dial_done": {"CallSid": CALL_SID, "DialCallStatus": "no-answer"},
    "twilio_voice_goodbye": {"CallSid": CALL_SID},
    "twilio_voice_recorded": {
        "CallSid": CALL_SID,
        "RecordingSid": "RE" + "6" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "30",
    },
    "twilio_status": {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": "5"},
    "twilio_sms": {"MessageSid": "SM" + "7" * 32, "From": CALLER, "To": HOTLINE, "Body": "STOP"},
    "twilio_voice_alert": {"CallSid": CALL_SID},
    "twilio_voice_alert_answer": {"CallSid": CALL_SID, "Digits": "1"},
    "twilio_voice_alert_status": {"CallSid": CALL_SID, "CallStatus": "completed"},
}


def snapshot() -> tuple[Any, ...]:
    call = Call.objects.filter(provider_sid=CALL_SID).values().first()
    return (Call.objects.count(), call, InboundMessage.objects.count())


@pytest.fixture
def existing_call(twilio_settings: Any, network_a: Any) -> None:
    twilio_post("twilio_voice", {"CallSid": CALL_SID, "From": CALLER, "To": HOTLINE})


def test_every_route_is_protected() -> None:
    from amparo.channels.twilio import urls
    from amparo.hotline import urls_twilio

    routes = [*urls.urlpatterns, *urls_twilio.urlpatterns]
    assert {p.name for p in routes} == set(ENDPOINTS)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_forged_signature_is_refused(name: str, existing_call: None) -> None:
    before = snapshot()
    params = ENDPOINTS[name]
    forged = sign(PUBLIC_URL + reverse(name), params, token="not-the-token")
    assert twilio_post(name, params, signature=forged).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_missing_signature_is_refused(name: str, existing_call: None) -> None:
    before = snapshot()
    assert twilio_post(name, ENDPOINTS[name], signature="").status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_replay_with_a_changed_parameter_is_refused(name: str, existing_call: None) -> None:
    before = snapshot()
    params = ENDPOINTS[name]
    changed = {**params, "Digits": "1", "To": "+15085550000", "Body": "START"}
    assert twilio_post(name, changed, signed_params=params).status_code == 403
    # ... and a signature made for another URL (Django's own host) is refused too.
    wrong_url = sign("http://testserver" + reverse(name), params)
    assert twilio_post(name, params, signature=wrong_url).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_no_auth_token_refuses_everything(name: str, existing_call: None, settings: Any) -> None:
    settings.TWILIO_AUTH_TOKEN = ""
    before = snapshot()
    assert twilio_post(name, ENDPOINTS[name]).status_code == 403
    assert Client().get(reverse(name)).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_a_one_megabyte_body_is_413(name: str, existing_call: None) -> None:
    before = snapshot()
    params = {**ENDPOINTS[name], "Body": "x" * (1024 * 1024)}
    assert twilio_post(name, params).status_code == 413
    assert snapshot() == before


def test_signed_get_is_not_allowed(twilio_settings: Any) -> None:
    path = reverse("twilio_sms")
    signature = sign(PUBLIC_URL + path, {})
    response = Client().get(path, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 405


def test_token_is_the_configured_one(twilio_settings: Any) -> None:
    assert twilio_settings.TWILIO_AUTH_TOKEN == AUTH_TOKEN
