"""The voice webhooks, signed like Twilio signs them, return the call flow as TwiML."""

from __future__ import annotations

import re
from typing import Any

import pytest

from amparo.hotline.models import Call, CallStatus
from amparo.tests.factories import PersonFactory

from .conftest import CALLER, HOTLINE, on_shift_now, twilio_post

CALL_SID = "CA" + "1" * 32

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(network_a: Any) -> dict[str, Any]:
    es1 = PersonFactory.create(network=network_a, name="Rosa", phone="+14135550111")
    es2 = PersonFactory.create(
        network=network_a, name="Ana", phone="+14135550112", language="en", other_languages=["es"]
    )
    en1 = PersonFactory.create(network=network_a, name="John", phone="+14135550113", language="en")
    backup = PersonFactory.create(network=network_a, name="Lupe", phone="+14135550114")
    return {"es1": es1, "es2": es2, "en1": en1, "backup": backup}


def start_call(sid: str = CALL_SID) -> Any:
    return twilio_post(
        "twilio_voice", {"CallSid": sid, "From": CALLER, "To": HOTLINE, "CallStatus": "ringing"}
    )


def take_leg(leg: int, digits: str = "1", sid: str = CALL_SID) -> Any:
    """The responder's phone on ``leg`` hears the whisper and presses ``digits``."""
    child = {"CallSid": "CA" + "2" * 32, "ParentCallSid": sid}
    assert twilio_post("twilio_voice_whisper", child, query=f"leg={leg}").status_code == 200
    return twilio_post("twilio_voice_take", {**child, "Digits": digits}, query=f"leg={leg}")


def numbers_in(xml: str) -> list[str]:
    return re.findall(r"<Number[^>]*>([^<]+)</Number>", xml)


def test_call_gets_the_language_menu(twilio_settings: Any, network_a: Any) -> None:
    response = start_call()
    assert response.status_code == 200
    xml = response.content.decode()
    assert response["Content-Type"].startswith("text/xml")
    assert '<Gather action="https://hotline.example.org/hooks/twilio/voice/menu"' in xml
    assert 'numDigits="1"' in xml
    assert "For English, press 1." in xml and "Para español, oprima 2." in xml
    assert 'language="es-US"' in xml and 'language="en-US"' in xml
    call = Call.objects.get(provider_sid=CALL_SID)
    assert call.network == network_a and call.from_number == CALLER
    assert call.status == CallStatus.RINGING
    # The same call again (Twilio retries) creates nothing new.
    assert start_call().status_code == 200
    assert Call.objects.count() == 1


def test_spanish_rings_every_spanish_responder_on_shift(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["es1"], team["es2"], team["en1"]])
    on_shift_now(network_a, [team["backup"]], role="backup")
    start_call()
    response = twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"})
    xml = response.content.decode()
    assert response.status_code == 200
    assert sorted(numbers_in(xml)) == ["+14135550111", "+14135550112"]
    assert "+14135550113" not in xml  # English only
    assert "+14135550114" not in xml  # backup rings later
    assert 'answerOnBridge="true"' in xml and 'timeout="20"' in xml
    assert "/hooks/twilio/voice/dial-done?stage=primary" in xml
    call = Call.objects.get(provider_sid=CALL_SID)
    assert call.language == "es" and call.legs.count() == 2

    # Rosa picks up: her phone answering is not yet an answer; pressing 1 is.
    rosa = call.legs.get(person=team["es1"]).pk
    picked = {"CallSid": "CA" + "2" * 32, "ParentCallSid": CALL_SID, "CallStatus": "in-progress"}
    assert twilio_post("twilio_voice_leg", picked, query=f"leg={rosa}").status_code == 204
    call.refresh_from_db()
    assert call.status == CallStatus.RINGING and call.answered_by is None
    take_leg(rosa)
    call.refresh_from_db()
    assert call.status == CallStatus.ANSWERED and call.answered_by == team["es1"]
    done = twilio_post(
        "twilio_voice_dial_done",
        {"CallSid": CALL_SID, "DialCallStatus": "completed", "DialCallDuration": "95"},
        query="stage=primary",
    )
    assert "<Hangup" in done.content.decode()


def test_english_menu_choice(twilio_settings: Any, network_a: Any, team: dict[str, Any]) -> None:
    on_shift_now(network_a, [team["es1"], team["es2"], team["en1"]])
    start_call()
    xml = twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "1"}).content.decode()
    assert sorted(numbers_in(xml)) == ["+14135550112", "+14135550113"]


def test_no_answer_rings_backup_then_voicemail(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["es1"]])
    on_shift_now(network_a, [team["backup"]], role="backup")
    start_call()
    twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"})
    backup = twilio_post(
        "twilio_voice_dial_done",
        {"CallSid": CALL_SID, "DialCallStatus": "no-answer"},
        query="stage=primary",
    ).content.decode()
    assert numbers_in(backup) == ["+14135550114"]
    assert "stage=backup" in backup
    assert Call.objects.get(provider_sid=CALL_SID).status == CallStatus.BACKUP
    voicemail = twilio_post(
        "twilio_voice_dial_done",
        {"CallSid": CALL_SID, "DialCallStatus": "busy"},
        query="stage=backup",
    ).content.decode()
    assert "<Record" in voicemail and 'maxLength="180"' in voicemail
    assert "recordingStatusCallback=" in voicemail
    assert "/hooks/twilio/voice/recorded" in voicemail


def test_nobody_on_shift_goes_straight_to_voicemail(twilio_settings: Any, network_a: Any) -> None:
    start_call()
    xml = twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"}).content.decode()
    assert "<Dial" not in xml and "<Record" in xml
    assert 'language="es-US"' in xml


def test_no_spanish_on_shift_rings_backup_group(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["en1"]])
    on_shift_now(network_a, [team["backup"]], role="backup")
    start_call()
    xml = twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"}).content.decode()
    assert numbers_in(xml) == ["+14135550114"]


def test_no_key_pressed_uses_first_language(twilio_settings: Any, network_a: Any) -> None:
    start_call()
    twilio_post("twilio_voice_menu", {"CallSid": CALL_SID})
    assert Call.objects.get(provider_sid=CALL_SID).language == network_a.languages[0]


def test_unknown_number_is_404_and_creates_nothing(
    twilio_settings: Any, network_a: Any, caplog: Any
) -> None:
    response = twilio_post(
        "twilio_voice", {"CallSid": CALL_SID, "From": CALLER, "To": "+15085550000"}
    )
    assert response.status_code == 404
    assert not Call.objects.exists()
    assert CALLER not in caplog.text and "5085550000" not in caplog.text


def test_missing_call_sid_is_400(twilio_settings: Any, network_a: Any) -> None:
    assert twilio_post("twilio_voice", {"From": CALLER, "To": HOTLINE}).status_code == 400


def test_status_callback_for_unknown_call_is_404(twilio_settings: Any, network_a: Any) -> None:
    response = twilio_post("twilio_status", {"CallSid": "CA" + "9" * 32, "CallStatus": "completed"})
    assert response.status_code == 404
    assert not Call.objects.exists()


def test_status_callbacks_only_move_forward(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["es1"]])
    start_call()
    twilio_post("twilio_voice_menu", {"CallSid": CALL_SID, "Digits": "2"})
    leg = Call.objects.get(provider_sid=CALL_SID).legs.get().pk
    take_leg(leg)
    ended = {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": "120"}
    assert twilio_post("twilio_status", ended).status_code == 204
    call = Call.objects.get(provider_sid=CALL_SID)
    assert call.status == CallStatus.COMPLETED and call.duration_seconds == 120
    # Duplicates and late, out-of-order callbacks change nothing.
    twilio_post("twilio_status", ended)
    twilio_post("twilio_status", {"CallSid": CALL_SID, "CallStatus": "in-progress"})
    take_leg(leg)
    twilio_post("twilio_voice_dial_done", {"CallSid": CALL_SID, "DialCallStatus": "no-answer"})
    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED and call.answered_by == team["es1"]


def test_unanswered_hangup_is_missed(twilio_settings: Any, network_a: Any) -> None:
    start_call()
    twilio_post("twilio_status", {"CallSid": CALL_SID, "CallStatus": "canceled"})
    assert Call.objects.get(provider_sid=CALL_SID).status == CallStatus.MISSED
