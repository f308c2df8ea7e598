"""A steward's I-9 audit deadlines in their calendar feed (people/calendar.py): each open
audit's notices and unsent union steps as all-day events, its state duties at their hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from icalendar import Event

from amparo.people.calendar import calendar_event
from amparo.people.models import Person

from .models import Audit, AuditNotice, StateDuty, UnionAction


def deadline_events(*, person: Person, since: datetime) -> Iterator[Event]:
    audits = Audit.objects.filter(steward=person, status=Audit.Status.OPEN)
    day = since.date()
    rows: list[tuple[str, Any, str, Any]] = [
        (f"audit-notice-{n.pk}", n.due_on, n.kind.label, n.audit)
        for n in AuditNotice.objects.filter(audit__in=audits, due_on__gte=day).select_related(
            "kind", "audit__workplace"
        )
    ]
    rows += [
        (f"audit-action-{a.pk}", a.due_on, a.step.label, a.audit)
        for a in UnionAction.objects.filter(
            audit__in=audits, due_on__gte=day, sent_on__isnull=True
        ).select_related("step", "audit__workplace")
    ]
    rows += [
        (f"audit-duty-{d.pk}", d.due_at, d.rule.duty_text, d.audit)
        for d in StateDuty.objects.filter(
            audit__in=audits, due_at__gte=since, done_at__isnull=True
        ).select_related("rule", "audit__workplace")
    ]
    for uid, when, what, audit in rows:
        title = _("I-9 deadline: %(what)s, %(workplace)s")
        yield calendar_event(uid, when, title % {"what": what, "workplace": audit.workplace.name})
