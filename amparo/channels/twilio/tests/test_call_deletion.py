"""Provider minimisation for calls: a hotline call or an alert call-out is deleted at
Twilio once it ended (cleanup.py) — never while a recording of it could be lost —
against the fake Twilio API of conftest.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from amparo.channels.models import Delivery, ProviderDeletion
from amparo.channels.outbox import outbox_write
from amparo.channels.twilio import cleanup
from amparo.channels.twilio.voice_alert import delivery_token
from amparo.hotline import calls
from amparo.hotline.models import Call

from .conftest import CALLER, HOTLINE, twilio_post
from .test_voicemail import CALL_SID, RECORDING_SID, recorded, voicemail_call  # noqa: F401

pytestmark = pytest.mark.django_db

HOTLINE_SID = "CA" + "a" * 32
LEG_SID = "CA" + "b" * 32
CALLOUT_SID = "CA" + "c" * 32


def call_deletes(fake: Any) -> list[str]:
    return [path for method, path in fake.requests if method == "DELETE" and "/Calls/" in path]


def later(row: ProviderDeletion, seconds: float = 1) -> Any:
    return ProviderDeletion.objects.get(pk=row.pk).due_at + timedelta(seconds=seconds)


def hotline_call(sid: str = HOTLINE_SID) -> Call:
    twilio_post("twilio_voice", {"CallSid": sid, "From": CALLER, "To": HOTLINE})
    return Call.objects.get(provider_sid=sid)


def ended(sid: str, value: str = "completed") -> Any:
    return twilio_post("twilio_status", {"CallSid": sid, "CallStatus": value, "CallDuration": "30"})


@pytest.mark.parametrize("final", ["completed", "no-answer", "canceled", "failed"])
def test_a_hotline_call_is_deleted_at_twilio_once_it_ended(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, final: str
) -> None:
    call = hotline_call()
    assert (
        twilio_post(
            "twilio_status", {"CallSid": HOTLINE_SID, "CallStatus": "in-progress"}
        ).status_code
        == 204
    )
    assert not ProviderDeletion.objects.exists()  # not over: nothing yet
    assert ended(HOTLINE_SID, final).status_code == 204
    row = ProviderDeletion.objects.get()
    assert (row.kind, row.provider_ref, row.direction) == ("call", HOTLINE_SID, "in")
    assert row.network_id == network_a.pk and row.channel == cleanup.CALL_CHANNEL
    # Twilio refuses to delete a call that is still being processed: a minute later
    assert row.due_at >= timezone.now() + timedelta(seconds=60)
    assert cleanup.run(deletion_id=row.pk) == ""
    assert call_deletes(fake_twilio) == []

    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert fake_twilio.deleted_calls == [HOTLINE_SID]
    # Twilio sends the callback again: still one row, never a second DELETE
    assert ended(HOTLINE_SID, final).status_code == 204
    assert ProviderDeletion.objects.count() == 1
    assert cleanup.run(deletion_id=row.pk, now=later(row, 3600)) == ""
    assert cleanup.due_ids(now=later(row, 86400)) == []
    assert len(call_deletes(fake_twilio)) == 1
    # Amparo keeps its own sealed record and the id
    call.refresh_from_db()
    assert call.provider_sid == HOTLINE_SID and call.from_number == CALLER


def test_the_legs_of_a_hotline_call_are_deleted_too(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    hotline_call()
    fake_twilio.legs[HOTLINE_SID] = [LEG_SID]  # a responder's phone rung (a child call)
    ended(HOTLINE_SID)
    row = ProviderDeletion.objects.get()
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    leg = ProviderDeletion.objects.get(provider_ref=LEG_SID)
    assert (leg.kind, leg.direction, leg.network_id) == ("call", "out", network_a.pk)
    assert cleanup.run(deletion_id=leg.pk, now=later(leg)) == "deleted"
    assert fake_twilio.deleted_calls == [HOTLINE_SID, LEG_SID]


def test_a_call_with_a_voicemail_is_deleted_only_after_the_recording_was_fetched(
    voicemail_call: Call,  # noqa: F811
    fake_twilio: Any,
) -> None:
    fake_twilio.recordings[CALL_SID] = [RECORDING_SID]
    # The call's end can be reported before the recording is ready, or after it.
    ended(CALL_SID)
    recorded()
    row = ProviderDeletion.objects.get(provider_ref=CALL_SID)
    assert Call.objects.get(pk=voicemail_call.pk).recording_status == Call.Recording.PENDING

    when = later(row)
    assert cleanup.run(deletion_id=row.pk, now=when) == "held"
    held = ProviderDeletion.objects.get(pk=row.pk)
    assert held.deleted_at is None and held.claimed_at is None
    assert held.attempts == 0  # holding is not a failed attempt
    assert held.due_at == when + cleanup.HOLD_DELAY and "voicemail" in held.error
    assert call_deletes(fake_twilio) == []

    # The voicemail is fetched, sealed and deleted at Twilio; then the call can go.
    assert calls.voicemail_fetch(call_id=voicemail_call.pk) == Call.Recording.STORED
    assert calls.voicemail_audio(call=Call.objects.get(pk=voicemail_call.pk)) == fake_twilio.audio
    assert cleanup.run(deletion_id=row.pk, now=later(held)) == "deleted"
    assert fake_twilio.deleted_calls == [CALL_SID]
    steps = [(method, path) for method, path in fake_twilio.requests if method != "POST"]
    fetched = steps.index(next(s for s in steps if s[0] == "GET" and s[1].endswith(".mp3")))
    recording_gone = steps.index(
        next(s for s in steps if "/Recordings/RE" in s[1] and s[0] == "DELETE")
    )
    call_gone = steps.index(next(s for s in steps if "/Calls/CA" in s[1] and s[0] == "DELETE"))
    assert fetched < recording_gone < call_gone


def test_a_recording_twilio_still_lists_holds_the_call(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    """The recording's callback has not arrived yet: Amparo knows of no voicemail, but
    Twilio lists one for the call, so the call is not deleted."""
    hotline_call()
    fake_twilio.recordings[HOTLINE_SID] = ["RE" + "1" * 32]
    ended(HOTLINE_SID)
    row = ProviderDeletion.objects.get()
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "held"
    assert "recording" in ProviderDeletion.objects.get(pk=row.pk).error
    assert fake_twilio.deleted_calls == []
    fake_twilio.deleted.append("RE" + "1" * 32)  # fetched and deleted meanwhile
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert fake_twilio.deleted_calls == [HOTLINE_SID]


@pytest.mark.parametrize("state", ["failed", "stored-not-deleted"])
def test_a_voicemail_not_safe_here_keeps_the_call_at_twilio(
    voicemail_call: Call,  # noqa: F811
    fake_twilio: Any,
    state: str,
) -> None:
    recorded()
    if state == "failed":  # could not be fetched: left at Twilio for someone to fetch by hand
        fake_twilio.fail_downloads = 99
        for _ in range(calls.MAX_RECORDING_ATTEMPTS):
            calls.voicemail_fetch(call_id=voicemail_call.pk)
        expected = Call.Recording.FAILED
    else:  # stored here, but Twilio's copy could not be deleted yet
        Call.objects.filter(pk=voicemail_call.pk).update(
            recording_status=Call.Recording.STORED, recording_error=calls.DELETE_FAILED
        )
        expected = Call.Recording.STORED
    assert Call.objects.get(pk=voicemail_call.pk).recording_status == expected
    ended(CALL_SID)
    row = ProviderDeletion.objects.get(provider_ref=CALL_SID)
    when = later(row)
    for _ in range(3):
        assert cleanup.run(deletion_id=row.pk, now=when) == "held"
        when = later(row)
    assert fake_twilio.deleted_calls == [] and call_deletes(fake_twilio) == []
    assert ProviderDeletion.objects.get(pk=row.pk).deleted_at is None


def test_a_500_is_retried_and_a_success_is_not_repeated(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    hotline_call()
    ended(HOTLINE_SID)
    row = ProviderDeletion.objects.get()
    fake_twilio.fail_call_deletes = 1
    first_try = later(row)
    assert cleanup.run(deletion_id=row.pk, now=first_try) == "retry"
    failed = ProviderDeletion.objects.get(pk=row.pk)
    assert failed.deleted_at is None and failed.attempts == 1 and failed.claimed_at is None
    assert "500" in failed.error and CALLER not in failed.error
    assert failed.due_at >= first_try + cleanup.FIRST_DELAY
    assert cleanup.due_ids(now=first_try + timedelta(seconds=5)) == []
    assert cleanup.due_ids(now=later(failed)) == [row.pk]
    assert cleanup.run(deletion_id=row.pk, now=later(failed)) == "deleted"
    done = ProviderDeletion.objects.get(pk=row.pk)
    assert done.attempts == 2 and done.deleted_at is not None and done.error == ""
    assert fake_twilio.deleted_calls == [HOTLINE_SID]
    assert cleanup.run(deletion_id=row.pk, now=later(done, 10**6)) == ""
    assert cleanup.due_ids(now=later(done, 10**6)) == []
    assert len(call_deletes(fake_twilio)) == 2  # the failed one and the good one, no more


def test_a_call_already_gone_at_twilio_counts_as_done(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    hotline_call()
    fake_twilio.deleted_calls.append(HOTLINE_SID)  # someone deleted it already: 404
    ended(HOTLINE_SID)
    row = ProviderDeletion.objects.get()
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    done = ProviderDeletion.objects.get(pk=row.pk)
    assert done.error == "already gone" and done.attempts == 1
    assert cleanup.run(deletion_id=row.pk, now=later(done, 10**6)) == ""
    assert len(call_deletes(fake_twilio)) == 1


def callout(network: Any) -> Delivery:
    delivery = outbox_write(
        network=network, channel="twilio_voice", to="+14135550142", body="x", purpose="message"
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        provider_ref=CALLOUT_SID, status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    delivery.refresh_from_db()
    return delivery


@pytest.mark.parametrize("final", ["completed", "no-answer", "busy"])
def test_an_alert_call_out_is_deleted_at_twilio_once_it_ended(
    twilio_settings: Any, network_a: Any, fake_twilio: Any, final: str
) -> None:
    delivery = callout(network_a)
    query = urlencode({"d": delivery_token(delivery.pk)})
    ringing = {"CallSid": CALLOUT_SID, "CallStatus": "ringing"}
    assert twilio_post("twilio_voice_alert_status", ringing, query=query).status_code == 204
    assert not ProviderDeletion.objects.exists()
    done = {"CallSid": CALLOUT_SID, "CallStatus": final}
    assert twilio_post("twilio_voice_alert_status", done, query=query).status_code == 204
    row = ProviderDeletion.objects.get()
    assert (row.kind, row.provider_ref, row.direction) == ("call", CALLOUT_SID, "out")
    assert cleanup.run(deletion_id=row.pk, now=later(row)) == "deleted"
    assert fake_twilio.deleted_calls == [CALLOUT_SID]


def test_calls_that_never_reported_their_end_are_deleted_later(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    now = timezone.now()
    recent = hotline_call()
    old = hotline_call("CA" + "d" * 32)
    ancient = hotline_call("CA" + "e" * 32)
    Call.objects.filter(pk=old.pk).update(started_at=now - timedelta(hours=7))
    Call.objects.filter(pk=ancient.pk).update(started_at=now - timedelta(days=40))
    delivery = callout(network_a)
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=now - timedelta(hours=7))
    assert cleanup.stale_calls_schedule(now=now) == 2
    assert cleanup.stale_calls_schedule(now=now) == 0  # once
    rows = {r.provider_ref: r for r in ProviderDeletion.objects.all()}
    assert set(rows) == {old.provider_sid, CALLOUT_SID}
    assert recent.provider_sid not in rows and ancient.provider_sid not in rows
    assert rows[old.provider_sid].direction == "in" and rows[CALLOUT_SID].direction == "out"
    for row in rows.values():
        assert cleanup.run(deletion_id=row.pk, now=now) == "deleted"
    assert sorted(fake_twilio.deleted_calls) == sorted([old.provider_sid, CALLOUT_SID])


def test_the_sweep_schedules_stale_calls(
    twilio_settings: Any, network_a: Any, fake_twilio: Any
) -> None:
    old = hotline_call()
    Call.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(hours=7))
    assert cleanup.provider_deletion_sweep() == 1
    assert ProviderDeletion.objects.get().provider_ref == HOTLINE_SID
