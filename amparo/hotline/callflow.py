"""The hotline's call flow, independent of the provider.

The Twilio webhooks turn each step into TwiML, the sandbox phone into text, so the demo
shows exactly what a real caller gets. Only a key pressed takes a call, so a responder's
voicemail never "answers" a caller. A voicemail is announced at once, by text, to the
on-shift responders and dispatchers — without the caller's number (it is on the call's page).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.people.models import Person
from amparo.people.services import people_with_capability

from .models import Call, CallLeg, CallStatus
from .services import call_status_advance, on_shift, ring_numbers

log = logging.getLogger(__name__)

MENU_DIGITS = {"1": "en", "2": "es"}
PRIMARY, BACKUP, VOICEMAIL = "primary", "backup", "voicemail"

#: A leg (one responder's phone rung) is ``ringing``; ``picked-up`` when the phone — or
#: its voicemail — answered and hears the whisper; ``answered`` once the responder took
#: the call (a key pressed: a voicemail never does); ``declined`` when it hung up
#: without taking it; ``no-answer``/``busy``/``cancelled`` when it never picked up.
LEG_RINGING, LEG_PICKED_UP, LEG_ANSWERED = "ringing", "picked-up", "answered"
LEG_DECLINED, LEG_NO_ANSWER, LEG_BUSY, LEG_CANCELLED = "declined", "no-answer", "busy", "cancelled"


def default_language(network: Network) -> str:
    return (network.languages or ["en"])[0]


def call_begin(*, network: Network, provider: str, provider_sid: str, from_number: str) -> Call:
    existing = Call.objects.filter(provider=provider, provider_sid=provider_sid).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Call.objects.create(
                network=network,
                provider=provider,
                provider_sid=provider_sid,
                from_number=from_number or "",
            )
    except IntegrityError:  # the same call id arrived twice at once
        return Call.objects.get(provider=provider, provider_sid=provider_sid)


def call_choose_language(*, call: Call, digits: str | None) -> str:
    """Digits from the menu; no or unknown input keeps the network's first language."""
    language = MENU_DIGITS.get((digits or "").strip()[:1], "") or default_language(call.network)
    if call.language != language:
        Call.objects.filter(pk=call.pk).update(language=language)
        call.language = language
    return language


class RingTarget(NamedTuple):
    person: Person
    number: str
    leg: CallLeg


def call_ring_targets(*, call: Call, stage: str = PRIMARY) -> list[RingTarget]:
    """(person, number, leg) to ring at this stage, recording a leg for each."""
    shift = on_shift(network=call.network, language=call.language or None)
    people = shift.primary if stage == PRIMARY else shift.backup
    if stage == BACKUP and not people:
        # Nobody in the backup group speaks the language: ring the whole backup group.
        people = on_shift(network=call.network).backup
    targets = ring_numbers(people)
    legs = CallLeg.objects.bulk_create(
        [CallLeg(call=call, person=person) for person, _n in targets]
    )
    return [
        RingTarget(person, number, leg) for (person, number), leg in zip(targets, legs, strict=True)
    ]


def call_answered(*, call: Call, person: Person | None = None) -> bool:
    """``person`` took the call (a key pressed on their leg, or the sandbox's answer)."""
    changed = call_status_advance(
        call=call, status=CallStatus.ANSWERED, answered_at=timezone.now(), answered_by=person
    )
    if changed and person is not None:
        CallLeg.objects.filter(call=call, person=person).update(status=LEG_ANSWERED)
    return changed


def call_leg_picked_up(*, leg: CallLeg, provider_sid: str = "") -> None:
    """The phone of ``leg`` (or its voicemail) picked up: it hears the whisper now."""
    fields: dict[str, str] = {"status": LEG_PICKED_UP}
    if provider_sid:
        fields["provider_sid"] = provider_sid[:64]
    CallLeg.objects.filter(pk=leg.pk, status=LEG_RINGING).update(**fields)


def call_leg_ended(*, leg: CallLeg, status: str) -> None:
    """The leg hung up or never picked up, without taking the call."""
    if status not in (LEG_DECLINED, LEG_NO_ANSWER, LEG_BUSY, LEG_CANCELLED):
        status = LEG_NO_ANSWER
    if status == LEG_NO_ANSWER:
        # a leg that picked up and then ended without the key said no (or was a machine)
        CallLeg.objects.filter(pk=leg.pk, status=LEG_PICKED_UP).update(status=LEG_DECLINED)
    CallLeg.objects.filter(pk=leg.pk, status__in=[LEG_RINGING, LEG_PICKED_UP]).update(status=status)


def call_take(*, leg: CallLeg) -> bool:
    """A person (never a voicemail) pressed the key on ``leg``: theirs unless taken or gone."""
    call = leg.call
    call.refresh_from_db(fields=["status"])
    if call.status not in (CallStatus.RINGING, CallStatus.BACKUP):
        return False
    taken = call_answered(call=call, person=leg.person)
    if taken:
        CallLeg.objects.filter(pk=leg.pk).update(status=LEG_ANSWERED)
    return taken


def call_unanswered(*, call: Call) -> str:
    """Nobody picked up: the next stage ("backup" or "voicemail")."""
    call.refresh_from_db(fields=["status"])
    if call.status == CallStatus.RINGING and call_ring_preview(call=call, stage=BACKUP):
        call_status_advance(call=call, status=CallStatus.BACKUP)
        return BACKUP
    return VOICEMAIL


def call_ring_preview(*, call: Call, stage: str) -> bool:
    """Whether anyone would ring at ``stage`` (without recording legs)."""
    shift = on_shift(network=call.network, language=call.language or None)
    people = (
        shift.primary if stage == PRIMARY else shift.backup or on_shift(network=call.network).backup
    )
    return bool(ring_numbers(people))


def call_voicemail_recorded(*, call: Call, recording_sid: str, duration: int | None) -> bool:
    """A voicemail was left: mark it for fetching and tell the people on shift at once."""
    updated = Call.objects.filter(pk=call.pk, recording_sid="").update(
        recording_sid=recording_sid[:64],
        recording_status=Call.Recording.PENDING,
        recording_duration=duration,
    )
    call_status_advance(call=call, status=CallStatus.VOICEMAIL)
    if not updated:
        return False  # a duplicate callback
    call.refresh_from_db()
    voicemail_announce(call=call)
    return True


def call_finished(*, call: Call, duration: int | None = None, answered: bool | None = None) -> None:
    call.refresh_from_db(fields=["status"])
    if call.status in (CallStatus.RINGING, CallStatus.BACKUP):
        final = CallStatus.MISSED
    else:
        final = CallStatus.COMPLETED
    call_status_advance(call=call, status=final, ended_at=timezone.now(), duration_seconds=duration)


def voicemail_announce(*, call: Call) -> int:
    """Text the on-shift responders and the dispatchers: a voicemail waits for a callback."""
    shift = on_shift(network=call.network)
    dispatchers = people_with_capability(call.network, Cap.DISPATCH)
    people = {p.pk: p for p in [*shift.primary, *dispatchers]}
    channel = sms_channel()
    link = settings.BASE_URL + reverse("hotline:call", kwargs={"pk": call.pk})
    sent = 0
    for person, number in ring_numbers(list(people.values())) if channel else []:
        with translation.override(person.language):
            body = _(
                "Amparo: a new hotline voicemail (%(language)s) is waiting for a callback: %(link)s"
            ) % {"language": call.language or "?", "link": link}
        outbox_write(
            network=call.network,
            channel=channel,
            to=number,
            body=body,
            purpose="hotline-voicemail",
            language=person.language,
        )
        sent += 1
    if not sent:
        log.warning("voicemail on call %s: nobody on shift or dispatching to tell", call.pk)
    return sent
