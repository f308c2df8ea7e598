"""The hotline's call flow over Twilio: Twilio asks, Amparo answers with TwiML.

1. ``twilio_voice`` — a call arrives at a network's hotline number: greeting and the
   language menu (``<Gather numDigits="1">``); no key pressed → the network's first
   language.
2. ``twilio_voice_menu`` — the key pressed: ring every on-shift responder speaking
   that language at once (``<Dial>`` with one ``<Number>`` each); nobody on shift →
   the backup group; nobody there → voicemail.
3. ``twilio_voice_leg`` — the status callback of each responder's leg: the first one
   ``in-progress`` is who answered (its ``To`` is the responder's number).
4. ``twilio_voice_dial_done`` — the ``<Dial>`` ended: answered → hang up; otherwise
   the next stage (backup group, then voicemail: ``<Record>``).
5. ``twilio_voice_recorded`` — the recording is ready: announce it and fetch it in the
   background (``tasks.voicemail_fetch``), which seals it and deletes it at Twilio.
6. :func:`call_status` — the call's status callbacks (from the channel's
   ``twilio_status``): forward only. A call that ended is scheduled for deletion at
   Twilio (``channels/twilio/cleanup.py``), held by :func:`call_deletion_hold` until its
   voicemail is fetched and deleted there. The three are the ``TWILIO_*_HOOK`` settings.

The URLs are ``urls_twilio.py``; the call flow itself is provider-neutral (``callflow``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from amparo.channels.models import ProviderDeletion
from amparo.channels.twilio import cleanup
from amparo.channels.twilio.common import (
    BadRequest,
    hook_url,
    int_param,
    network_for_number,
    refuse,
    say,
    sid_param,
    twiml,
)
from amparo.channels.twilio.security import twilio_webhook

from . import callflow
from .calls import DELETE_FAILED
from .models import Call, CallStatus
from .services import call_status_advance
from .tasks import voicemail_fetch

log = logging.getLogger(__name__)

PROVIDER = "twilio"
RING_SECONDS = 20
VOICEMAIL_MAX_SECONDS = 180
MENU_TIMEOUT_SECONDS = 6

#: The menu: each choice is always said in its own language, so it is not translated.
MENU_PROMPTS = {"en": "For English, press 1.", "es": "Para español, oprima 2."}
DIGIT_FOR = {language: digit for digit, language in callflow.MENU_DIGITS.items()}


def _call(request: HttpRequest, field: str = "CallSid") -> Call:
    sid = sid_param(request, field)
    call = (
        Call.objects.filter(provider=PROVIDER, provider_sid=sid).select_related("network").first()
    )
    if call is None:
        raise BadRequest(404, "unknown call")
    return call


def _offered(call: Call) -> list[str]:
    return [lang for lang in (call.network.languages or ["en"]) if lang in DIGIT_FOR]


def _voicemail(response: VoiceResponse, call: Call) -> None:
    language = call.language or callflow.default_language(call.network)
    with translation.override(language):
        text = _(
            "Nobody could answer right now. After the tone, please say your name, a number "
            "where we can call you back, and what is happening. We will call you back as "
            "soon as we can. If someone is in danger, call 911."
        )
    say(response, text, language)
    response.record(
        max_length=VOICEMAIL_MAX_SECONDS,
        play_beep=True,
        timeout=8,
        action=hook_url("twilio_voice_goodbye"),
        method="POST",
        recording_status_callback=hook_url("twilio_voice_recorded"),
        recording_status_callback_event="completed absent",
        recording_status_callback_method="POST",
    )
    response.hangup()


def _dial(response: VoiceResponse, call: Call, numbers: list[str], stage: str) -> None:
    language = call.language or callflow.default_language(call.network)
    with translation.override(language):
        text = (
            _("Please hold: we are connecting you with someone from the hotline.")
            if stage == callflow.PRIMARY
            else _("Please keep holding: we are trying more people.")
        )
    say(response, text, language)
    dial = Dial(
        timeout=RING_SECONDS,
        action=hook_url("twilio_voice_dial_done", stage=stage),
        method="POST",
        answer_on_bridge=True,
    )
    for number in numbers:
        dial.number(
            number,
            status_callback=hook_url("twilio_voice_leg"),
            status_callback_event="answered",
            status_callback_method="POST",
        )
    response.append(dial)


def _next_stage(response: VoiceResponse, call: Call, stage: str) -> None:
    """Ring ``stage``; when nobody is there to ring, move on until voicemail."""
    while stage != callflow.VOICEMAIL:
        targets = callflow.call_ring_targets(call=call, stage=stage)
        if targets:
            _dial(response, call, [number for _p, number in targets], stage)
            return
        stage = callflow.call_unanswered(call=call)
        if stage == callflow.BACKUP and not callflow.call_ring_preview(call=call, stage=stage):
            stage = callflow.VOICEMAIL
    _voicemail(response, call)


@twilio_webhook
def voice(request: HttpRequest) -> HttpResponse:
    try:
        sid = sid_param(request, "CallSid")
        network = network_for_number(request.POST.get("To", ""))
    except BadRequest as exc:
        return refuse(request, exc)
    call = callflow.call_begin(
        network=network,
        provider=PROVIDER,
        provider_sid=sid,
        from_number=(request.POST.get("From") or "")[:32],
    )
    response = VoiceResponse()
    offered = _offered(call)
    if len(offered) <= 1:
        callflow.call_choose_language(
            call=call, digits=DIGIT_FOR.get(offered[0]) if offered else None
        )
        _next_stage(response, call, callflow.PRIMARY)
        return twiml(response)
    gather = Gather(
        num_digits=1,
        action=hook_url("twilio_voice_menu"),
        method="POST",
        timeout=MENU_TIMEOUT_SECONDS,
    )
    for language in offered:
        with translation.override(language):
            greeting = _("You have reached the %(name)s hotline.") % {"name": network.name}
        say(gather, greeting, language)
    for language in offered:
        say(gather, MENU_PROMPTS[language], language)
    response.append(gather)
    # No key pressed: the menu step without digits picks the network's first language.
    response.redirect(hook_url("twilio_voice_menu"), method="POST")
    return twiml(response)


@twilio_webhook
def voice_menu(request: HttpRequest) -> HttpResponse:
    try:
        call = _call(request)
    except BadRequest as exc:
        return refuse(request, exc)
    response = VoiceResponse()
    call.refresh_from_db(fields=["status"])
    if call.status not in (CallStatus.RINGING,) or call.legs.exists():
        # A replayed menu step: do not ring anyone twice.
        response.hangup()
        return twiml(response)
    callflow.call_choose_language(call=call, digits=(request.POST.get("Digits") or "")[:4])
    _next_stage(response, call, callflow.PRIMARY)
    return twiml(response)


@twilio_webhook
def voice_leg(request: HttpRequest) -> HttpResponse:
    """A responder's leg changed state; ``in-progress`` means they picked up."""
    try:
        call = _call(request, "ParentCallSid")
        sid_param(request, "CallSid")
    except BadRequest as exc:
        return refuse(request, exc)
    if request.POST.get("CallStatus") == "in-progress":
        callflow.call_answered(call=call, number=(request.POST.get("To") or "")[:32])
    return HttpResponse(status=204)


@twilio_webhook
def voice_dial_done(request: HttpRequest) -> HttpResponse:
    try:
        call = _call(request)
    except BadRequest as exc:
        return refuse(request, exc)
    response = VoiceResponse()
    dial_status = request.POST.get("DialCallStatus", "")
    if dial_status in ("completed", "answered"):
        call.refresh_from_db(fields=["status"])
        if call.status in (CallStatus.RINGING, CallStatus.BACKUP):
            callflow.call_answered(call=call)
        response.hangup()
        return twiml(response)
    stage = callflow.call_unanswered(call=call)
    if stage == callflow.BACKUP and request.GET.get("stage") != callflow.BACKUP:
        _next_stage(response, call, callflow.BACKUP)
    else:
        _voicemail(response, call)
    return twiml(response)


@twilio_webhook
def voice_goodbye(request: HttpRequest) -> HttpResponse:
    """After ``<Record>``: thank the caller and hang up (the recording comes separately)."""
    try:
        call = _call(request)
    except BadRequest as exc:
        return refuse(request, exc)
    language = call.language or callflow.default_language(call.network)
    with translation.override(language):
        text = _("Thank you. We will call you back as soon as we can.")
    response = VoiceResponse()
    say(response, text, language)
    response.hangup()
    return twiml(response)


@twilio_webhook
def voice_recorded(request: HttpRequest) -> HttpResponse:
    """recordingStatusCallback: the voicemail can be fetched."""
    try:
        call = _call(request)
        recording_sid = sid_param(request, "RecordingSid")
    except BadRequest as exc:
        return refuse(request, exc)
    if request.POST.get("RecordingStatus", "completed") != "completed":
        log.warning(
            "call %s: recording not made (%s)",
            call.pk,
            request.POST.get("RecordingStatus", "")[:20],
        )
        return HttpResponse(status=204)
    created = callflow.call_voicemail_recorded(
        call=call, recording_sid=recording_sid, duration=int_param(request, "RecordingDuration")
    )
    if created:
        call_id = call.pk
        transaction.on_commit(lambda: voicemail_fetch(call_id))
    return HttpResponse(status=204)


#: Twilio's final call statuses.
CALL_ENDED = {"completed", "busy", "no-answer", "canceled"}


def call_status(request: HttpRequest) -> HttpResponse:
    """TWILIO_CALL_STATUS_HOOK: a hotline call's status callback (``twilio_status``
    checked its signature)."""
    try:
        call = _call(request)
    except BadRequest as exc:
        return refuse(request, exc)
    status = request.POST.get("CallStatus", "")
    if status in CALL_ENDED:
        callflow.call_finished(call=call, duration=int_param(request, "CallDuration"))
    elif status == "failed":
        call_status_advance(call=call, status=CallStatus.FAILED)
    if status in CALL_ENDED or status == "failed":
        # The call is over: Twilio's record of it (both numbers) can go — after its
        # voicemail, if any, is fetched and deleted there (call_deletion_hold).
        cleanup.schedule_call(
            call_sid=call.provider_sid, direction="in", network_id=call.network_id
        )
    return HttpResponse(status=204)


def call_deletion_hold(*, call_sid: str) -> tuple[str, timedelta]:
    """TWILIO_CALL_HOLD_HOOK: why Twilio's record of this call may not go yet ("" when
    it may), and when to look again: its voicemail is waiting to be fetched, could not
    be fetched, or is stored here but not yet deleted at Twilio."""
    state = (
        Call.objects.filter(provider=PROVIDER, provider_sid=call_sid)
        .values_list("recording_status", "recording_error")
        .first()
    )
    if state is not None:
        status, error = state
        if status == Call.Recording.PENDING:
            return "waiting for the voicemail to be fetched", cleanup.HOLD_DELAY
        if status == Call.Recording.FAILED:
            return "voicemail not fetched: kept at the provider", cleanup.MAX_DELAY
        if status == Call.Recording.STORED and error == DELETE_FAILED:
            return "waiting for the voicemail to be deleted at the provider", cleanup.HOLD_DELAY
    return "", cleanup.HOLD_DELAY


def stale_calls(*, since: datetime, until: datetime, limit: int) -> list[tuple[str, int]]:
    """TWILIO_STALE_CALLS_HOOK: (call sid, network id) of hotline calls begun between
    ``since`` and ``until`` whose deletion at Twilio is not scheduled."""
    known = ProviderDeletion.objects.filter(
        channel=cleanup.CALL_CHANNEL, provider_ref=OuterRef("provider_sid")
    )
    return list(
        Call.objects.filter(provider=PROVIDER, started_at__lt=until, started_at__gte=since)
        .exclude(provider_sid="")
        .filter(~Exists(known))
        .values_list("provider_sid", "network_id")[:limit]
    )
