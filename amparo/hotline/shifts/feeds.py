"""The shifts a responder's calendar feed lists (the feed itself: people/calendar.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from amparo.people.models import Person

from ..models import ShiftAssignment


def person_assignments(*, person: Person, since: datetime | None = None) -> list[ShiftAssignment]:
    since = since or timezone.now()
    return list(
        ShiftAssignment.objects.filter(person=person, shift__ends_at__gt=since)
        .select_related("shift__network")
        .order_by("shift__starts_at")[:500]
    )
