"""The hearings' sweep (core/sweeper.py): the day before (the same clock time, in the
network's zone, so a change of daylight-saving time moves nothing) and two hours before,
the family and the accompaniers are reminded; 48 hours before, a hearing with fewer
accompaniers than wanted goes to the coordinators; three hours after, the accompaniers
are asked how it went. Each step is claimed once per hearing (a conditional UPDATE), so
two sweepers never both send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.roles import Cap
from amparo.people.services import people_with_capability
from amparo.people.texting import person_text

from .models import Accompaniment, Hearing
from .services import (
    family_text,
    going,
    hearing_link,
    hearing_when,
    outcome_ask_text,
    reminder_text,
)

HOURS_BEFORE = timedelta(hours=2)
ESCALATE_BEFORE = timedelta(hours=48)
ASK_AFTER = timedelta(hours=3)
BATCH = 200


def day_before(hearing: Hearing) -> datetime:
    """The same clock time on the day before, in the network's zone."""
    zone = hearing.network.zone()
    local = timezone.localtime(hearing.starts_at, zone)
    return datetime.combine(local.date() - timedelta(days=1), local.time(), zone)


def _claim(hearing: Hearing, field: str, now: datetime) -> bool:
    return bool(Hearing.objects.filter(pk=hearing.pk, **{field: None}).update(**{field: now}))


def _remind(hearing: Hearing) -> int:
    sent = sum(
        person_text(p, reminder_text(hearing, p.language, family=False), "hearing-reminder")
        for p in going(hearing)
    )
    body = reminder_text(hearing, hearing.language, family=True)
    return sent + family_text(hearing, body, "hearing-reminder")


def _going_count(hearing: Hearing) -> int:
    return hearing.accompaniments.filter(status=Accompaniment.Status.GOING).count()


def _escalation_due(hearing: Hearing) -> datetime:
    """48 hours before, while fewer go than wanted (a full hearing is never claimed, so a
    withdrawal later still escalates)."""
    if _going_count(hearing) >= hearing.wanted:
        return datetime.max.replace(tzinfo=timezone.get_current_timezone())
    return hearing.starts_at - ESCALATE_BEFORE


def _escalate(hearing: Hearing) -> int:
    count = _going_count(hearing)
    sent = 0
    for person in people_with_capability(hearing.network, Cap.CASES_ALL):
        with translation.override(person.language):
            body = _(
                "Amparo: hearing %(code)s of case %(case)s on %(when)s has %(count)s of "
                "%(wanted)s accompaniers. Please find more. %(link)s"
            ) % {
                "code": hearing.code,
                "case": hearing.case_id,
                "when": hearing_when(hearing, person.language),
                "count": count,
                "wanted": hearing.wanted,
                "link": hearing_link(hearing),
            }
        sent += person_text(person, body, "hearing-escalation")
    return sent


def _ask(hearing: Hearing) -> int:
    return sum(
        person_text(p, outcome_ask_text(hearing, p.language), "hearing-outcome")
        for p in going(hearing)
    )


def hearings_sweep() -> int:
    """Send every step that is due. Returns how many texts went out."""
    now = timezone.now()
    upcoming = Hearing.objects.filter(starts_at__gt=now).select_related("network")
    steps: list[tuple[str, list[Hearing], Callable[[Hearing], datetime], Callable]] = [
        (
            "day_before_at",
            # 25 hours: the day before is 23 to 25 hours earlier across a change of time
            list(upcoming.filter(day_before_at=None, starts_at__lte=now + timedelta(hours=25))),
            day_before,
            _remind,
        ),
        (
            "hours_before_at",
            list(upcoming.filter(hours_before_at=None, starts_at__lte=now + HOURS_BEFORE)),
            lambda h: h.starts_at - HOURS_BEFORE,
            _remind,
        ),
        (
            "escalated_at",
            list(upcoming.filter(escalated_at=None, starts_at__lte=now + ESCALATE_BEFORE)),
            _escalation_due,
            _escalate,
        ),
        (
            "outcome_asked_at",
            list(
                Hearing.objects.filter(
                    outcome_asked_at=None,
                    outcome="",
                    starts_at__lte=now - ASK_AFTER,
                    starts_at__gt=now - timedelta(days=2),
                ).select_related("network")
            ),
            lambda h: h.starts_at + ASK_AFTER,
            _ask,
        ),
    ]
    sent = 0
    for field, hearings, due, send in steps:
        for hearing in hearings[:BATCH]:
            if due(hearing) > now:
                continue
            with transaction.atomic():
                if _claim(hearing, field, now):
                    sent += send(hearing)
    return sent
