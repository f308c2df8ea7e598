"""A steward's I-9 audit deadlines in their calendar feed (people/calendar.py): each open
audit's notices and unsent union steps as all-day events, its state duties at their hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils.translation import gettext as _
from icalendar import Event

from amparo.people.calendar import calendar_event
from amparo.people.models import Person

from .models import Audit, AuditNotice, StateDuty, UnionAction


def deadline_events(*, person: Person, since: datetime) -> Iterator[Event]:
    audits = Audit.objects.filter(steward=person, status=Audit.Status.OPEN)
    day = since.date()
    for notice in AuditNotice.objects.filter(audit__in=audits, due_on__gte=day).select_related(
        "kind", "audit__workplace"
    ):
        title = _("I-9 deadline: %(what)s, %(workplace)s") % {
            "what": notice.kind.label,
            "workplace": notice.audit.workplace.name,
        }
        yield calendar_event(f"audit-notice-{notice.pk}", notice.due_on, title)  # type: ignore[arg-type]
    for action in UnionAction.objects.filter(
        audit__in=audits, due_on__gte=day, sent_on__isnull=True
    ).select_related("audit__workplace"):
        title = _("I-9 deadline: %(what)s, %(workplace)s") % {
            "what": action.get_step_display(),
            "workplace": action.audit.workplace.name,
        }
        yield calendar_event(f"audit-action-{action.pk}", action.due_on, title)  # type: ignore[arg-type]
    for duty in StateDuty.objects.filter(
        audit__in=audits, due_at__gte=since, done_at__isnull=True
    ).select_related("rule", "audit__workplace"):
        title = _("I-9 deadline: %(what)s, %(workplace)s") % {
            "what": duty.rule.duty_text,
            "workplace": duty.audit.workplace.name,
        }
        yield calendar_event(f"audit-duty-{duty.pk}", duty.due_at, title)
