"""Texts to responders about their shifts: how a shift is written, texting a person,
and the reminder sweep."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.people.participation import network_zone
from amparo.people.texting import person_text

from ..models import Shift, ShiftAssignment, ShiftRole

#: how far ahead a shift reminder goes out
REMINDER_HOURS = 12
#: at most this many reminders per sweep (the next sweep takes the rest)
REMINDER_BATCH = 500


def shift_when(shift: Shift, language: str | None = None) -> str:
    """'Tue 12 Mar 18:00–00:00' in the network's time zone and the active language."""
    zone = network_zone(shift.network)
    starts = shift.starts_at.astimezone(zone)
    ends = shift.ends_at.astimezone(zone)
    with translation.override(language or translation.get_language()):
        day = formats.date_format(starts, "D j M")
        return f"{day} {starts:%H:%M}–{ends:%H:%M}"


def _reminder_text(assignment: ShiftAssignment) -> str:
    person = assignment.person
    shift = assignment.shift
    with translation.override(person.language):
        values = {"network": shift.network.name, "when": shift_when(shift, person.language)}
        if assignment.role == ShiftRole.BACKUP:
            return _("%(network)s: Reminder: you are hotline backup %(when)s.") % values
        return _("%(network)s: Reminder: your hotline shift is %(when)s.") % values


def shift_reminders_due(*, hours: int = REMINDER_HOURS) -> int:
    """Sweep: text each person once (conditional UPDATE) before a shift within ``hours``."""
    now = timezone.now()
    due = list(
        ShiftAssignment.objects.filter(
            reminded_at__isnull=True,
            shift__starts_at__gt=now,
            shift__starts_at__lte=now + timedelta(hours=hours),
        )
        .select_related("shift__network", "person__network")
        .order_by("shift__starts_at", "id")[:REMINDER_BATCH]
    )
    sent = 0
    for assignment in due:
        with transaction.atomic():
            claimed = ShiftAssignment.objects.filter(
                pk=assignment.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            if person_text(assignment.person, _reminder_text(assignment), "shift-reminder"):
                sent += 1
    return sent
