"""A responder's shifts in their calendar feed (``people/calendar.py``): one event per
assignment, its UID unchanged since the first hand-written feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils.translation import gettext as _
from icalendar import Event

from amparo.people.calendar import calendar_event
from amparo.people.models import Person

from .models import ShiftAssignment, ShiftRole
from .shifts.feeds import person_assignments


def event_uid(assignment: ShiftAssignment) -> str:
    """The same from any address the feed is fetched by (``settings.CALENDAR_DOMAIN``)."""
    return f"shift-assignment-{assignment.pk}"


def shift_events(*, person: Person, since: datetime) -> Iterator[Event]:
    """A calendar source: ``person``'s shifts (titles in the active language)."""
    for assignment in person_assignments(person=person, since=since):
        title = _("Amparo hotline shift")
        if assignment.role == ShiftRole.BACKUP:
            title = f"{title} ({_('Backup')})"
        shift = assignment.shift
        yield calendar_event(event_uid(assignment), shift.starts_at, title, end=shift.ends_at)
