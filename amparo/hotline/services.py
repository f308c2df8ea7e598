"""Core hotline queries shared by the Twilio webhooks, the sandbox call and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.people.models import Person
from amparo.people.reach import reach_numbers

from .models import CALL_STATUS_ORDER, Call, ShiftAssignment, ShiftRole


@dataclass
class OnShift:
    primary: list[Person] = field(default_factory=list)
    backup: list[Person] = field(default_factory=list)


def on_shift(
    *, network: Network, at: datetime | None = None, language: str | None = None
) -> OnShift:
    """Who is on shift (and backup) at ``at``, speaking ``language``; no opted-out; stable order."""
    at = at or timezone.now()
    assignments = (
        ShiftAssignment.objects.filter(
            shift__network=network, shift__starts_at__lte=at, shift__ends_at__gt=at
        )
        .filter(person__opted_out_at__isnull=True)
        .select_related("person")
        .order_by("shift__starts_at", "id")
    )
    if language:
        assignments = assignments.filter(person__languages_spoken__contains=f" {language} ")
    result = OnShift()
    seen: set[int] = set()
    for assignment in assignments:
        if assignment.person_id in seen:
            continue
        seen.add(assignment.person_id)
        target = result.primary if assignment.role == ShiftRole.PRIMARY else result.backup
        target.append(assignment.person)
    return result


def ring_numbers(people: list[Person]) -> list[tuple[Person, str]]:
    """(person, E.164 number) for each person who takes calls (people/reach.py)."""
    first = reach_numbers(people, "voice")
    return [(p, first[p.pk]) for p in people if p.pk in first]


def call_status_advance(*, call: Call, status: str, **fields: object) -> bool:
    """Move a call forward only (a conditional UPDATE); True if the status changed."""
    new_rank = CALL_STATUS_ORDER[status]
    lower = [s for s, rank in CALL_STATUS_ORDER.items() if rank < new_rank]
    updated = Call.objects.filter(Q(pk=call.pk) & Q(status__in=lower)).update(
        status=status, **fields
    )
    if updated:
        call.refresh_from_db()
    return bool(updated)
