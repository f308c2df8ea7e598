"""Voicemail: announced at once, downloaded by a task, sealed, deleted at Twilio."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connection

from amparo.channels.models import Delivery
from amparo.hotline import calls, tasks
from amparo.hotline.models import Call, CallStatus
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert
from amparo.tests.factories import PersonFactory

from .conftest import CALLER, HOTLINE, on_shift_now, twilio_post

pytestmark = pytest.mark.django_db

CALL_SID = "CA" + "e" * 32
RECORDING_SID = "RE" + "f" * 32


@pytest.fixture
def voicemail_call(twilio_settings: Any, network_a: Any, coordinator_a: Any) -> Call:
    es1 = PersonFactory.create(network=network_a, name="Rosa", phone="+14135550111")
    on_shift_now(network_a, [es1])
    # The coordinator dispatches: their person record (with a phone) is texted too.
    dispatcher, _ = person_upsert(
        network=network_a, data=PersonData(name="Alicia", phones=["+14135550120"], language="es")
    )
    Person.objects.filter(pk=dispatcher.pk).update(user=coordinator_a)
    twilio_post("twilio_voice", {"CallSid": CALL_SID, "From": CALLER, "To": HOTLINE})
    twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"})
    twilio_post("twilio_voice_dial_done", {"CallSid": CALL_SID, "DialCallStatus": "no-answer"})
    return Call.objects.get(provider_sid=CALL_SID)


def recorded() -> Any:
    return twilio_post(
        "twilio_voice_recorded",
        {
            "CallSid": CALL_SID,
            "RecordingSid": RECORDING_SID,
            "RecordingStatus": "completed",
            "RecordingDuration": "42",
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/"
            + RECORDING_SID,
        },
    )


def test_recording_is_fetched_sealed_and_deleted_at_twilio(
    voicemail_call: Call, fake_twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert recorded().status_code == 204
    call = Call.objects.get(pk=voicemail_call.pk)
    assert call.status == CallStatus.VOICEMAIL
    assert call.recording_status == Call.Recording.PENDING and call.recording_duration == 42
    # The responder on shift and the dispatcher are texted at once, without the number.
    announced = Delivery.objects.filter(purpose="hotline-voicemail")
    assert sorted(d.to_address for d in announced) == ["+14135550111", "+14135550120"]
    assert all(CALLER not in d.body for d in announced)
    # The fetch task is enqueued after commit (the Huey test below runs it for real).
    assert callbacks
    assert tasks.voicemail_fetch.call_local(call.pk) == Call.Recording.STORED

    call.refresh_from_db()
    assert call.recording_status == Call.Recording.STORED and call.recording_attempts == 1
    assert calls.voicemail_audio(call=call) == fake_twilio.audio
    assert fake_twilio.deleted == [RECORDING_SID]
    with connection.cursor() as cursor:
        cursor.execute("SELECT recording FROM hotline_call WHERE id = %s", [call.pk])
        raw = str(cursor.fetchone()[0])
    assert base64.b64encode(fake_twilio.audio).decode() not in raw
    assert "fake-mp3-voicemail" not in raw

    # A duplicate callback changes nothing and texts nobody again.
    assert recorded().status_code == 204
    assert announced.count() == 2
    assert tasks.voicemail_fetch.call_local(call.pk) == Call.Recording.STORED
    assert fake_twilio.deleted == [RECORDING_SID]


def test_failed_download_stays_pending_and_the_sweep_retries(
    voicemail_call: Call, fake_twilio: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fake_twilio.fail_downloads = 1
    recorded()
    assert calls.voicemail_fetch(call_id=voicemail_call.pk) == Call.Recording.PENDING
    call = Call.objects.get(pk=voicemail_call.pk)
    assert call.recording_attempts == 1 and call.recording_error == "download-http-500"
    assert fake_twilio.deleted == []
    assert calls.voicemail_pending_ids() == [call.pk]
    # The sweeper enqueues it again; this time it works.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.voicemail_sweep() == 1
    assert calls.voicemail_fetch(call_id=call.pk) == Call.Recording.STORED
    call.refresh_from_db()
    assert call.recording_attempts == 2 and call.recording_error == ""
    assert fake_twilio.deleted == [RECORDING_SID]
    assert calls.voicemail_pending_ids() == []


def test_gives_up_after_five_attempts_but_keeps_the_sid(
    voicemail_call: Call, fake_twilio: Any
) -> None:
    fake_twilio.fail_downloads = 99
    recorded()
    for _ in range(calls.MAX_RECORDING_ATTEMPTS):
        calls.voicemail_fetch(call_id=voicemail_call.pk)
    call = Call.objects.get(pk=voicemail_call.pk)
    assert call.recording_status == Call.Recording.FAILED
    assert call.recording_attempts == calls.MAX_RECORDING_ATTEMPTS
    assert call.recording_sid == RECORDING_SID and fake_twilio.deleted == []


def test_recording_callback_for_unknown_call_is_404(twilio_settings: Any, network_a: Any) -> None:
    response = twilio_post(
        "twilio_voice_recorded",
        {"CallSid": "CA" + "0" * 32, "RecordingSid": RECORDING_SID, "RecordingStatus": "completed"},
    )
    assert response.status_code == 404


def test_the_whole_path_with_a_real_huey_consumer(
    transactional_db: Any, huey_consumer: Any, fake_twilio: Any, settings: Any
) -> None:
    from amparo.conftest import make_network, wait_for

    from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_BASE = fake_twilio.base
    settings.PUBLIC_URL = PUBLIC_URL
    make_network("net-q", "Network Q")
    twilio_post("twilio_voice", {"CallSid": CALL_SID, "From": CALLER, "To": HOTLINE})
    twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"})
    assert recorded().status_code == 204
    assert wait_for(
        lambda: Call.objects.get(provider_sid=CALL_SID).recording_status == Call.Recording.STORED
    )
    assert wait_for(lambda: fake_twilio.deleted == [RECORDING_SID])
