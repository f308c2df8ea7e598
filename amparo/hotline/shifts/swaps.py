"""Swaps: a responder asks for cover, the eligible are texted, and exactly one takes the
shift, on the web or by SMS ("TAKE 4821" / "TOMAR 4821")."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.channels import inbound
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold
from amparo.people.identity import text_sender
from amparo.people.models import Person
from amparo.people.texting import person_text

from ..models import Shift, ShiftAssignment, SwapRequest
from .reminders import shift_when
from .rotations import hotline_people

INBOUND_HANDLER = "hotline.swap"
#: channels whose senders are phone numbers (replies to a swap text come back on them)
SMS_REPLY_CHANNELS = {"sandbox", "twilio_sms"}
TAKE_WORDS = {"take", "tomar", "tomo", "toma", "tomo el turno"}
TAKE_KEYWORD = {"en": "TAKE", "es": "TOMAR"}
_TAKE_RE = re.compile(r"^([a-z ]+?)\s*#?\s*(\d{4,8})$")


def _eligible(shift: Shift, person: Person) -> str:
    """ "" if ``person`` may take a place on ``shift``, else why not (translated)."""
    if person.network_id != shift.network_id:
        return _("Choose people of this network.")
    if person.opted_out_at or person.status in (Person.Status.INACTIVE, Person.Status.REMOVED):
        return _("This person cannot take shifts now.")
    spoken = set(person.speaks())
    if any(code not in spoken for code in shift.languages_required or []):
        return _("This shift needs someone who speaks its languages.")
    if any(a.person_id == person.pk for a in shift.assignments.all()):  # may be prefetched
        return _("You are already on this shift.")
    return ""


def swap_candidates(*, swap: SwapRequest) -> list[Person]:
    shift = swap.assignment.shift
    return [
        p
        for p in hotline_people(shift.network).filter(opted_out_at__isnull=True)
        if p.pk != swap.requested_by_id and not _eligible(shift, p)
    ]


def _new_code(network: Network) -> str:
    for _attempt in range(50):
        code = f"{secrets.randbelow(9000) + 1000}"
        if not SwapRequest.objects.filter(
            assignment__shift__network=network, code=code, status=SwapRequest.Status.OPEN
        ).exists():
            return code
    return f"{secrets.randbelow(900000) + 100000}"


def _ask_text(person: Person, swap: SwapRequest) -> str:
    shift = swap.assignment.shift
    with translation.override(person.language):
        return _(
            "%(network)s: Can you take a hotline shift, %(when)s? "
            "Reply %(keyword)s %(code)s to take it."
        ) % {
            "network": shift.network.name,
            "when": shift_when(shift, person.language),
            "keyword": TAKE_KEYWORD.get(person.language, "TAKE"),
            "code": swap.code,
        }


def swap_request_create(
    *, assignment: ShiftAssignment, person: Person | None, actor: User | None = None
) -> tuple[SwapRequest, int]:
    """``person`` asks for cover for their own assignment (an open request is returned as
    it is); eligible responders are texted. Returns (the request, how many texted)."""
    shift = assignment.shift
    if person is None or assignment.person_id != person.pk:
        raise ValidationError(_("You can only ask for cover for your own shift."))
    if shift.ends_at <= timezone.now():
        raise ValidationError(_("This shift is over."))
    with transaction.atomic():
        existing = SwapRequest.objects.filter(
            assignment=assignment, status=SwapRequest.Status.OPEN
        ).first()
        if existing is not None:
            return existing, 0
        swap = SwapRequest.objects.create(
            assignment=assignment, requested_by=person, code=_new_code(shift.network)
        )
        audit_record(action=AuditEvent.Action.CREATE, actor=actor, network=shift.network, obj=swap)
        texted = sum(
            1
            for candidate in swap_candidates(swap=swap)
            if person_text(candidate, _ask_text(candidate, swap), "shift-swap")
        )
    return swap, texted


def swap_cancel(*, swap: SwapRequest, person: Person | None, actor: User | None = None) -> bool:
    if person is None or swap.requested_by_id != person.pk:
        raise ValidationError(_("You can only cancel your own request."))
    done = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.OPEN).update(
        status=SwapRequest.Status.CANCELLED, resolved_at=timezone.now()
    )
    if done:
        audit_record(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            network=swap.assignment.shift.network,
            obj=swap,
            fields=["status"],
        )
    return bool(done)


class SwapRefused(Exception):
    def __init__(self, message: str, *, taken: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.taken = taken


def _taken_texts(swap: SwapRequest, taker: Person) -> None:
    shift = swap.assignment.shift
    requester = swap.requested_by
    with translation.override(requester.language):
        body = _("%(network)s: Your hotline shift %(when)s is covered. Thank you.") % {
            "network": shift.network.name,
            "when": shift_when(shift, requester.language),
        }
    person_text(requester, body, "shift-swap")


def taker_text(swap: SwapRequest, taker: Person) -> str:
    shift = swap.assignment.shift
    with translation.override(taker.language):
        return _("%(network)s: The hotline shift %(when)s is yours. Thank you!") % {
            "network": shift.network.name,
            "when": shift_when(shift, taker.language),
        }


def swap_take(
    *, swap: SwapRequest, person: Person, actor: User | None = None, text_taker: bool = True
) -> SwapRequest:
    """``person`` takes the shift; one taker wins (conditional UPDATE), others get SwapRefused."""
    assignment = swap.assignment
    shift = assignment.shift
    if person.network_id != shift.network_id:
        raise SwapRefused(_("Choose people of this network."))
    if swap.status != SwapRequest.Status.OPEN:
        raise SwapRefused(_("Someone already took this shift."), taken=True)
    if person.pk == swap.requested_by_id:
        raise SwapRefused(_("You asked for cover for this shift yourself."))
    if shift.ends_at <= timezone.now():
        raise SwapRefused(_("This shift is over."))
    reason = _eligible(shift, person)
    if reason:
        raise SwapRefused(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            won = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.OPEN).update(
                status=SwapRequest.Status.TAKEN, taken_by=person, resolved_at=now
            )
            if not won:
                raise SwapRefused(_("Someone already took this shift."), taken=True)
            moved = ShiftAssignment.objects.filter(
                pk=assignment.pk, person_id=swap.requested_by_id
            ).update(person=person, reminded_at=None)
            if not moved:
                raise SwapRefused(_("This shift has changed; ask the coordinator."))
            audit_record(
                action=AuditEvent.Action.UPDATE,
                actor=actor,
                network=shift.network,
                obj=assignment,
                fields=["person"],
                note=f"swap {swap.pk}",
            )
            swap.refresh_from_db()
            _taken_texts(swap, person)
            if text_taker:
                person_text(person, taker_text(swap, person), "shift-swap")
    except IntegrityError:  # they were put on the shift meanwhile
        raise SwapRefused(_("You are already on this shift.")) from None
    return swap


def parse_take(text: str) -> str:
    """The code in "TAKE 4821" / "tomar 4821" / "Tomo #4821", else ""."""
    words = fold(text or "").strip().strip(".!¡?¿").strip()
    match = _TAKE_RE.match(words)
    if match is None or match.group(1).strip() not in TAKE_WORDS:
        return ""
    return match.group(2)


def swap_inbound(message: Any) -> inbound.Handled | None:
    """Inbound handler: "TAKE 4821" from a responder's phone takes that open request."""
    if message.channel not in ({sms_channel(), *SMS_REPLY_CHANNELS} - {""}):
        return None
    code = parse_take(message.body or "")
    if not code:
        return None
    network = message.network
    sender = text_sender(network=network, address=message.from_address)
    people, language = sender.people, sender.language
    matching = list(
        SwapRequest.objects.filter(assignment__shift__network=network, code=code)
        .select_related("assignment__shift__network", "requested_by__network")
        .order_by("-created_at")[:20]
    )
    # An open request with that code first, else the most recent one (to say "taken").
    swap_obj = next((s for s in matching if s.status == SwapRequest.Status.OPEN), None) or (
        matching[0] if matching else None
    )
    with translation.override(language):
        if not people:
            reply = _("%(network)s: We could not find this number among the hotline team.")
            return inbound.Handled(
                handler=INBOUND_HANDLER, reply=reply % {"network": network.name}, language=language
            )
        if swap_obj is None:
            reply = _("%(network)s: No shift is waiting for cover with that code.") % {
                "network": network.name
            }
            return inbound.Handled(handler=INBOUND_HANDLER, reply=reply, language=language)
        last_refusal = ""
        for person in people:
            try:
                swap_take(swap=swap_obj, person=person, text_taker=False)
            except SwapRefused as refused:
                last_refusal = refused.message
                if refused.taken:
                    break
                continue
            return inbound.Handled(
                handler=INBOUND_HANDLER, reply=taker_text(swap_obj, person), language=language
            )
        reply = f"{network.name}: {last_refusal}"
    return inbound.Handled(handler=INBOUND_HANDLER, reply=reply, language=language)
