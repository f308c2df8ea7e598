"""The hearings' sweep (core/sweeper.py): the day before (the same clock time, in the
network's zone, so a change of daylight-saving time moves nothing) and two hours before,
the family and the accompaniers are reminded; 48 hours before, a hearing with fewer
accompaniers than wanted goes to the coordinators; three hours after, the accompaniers
are asked how it went. Each step is claimed once per hearing (a conditional UPDATE), so
two sweepers never both send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.roles import Cap
from amparo.people.services import people_with_capability
from amparo.people.texting import person_text

from .models import Accompaniment, Hearing
from .services import (
    ASK_OUTCOME,
    ESCALATION,
    FAMILY_REMINDER,
    REMINDER,
    family_text,
    going,
    hearing_text,
)

HOURS_BEFORE = timedelta(hours=2)
ESCALATE_BEFORE = timedelta(hours=48)
ASK_AFTER = timedelta(hours=3)
BATCH = 200
NEVER = datetime.max.replace(tzinfo=UTC)


def day_before(hearing: Hearing) -> datetime:
    """The same clock time on the day before, in the network's zone."""
    zone = hearing.network.zone()
    local = timezone.localtime(hearing.starts_at, zone)
    return datetime.combine(local.date() - timedelta(days=1), local.time(), zone)


def _remind(hearing: Hearing) -> int:
    sent = sum(
        person_text(p, hearing_text(REMINDER, hearing, p.language), "hearing-reminder")
        for p in going(hearing)
    )
    body = hearing_text(FAMILY_REMINDER, hearing, hearing.language)
    return sent + family_text(hearing, body, "hearing-reminder")


def _going_count(hearing: Hearing) -> int:
    return hearing.accompaniments.filter(status=Accompaniment.Status.GOING).count()


def _escalation_due(hearing: Hearing) -> datetime:
    """48 hours before, while fewer go than wanted (a full hearing is never claimed, so a
    withdrawal later still escalates)."""
    if _going_count(hearing) >= hearing.wanted:
        return NEVER
    return hearing.starts_at - ESCALATE_BEFORE


def _escalate(hearing: Hearing) -> int:
    count = _going_count(hearing)
    return sum(
        person_text(
            p, hearing_text(ESCALATION, hearing, p.language, count=count), "hearing-escalation"
        )
        for p in people_with_capability(hearing.network, Cap.CASES_ALL)
    )


def _ask(hearing: Hearing) -> int:
    return sum(
        person_text(p, hearing_text(ASK_OUTCOME, hearing, p.language), "hearing-outcome")
        for p in going(hearing)
    )


#: (the hearing's claim field, when it is due, what it sends); the last one after it began
STEPS: list[tuple[str, Callable[[Hearing], datetime], Callable[[Hearing], int]]] = [
    ("day_before_at", day_before, _remind),
    ("hours_before_at", lambda h: h.starts_at - HOURS_BEFORE, _remind),
    ("escalated_at", _escalation_due, _escalate),
    ("outcome_asked_at", lambda h: NEVER if h.outcome else h.starts_at + ASK_AFTER, _ask),
]


def hearings_sweep() -> int:
    """Send every step that is due. Returns how many texts went out."""
    now = timezone.now()
    window = Hearing.objects.filter(
        starts_at__gt=now - ASK_AFTER - timedelta(days=1), starts_at__lte=now + ESCALATE_BEFORE
    ).select_related("network")
    sent = 0
    for hearing in window.order_by("starts_at")[:BATCH]:
        for n, (field, due, send) in enumerate(STEPS):
            if (
                getattr(hearing, field)
                or due(hearing) > now
                or (n < 3) != (hearing.starts_at > now)
            ):
                continue
            with transaction.atomic():
                if Hearing.objects.filter(pk=hearing.pk, **{field: None}).update(**{field: now}):
                    sent += send(hearing)
    return sent
