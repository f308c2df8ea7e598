"""The hotline's call flow, independent of the provider.

The Twilio voice webhooks turn each step into TwiML; the sandbox phone's simulated
call turns it into text. Both call these functions, so the demo shows exactly what a
real caller gets:

1. ``call_begin`` — a call arrives (idempotent on the provider's call id);
2. ``call_choose_language`` — the menu ("para español, oprima 2");
3. ``call_ring_targets(stage="primary")`` — every on-shift responder speaking the
   caller's language rings at once; if nobody answers, ``call_unanswered`` moves
   to the backup group, then to voicemail;
4. ``call_answered`` / ``call_voicemail_recorded`` / ``call_finished``.

A voicemail is announced at once, by text, to the on-shift responders and the
network's dispatchers — without the caller's number (it is on the call's page).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.people.identity import text_sender
from amparo.people.models import Person
from amparo.people.services import people_with_capability

from .models import Call, CallLeg, CallStatus
from .services import call_status_advance, on_shift, ring_numbers

log = logging.getLogger(__name__)

MENU_DIGITS = {"1": "en", "2": "es"}
PRIMARY, BACKUP, VOICEMAIL = "primary", "backup", "voicemail"


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


def call_ring_targets(*, call: Call, stage: str = PRIMARY) -> list[tuple[Person, str]]:
    """(person, number) to ring at this stage, and record a leg for each."""
    shift = on_shift(network=call.network, language=call.language or None)
    people = shift.primary if stage == PRIMARY else shift.backup
    if stage == BACKUP and not people:
        # Nobody in the backup group speaks the language: ring the whole backup group.
        people = on_shift(network=call.network).backup
    targets = ring_numbers(people)
    CallLeg.objects.bulk_create([CallLeg(call=call, person=person) for person, _n in targets])
    return targets


def call_answered(*, call: Call, number: str = "", person: Person | None = None) -> bool:
    if person is None and number:
        person = text_sender(network=call.network, address=number).person
    changed = call_status_advance(
        call=call, status=CallStatus.ANSWERED, answered_at=timezone.now(), answered_by=person
    )
    if changed and person is not None:
        CallLeg.objects.filter(call=call, person=person).update(status="answered")
    return changed


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
            ) % {
                "language": call.language or "?",
                "link": link,
            }
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
