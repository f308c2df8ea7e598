"""The 72-hour clock (DOMAIN.md §3): counsel must reach a detained person quickly,
because transfers far away happen within days. From ``detained_at``, past 24 hours
without counsel the case team is told; past 48 hours the coordinators. Each notice goes
once (claimed with a conditional UPDATE, so two sweepers never both send), through the
outbox, in each person's language, naming the case only by its number and a link."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.roles import Cap
from amparo.people.services import people_with_capability
from amparo.people.texting import people_text

from .models import Case, CaseEvent, CaseKind
from .services import case_link, event_add, team_people

TEAM_AFTER = timedelta(hours=24)
COORDINATOR_AFTER = timedelta(hours=48)
CLOCK = timedelta(hours=72)
#: at most this many notices per sweep (the next sweep takes the rest)
BATCH = 200


def _waiting(now: datetime, after: timedelta, told_field: str) -> list[Case]:
    return list(
        Case.objects.filter(
            kind=CaseKind.DETENTION,
            closed_at__isnull=True,
            counsel_reached_at__isnull=True,
            detained_at__isnull=False,
            detained_at__lte=now - after,
            **{f"{told_field}__isnull": True},
        )
        .select_related("network")
        .order_by("detained_at", "id")[:BATCH]
    )


def hours_left(case: Case, now: datetime | None = None) -> float | None:
    """Hours left of the 72 (negative once past); None when the clock does not run."""
    if case.detained_at is None or case.counsel_reached_at is not None:
        return None
    return (case.detained_at + CLOCK - (now or timezone.now())).total_seconds() / 3600


def cases_clock_sweep() -> int:
    """Sweep: send the 24-hour and 48-hour notices that are due. Returns texts sent."""
    now = timezone.now()
    sent = 0
    for case in _waiting(now, TEAM_AFTER, "team_told_at"):
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, team_told_at__isnull=True, counsel_reached_at__isnull=True
            ).update(team_told_at=now)
            if not claimed:
                continue
            link = case_link(case)
            sent += people_text(
                team_people(case),
                lambda case=case, link=link: (
                    _(
                        "Amparo: case %(n)s — 24 hours since detention and no counsel has reached "
                        "the person yet. Transfers happen within days. %(link)s"
                    )
                    % {"n": case.pk, "link": link}
                ),
                "case-clock-team",
            )
            event_add(case, CaseEvent.Kind.NOTICE_TEAM, None)
    for case in _waiting(now, COORDINATOR_AFTER, "coordinator_told_at"):
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, coordinator_told_at__isnull=True, counsel_reached_at__isnull=True
            ).update(coordinator_told_at=now)
            if not claimed:
                continue
            link = case_link(case)
            sent += people_text(
                people_with_capability(case.network, Cap.CASES_ALL),
                lambda case=case, link=link: (
                    _(
                        "Amparo: case %(n)s — 48 hours since detention and still no counsel. "
                        "The team needs help now. %(link)s"
                    )
                    % {"n": case.pk, "link": link}
                ),
                "case-clock-coordinator",
            )
            event_add(case, CaseEvent.Kind.NOTICE_COORD, None)
    return sent
