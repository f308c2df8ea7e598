"""Issue 13.4: every on-shift phone rings at once, so a responder's own voicemail must not
"answer" a caller in crisis. Each responder's leg hears a whisper in the caller's
language and only a key press connects the caller; a voicemail (no key) drops that leg
and the others keep ringing. Played end to end by Twilio's voice engine on loopback
(``voice_engine``), and the voicemail that follows is fetched from the fake Twilio API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amparo.hotline import tasks
from amparo.hotline.models import Call, CallStatus
from amparo.tests.factories import PersonFactory

from .conftest import CALLER, HOTLINE, on_shift_now, twilio_post
from .voice_engine import VOICEMAIL, Phone, TwilioVoice

pytestmark = pytest.mark.django_db

ROSA, ANA, LUIS, LUPE = "+14135550111", "+14135550112", "+14135550113", "+14135550114"


@pytest.fixture
def team(network_a: Any) -> dict[str, Any]:
    return {
        "rosa": PersonFactory.create(network=network_a, name="Rosa", phone=ROSA),
        "ana": PersonFactory.create(
            network=network_a, name="Ana", phone=ANA, language="en", other_languages=["es"]
        ),
        "luis": PersonFactory.create(network=network_a, name="Luis", phone=LUIS),
        "lupe": PersonFactory.create(network=network_a, name="Lupe", phone=LUPE),
    }


@pytest.mark.parametrize(
    "over_http",
    [False, pytest.param(True, marks=pytest.mark.django_db(transaction=True))],
    ids=["client", "http"],
)
def test_a_voicemail_never_takes_the_call_and_the_others_keep_ringing(
    twilio_settings: Any, network_a: Any, team: dict[str, Any], over_http: bool, request: Any
) -> None:
    on_shift_now(network_a, [team["rosa"], team["ana"], team["luis"]])
    # Over HTTP the fake Twilio calls a live server on loopback, as the real one calls
    # Amparo's public URL (the data is committed first: a transactional test).
    server = request.getfixturevalue("live_server").url if over_http else ""
    twilio = TwilioVoice(
        {
            ROSA: VOICEMAIL,  # Rosa's voicemail picks up after a few rings, first
            ANA: Phone(picks_up_after=9, presses="1"),  # Ana picks up later and takes it
            LUIS: Phone(picks_up_after=None),  # Luis's phone rings out
        },
        server=server,
    )
    record = twilio.call(caller=CALLER, hotline=HOTLINE, menu_key="2")

    # Rosa's voicemail picked up, heard the whisper, pressed nothing: dropped, never connected.
    assert record.leg(ROSA).events == ["rang", "picked-up", "hung-up"]
    assert any("oprima 1" in heard for heard in record.leg(ROSA).heard)
    # Ana's phone kept ringing after that, and her key connected the caller to her.
    assert record.leg(ANA).events == ["rang", "picked-up", "pressed 1", "connected"]
    assert record.connected_to == ANA
    assert record.leg(LUIS).events == ["rang", "cancelled"]
    assert not record.voicemail_left
    # The whisper is in the caller's language (Spanish), then in Ana's own (English).
    heard = " ".join(record.leg(ANA).heard)
    assert "Llamada de la línea de Amparo en español: oprima 1 para tomar esta llamada." in heard
    assert "Amparo hotline call in Spanish: press 1 to take this call." in heard

    call = Call.objects.get()
    assert call.answered_by == team["ana"] and call.answered_at is not None
    assert call.status == CallStatus.COMPLETED
    legs = {leg.person.name: leg.status for leg in call.legs.select_related("person")}
    assert legs == {"Rosa": "declined", "Ana": "answered", "Luis": "cancelled"}


def test_when_only_voicemails_pick_up_the_caller_gets_the_backup_then_leaves_a_message(
    twilio_settings: Any,
    network_a: Any,
    team: dict[str, Any],
    fake_twilio: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    on_shift_now(network_a, [team["rosa"], team["luis"]])
    on_shift_now(network_a, [team["lupe"]], role="backup")
    # Every phone that picks up is a voicemail: Twilio reports the <Dial> "completed".
    twilio = TwilioVoice({ROSA: VOICEMAIL, LUIS: Phone(busy=True), LUPE: VOICEMAIL})
    with django_capture_on_commit_callbacks() as fetches:
        record = twilio.call(caller=CALLER, hotline=HOTLINE, menu_key="2")

    assert record.connected_to is None
    assert record.leg(ROSA).events == ["rang", "picked-up", "hung-up"]
    assert record.leg(LUIS).events == ["rang", "busy"]
    assert record.leg(LUPE).events == ["rang", "picked-up", "hung-up"]  # the backup group
    assert any("Por favor, siga en la línea" in heard for heard in record.caller_heard)
    # Nobody took it: the caller gets the voicemail, and it is announced to the team.
    assert record.voicemail_left
    call = Call.objects.get()
    assert call.answered_by is None and call.answered_at is None
    assert call.recording_status == Call.Recording.PENDING
    # The recording is fetched from (the fake) Twilio with the real client, then deleted.
    assert fetches
    assert tasks.voicemail_fetch.call_local(call.pk) == Call.Recording.STORED
    assert len(fake_twilio.deleted) == 1


def test_a_second_key_press_finds_the_call_taken(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["rosa"], team["luis"]])
    sid = "CA" + "7" * 32
    twilio_post("twilio_voice", {"CallSid": sid, "From": CALLER, "To": HOTLINE})
    xml = twilio_post("twilio_voice_menu", {"CallSid": sid, "Digits": "2"}).content.decode()
    call = Call.objects.get()
    rosa, luis = (call.legs.get(person=team[name]).pk for name in ("rosa", "luis"))
    assert f"/hooks/twilio/voice/whisper?leg={rosa}" in xml
    child = {"CallSid": "CA" + "8" * 32, "ParentCallSid": sid}

    whisper = twilio_post("twilio_voice_whisper", child, query=f"leg={rosa}").content.decode()
    assert '<Gather action="https://hotline.example.org/hooks/twilio/voice/take?leg=' in whisper
    assert 'numDigits="1"' in whisper and whisper.rstrip().endswith("<Hangup /></Response>")
    # Another key than 1 declines this leg only.
    declined = twilio_post("twilio_voice_take", {**child, "Digits": "2"}, query=f"leg={rosa}")
    assert "<Hangup" in declined.content.decode()
    call.refresh_from_db()
    assert call.status == CallStatus.RINGING and call.legs.get(pk=rosa).status == "declined"

    taken = twilio_post("twilio_voice_take", {**child, "Digits": "1"}, query=f"leg={luis}")
    assert "<Hangup" not in taken.content.decode()  # the whisper ends: Twilio connects
    late = twilio_post("twilio_voice_take", {**child, "Digits": "1"}, query=f"leg={rosa}")
    assert "Otra persona ya tomó esta llamada" in late.content.decode()
    assert "<Hangup" in late.content.decode()
    call.refresh_from_db()
    assert call.status == CallStatus.ANSWERED and call.answered_by == team["luis"]


def test_a_leg_of_another_call_is_refused(
    twilio_settings: Any, network_a: Any, team: dict[str, Any]
) -> None:
    on_shift_now(network_a, [team["rosa"]])
    sid = "CA" + "7" * 32
    twilio_post("twilio_voice", {"CallSid": sid, "From": CALLER, "To": HOTLINE})
    twilio_post("twilio_voice_menu", {"CallSid": sid, "Digits": "2"})
    leg = Call.objects.get().legs.get().pk
    other = {"CallSid": "CA" + "8" * 32, "ParentCallSid": "CA" + "9" * 32, "Digits": "1"}
    assert twilio_post("twilio_voice_take", other, query=f"leg={leg}").status_code == 404
    assert twilio_post("twilio_voice_take", other, query="leg=x").status_code == 400
    assert Call.objects.get().status == CallStatus.RINGING


def test_the_fallback_for_when_amparo_is_down_keeps_voicemails_out_too(
    twilio_settings: Any,
) -> None:
    """FALLBACK.md: the TwiML Bins Twilio serves itself when Amparo does not answer."""
    folder = Path(__file__).resolve().parent.parent
    whisper_url = "https://handler.twilio.com/twiml/EH" + "1" * 32
    take_url = "https://handler.twilio.com/twiml/EH" + "2" * 32
    fallback = (folder / "fallback.xml").read_text().replace("WHISPER-BIN-URL", whisper_url)
    for example, number in zip(("+15555550101", "+15555550102"), (ROSA, ANA), strict=True):
        fallback = fallback.replace(example, number)
    bins = {
        whisper_url: (folder / "fallback-whisper.xml")
        .read_text()
        .replace("TAKE-BIN-URL", take_url),
        take_url: (folder / "fallback-take.xml").read_text(),
    }
    twilio = TwilioVoice({ROSA: VOICEMAIL, ANA: Phone(picks_up_after=9, presses="5")}, bins=bins)
    record = twilio.call(caller=CALLER, hotline=HOTLINE, twiml=fallback)
    assert record.leg(ROSA).events == ["rang", "picked-up", "hung-up"]
    assert record.leg(ANA).events == ["rang", "picked-up", "pressed 5", "connected"]
    assert record.connected_to == ANA
    assert "WHISPER-BIN-URL" not in fallback and "TAKE-BIN-URL" not in bins[whisper_url]
