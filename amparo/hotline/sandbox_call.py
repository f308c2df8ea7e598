"""The sandbox phone calls the hotline: a text-mode call through the same call flow
(:mod:`amparo.hotline.callflow`). At voicemail the "caller" types what they would have
said; the text is stored as the recording (sealed like audio).
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.channels.outbox import outbox_write
from amparo.people.models import Person

from . import callflow
from .models import Call, CallLeg, CallStatus

PROVIDER = "sandbox"
CHANNEL = "sandbox"
RINGING, NO_ANSWER, CANCELLED = callflow.LEG_RINGING, callflow.LEG_NO_ANSWER, callflow.LEG_CANCELLED
MAX_VOICEMAIL = 2000


def sandbox_call_begin(*, network: Network, from_number: str) -> Call:
    return callflow.call_begin(
        network=network,
        provider=PROVIDER,
        provider_sid="SB" + secrets.token_hex(16),
        from_number=from_number,
    )


def _ring(*, call: Call, stage: str) -> int:
    targets = callflow.call_ring_targets(call=call, stage=stage)
    link = settings.BASE_URL + reverse("hotline:sandbox_call_step", kwargs={"pk": call.pk})
    for person, number, _leg in targets:
        with translation.override(person.language):
            body = _("Hotline call ringing (%(language)s) — answer: %(link)s") % {
                "language": call.language or "?",
                "link": link,
            }
        outbox_write(
            network=call.network,
            channel=CHANNEL,
            to=number,
            body=body,
            purpose="hotline-ring",
            language=person.language,
        )
    return len(targets)


def sandbox_call_menu(*, call: Call, digits: str) -> str:
    """The caller pressed a key: choose the language and ring; returns the stage."""
    callflow.call_choose_language(call=call, digits=digits)
    if _ring(call=call, stage=callflow.PRIMARY):
        return callflow.PRIMARY
    return sandbox_call_unanswered(call=call)


def sandbox_call_unanswered(*, call: Call) -> str:
    """Nobody picked up: ring the backup group, or go to voicemail."""
    CallLeg.objects.filter(call=call, status=RINGING).update(status=NO_ANSWER)
    stage = callflow.call_unanswered(call=call)
    if stage == callflow.BACKUP and _ring(call=call, stage=callflow.BACKUP):
        return callflow.BACKUP
    return callflow.VOICEMAIL


def sandbox_call_stage(call: Call) -> str:
    """ "menu", "primary"/"backup" (ringing), "voicemail" (waiting for one) or "done"."""
    if call.status in (CallStatus.RINGING, CallStatus.BACKUP):
        if not call.language:
            return "menu"
        if CallLeg.objects.filter(call=call, status=RINGING).exists():
            return callflow.BACKUP if call.status == CallStatus.BACKUP else callflow.PRIMARY
        return callflow.VOICEMAIL
    return "done"


def sandbox_call_ringing_people(call: Call) -> list[Person]:
    legs = CallLeg.objects.filter(call=call, status=RINGING, person__isnull=False)
    return [leg.person for leg in legs.select_related("person") if leg.person is not None]


def sandbox_call_answer(*, call: Call, person: Person) -> bool:
    changed = callflow.call_answered(call=call, person=person)
    if changed:
        CallLeg.objects.filter(call=call, status=RINGING).exclude(person=person).update(
            status=CANCELLED
        )
    return changed


def sandbox_call_voicemail(*, call: Call, text: str) -> bool:
    """The caller "speaks" a voicemail: stored sealed as the recording, announced at once."""
    CallLeg.objects.filter(call=call, status=RINGING).update(status=NO_ANSWER)
    recorded = callflow.call_voicemail_recorded(
        call=call, recording_sid="SBRE" + secrets.token_hex(15), duration=None
    )
    if not recorded:
        return False
    call.recording = base64.b64encode(text[:MAX_VOICEMAIL].encode()).decode()
    call.recording_status = Call.Recording.STORED
    call.recording_error = ""
    call.save(update_fields=["recording", "recording_status", "recording_error"])
    callflow.call_finished(call=call)
    return True


def sandbox_call_hangup(*, call: Call) -> None:
    CallLeg.objects.filter(call=call, status=RINGING).update(status=CANCELLED)
    callflow.call_finished(call=call)
