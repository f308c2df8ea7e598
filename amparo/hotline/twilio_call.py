"""The hotline's call flow over Twilio: Twilio asks, Amparo answers with TwiML.

``twilio_voice`` greets and offers the language menu; ``twilio_voice_menu`` rings every
on-shift responder of that language at once (then the backup group, then voicemail).
Each leg that picks up hears a whisper (``twilio_voice_whisper``); only key 1
(``twilio_voice_take``) connects the caller, so a responder's voicemail never answers —
no key hangs up that leg alone. ``twilio_voice_dial_done`` trusts what Amparo recorded at
the key press, never Twilio's ``DialCallStatus`` alone (a leg that picked up and hung up
is not an answer). ``twilio_voice_recorded`` fetches the voicemail in the background, which
seals it and deletes it at Twilio. :func:`call_status` (the ``TWILIO_*_HOOK`` settings)
moves status forward only and schedules an ended call's deletion at Twilio, held by
:func:`call_deletion_hold` until its voicemail is fetched and deleted there.

The flow itself is provider-neutral (``callflow``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from amparo.channels.models import ProviderDeletion
from amparo.channels.twilio import cleanup
from amparo.channels.twilio.common import (
    BadRequest,
    hang_up,
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
from .models import Call, CallLeg, CallStatus
from .services import call_status_advance
from .tasks import voicemail_fetch

log = logging.getLogger(__name__)

PROVIDER = "twilio"
RING_SECONDS = 20
#: Seconds a responder's leg has, after the whisper, to press the key.
WHISPER_SECONDS = 6
TAKE_DIGIT = "1"
VOICEMAIL_MAX_SECONDS = 180
MENU_TIMEOUT_SECONDS = 6

#: The menu: each choice is always said in its own language, so it is not translated.
MENU_PROMPTS = {"en": "For English, press 1.", "es": "Para español, oprima 2."}
DIGIT_FOR = {language: digit for digit, language in callflow.MENU_DIGITS.items()}
#: The caller's language as the whisper names it, mid-sentence ("… in Spanish: …").
LANGUAGE_NAMES = {
    "en": pgettext_lazy("a language, mid-sentence", "English"),
    "es": pgettext_lazy("a language, mid-sentence", "Spanish"),
}


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


def _leg(request: HttpRequest) -> CallLeg:
    """The leg named in the URL Amparo signed; a ``ParentCallSid`` sent must be its call's."""
    try:
        leg_id = int(request.GET.get("leg") or "")
    except ValueError:
        raise BadRequest(400, "missing or malformed leg") from None
    leg = (
        CallLeg.objects.filter(pk=leg_id, call__provider=PROVIDER)
        .select_related("call__network", "person")
        .first()
    )
    if leg is None:
        raise BadRequest(404, "unknown leg")
    parent = (request.POST.get("ParentCallSid") or "").strip()
    if parent and parent != leg.call.provider_sid:
        raise BadRequest(404, "unknown leg")
    return leg


def _leg_languages(leg: CallLeg) -> list[str]:
    """The caller's language first, then the responder's own if it differs."""
    call = leg.call
    languages = [call.language or callflow.default_language(call.network)]
    own = leg.person.language if leg.person is not None else ""
    if own and own not in languages and own in LANGUAGE_NAMES:
        languages.append(own)
    return languages


def _dial(
    response: VoiceResponse, call: Call, targets: list[callflow.RingTarget], stage: str
) -> None:
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
    for target in targets:
        leg = str(target.leg.pk)
        dial.number(
            target.number,
            # the whisper: nobody is connected until a key is pressed on this leg
            url=hook_url("twilio_voice_whisper", leg=leg),
            method="POST",
            status_callback=hook_url("twilio_voice_leg", leg=leg),
            status_callback_event="answered completed",
            status_callback_method="POST",
        )
    response.append(dial)


def _next_stage(response: VoiceResponse, call: Call, stage: str) -> None:
    """Ring ``stage``; when nobody is there to ring, move on until voicemail."""
    while stage != callflow.VOICEMAIL:
        targets = callflow.call_ring_targets(call=call, stage=stage)
        if targets:
            _dial(response, call, targets, stage)
            return
        stage = callflow.call_unanswered(call=call)
        if stage == callflow.BACKUP and not callflow.call_ring_preview(call=call, stage=stage):
            stage = callflow.VOICEMAIL
    _voicemail(response, call)


@twilio_webhook
def voice(request: HttpRequest) -> HttpResponse:
    sid = sid_param(request, "CallSid")
    network = network_for_number(request.POST.get("To", ""))
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
    call = _call(request)
    response = VoiceResponse()
    call.refresh_from_db(fields=["status"])
    if call.status not in (CallStatus.RINGING,) or call.legs.exists():
        return hang_up(response)  # a replayed menu step: do not ring anyone twice
    callflow.call_choose_language(call=call, digits=(request.POST.get("Digits") or "")[:4])
    _next_stage(response, call, callflow.PRIMARY)
    return twiml(response)


@twilio_webhook
def voice_whisper(request: HttpRequest) -> HttpResponse:
    """A responder's phone — or its voicemail — picked up (``<Number url=…>``): the
    caller keeps hearing the ring while this leg hears whose call it is and must press
    1. No key → this leg alone hangs up; the others keep ringing."""
    leg = _leg(request)
    callflow.call_leg_picked_up(leg=leg, provider_sid=(request.POST.get("CallSid") or ""))
    call = leg.call
    call.refresh_from_db(fields=["status"])
    response = VoiceResponse()
    languages = _leg_languages(leg)
    if call.status not in (CallStatus.RINGING, CallStatus.BACKUP):
        return _taken_elsewhere(response, languages[-1])
    gather = Gather(
        num_digits=1,
        action=hook_url("twilio_voice_take", leg=str(leg.pk)),
        method="POST",
        timeout=WHISPER_SECONDS,
        action_on_empty_result=False,
    )
    for language in languages:
        with translation.override(language):
            text = _("Amparo hotline call in %(language)s: press 1 to take this call.") % {
                "language": LANGUAGE_NAMES.get(call.language or languages[0], call.language)
            }
        say(gather, text, language)
    response.append(gather)
    # No key within WHISPER_SECONDS (a voicemail greeting never presses one): this
    # leg hangs up and the caller is not connected to it.
    return hang_up(response)


def _taken_elsewhere(response: VoiceResponse, language: str) -> HttpResponse:
    with translation.override(language):
        text = _("Someone else has taken this hotline call. Thank you.")
    return hang_up(response, text, language)


@twilio_webhook
def voice_take(request: HttpRequest) -> HttpResponse:
    """The key pressed in the whisper: 1 takes the call (first wins), others decline this leg."""
    leg = _leg(request)
    response = VoiceResponse()
    languages = _leg_languages(leg)
    if (request.POST.get("Digits") or "").strip()[:1] != TAKE_DIGIT:
        callflow.call_leg_ended(leg=leg, status=callflow.LEG_DECLINED)
        return hang_up(response)
    if not callflow.call_take(leg=leg):
        callflow.call_leg_ended(leg=leg, status=callflow.LEG_CANCELLED)
        return _taken_elsewhere(response, languages[-1])
    with translation.override(languages[-1]):
        text = _("Connecting you now.")
    say(response, text, languages[-1])
    # The whisper ends here without a hang-up: Twilio connects this leg to the caller.
    return twiml(response)


#: A leg's final ``CallStatus`` → what Amparo records (``completed`` after picking up
#: without the key: declined).
LEG_ENDED = {
    "completed": callflow.LEG_NO_ANSWER,
    "no-answer": callflow.LEG_NO_ANSWER,
    "busy": callflow.LEG_BUSY,
    "failed": callflow.LEG_NO_ANSWER,
    "canceled": callflow.LEG_CANCELLED,
}


@twilio_webhook
def voice_leg(request: HttpRequest) -> HttpResponse:
    """A responder's leg changed state. ``in-progress`` means only that a phone or a
    voicemail picked up — never that the call was answered (that is the key press)."""
    leg = _leg(request)
    sid_param(request, "CallSid")
    status = request.POST.get("CallStatus", "")
    if status == "in-progress":
        callflow.call_leg_picked_up(leg=leg, provider_sid=request.POST.get("CallSid", ""))
    elif status in LEG_ENDED:
        callflow.call_leg_ended(leg=leg, status=LEG_ENDED[status])
    return HttpResponse(status=204)


@twilio_webhook
def voice_dial_done(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    response = VoiceResponse()
    call.refresh_from_db(fields=["status"])
    caller_gone = request.POST.get("CallStatus", "") in CALL_ENDED | {"failed"}
    if call.status not in (CallStatus.RINGING, CallStatus.BACKUP) or caller_gone:
        # Taken by a responder who pressed the key (recorded then), or already over.
        # Twilio's DialCallStatus is not trusted for this: "completed" also follows a
        # leg that picked up (a voicemail) and hung up without taking the call.
        return hang_up(response)
    stage = callflow.call_unanswered(call=call)
    if stage == callflow.BACKUP and request.GET.get("stage") != callflow.BACKUP:
        _next_stage(response, call, callflow.BACKUP)
    else:
        _voicemail(response, call)
    return twiml(response)


@twilio_webhook
def voice_goodbye(request: HttpRequest) -> HttpResponse:
    """After ``<Record>``: thank the caller and hang up (the recording comes separately)."""
    call = _call(request)
    language = call.language or callflow.default_language(call.network)
    with translation.override(language):
        text = _("Thank you. We will call you back as soon as we can.")
    return hang_up(VoiceResponse(), text, language)


@twilio_webhook
def voice_recorded(request: HttpRequest) -> HttpResponse:
    """recordingStatusCallback: the voicemail can be fetched."""
    call = _call(request)
    recording_sid = sid_param(request, "RecordingSid")
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
    """TWILIO_CALL_STATUS_HOOK: a hotline call's status (``twilio_status`` checked it)."""
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
    """TWILIO_STALE_CALLS_HOOK: (sid, network id) of calls begun in the window, not scheduled."""
    known = ProviderDeletion.objects.filter(
        channel=cleanup.CALL_CHANNEL, provider_ref=OuterRef("provider_sid")
    )
    return list(
        Call.objects.filter(provider=PROVIDER, started_at__lt=until, started_at__gte=since)
        .exclude(provider_sid="")
        .filter(~Exists(known))
        .values_list("provider_sid", "network_id")[:limit]
    )
