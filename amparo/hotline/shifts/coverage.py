"""Coverage gaps (hours with nobody on shift, or nobody speaking a language needed)
and the "on now" panel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from amparo.accounts.models import Network
from amparo.people.models import Person
from amparo.people.participation import network_zone

from ..models import Shift, ShiftRole
from ..services import on_shift
from .rotations import LANGUAGE_CODES, local_midnight

#: the coverage report's default window
COVERAGE_DAYS = 14


@dataclass(frozen=True)
class Gap:
    """Whole hours with nobody on shift who speaks ``language`` ("": nobody on shift at all)."""

    language: str
    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 3600)

    @property
    def nobody(self) -> bool:
        return self.language == ""


def baseline_languages(network: Network) -> list[str]:
    """Languages needed at every hour whatever the rotation says: Spanish if offered."""
    return ["es"] if "es" in (network.languages or []) else []


def _covers(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Do the intervals together cover [start, end) without a hole?"""
    reached = start
    for a, b in sorted(intervals):
        if a > reached:
            return False
        reached = max(reached, b)
        if reached >= end:
            return True
    return reached >= end


def coverage_gaps(
    *,
    network: Network,
    start: date | datetime | None = None,
    days: int = COVERAGE_DAYS,
    languages: Iterable[str] | None = None,
) -> list[Gap]:
    """Every hour from ``start`` (a local date, or a moment rounded down to the hour)
    for ``days`` local days where no primary on shift speaks a required language (the
    shift's ``languages_required`` plus :func:`baseline_languages`), or where nobody is
    on shift at all, merged into ranges. ``languages`` limits the report ("" = nobody)."""
    zone = network_zone(network)
    if start is None:
        start = timezone.now()
    if isinstance(start, datetime):
        local = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        begin = local.astimezone(UTC)
        later = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=zone)
        end = later.astimezone(UTC)
    else:
        begin = local_midnight(network, start)
        end = local_midnight(network, start + timedelta(days=days))
    wanted = set(languages) if languages is not None else None

    shifts = list(
        Shift.objects.filter(network=network, starts_at__lt=end, ends_at__gt=begin)
        .prefetch_related("assignments__person")
        .order_by("starts_at")
    )
    # Per shift: its interval, its requirements, and the languages its primaries speak.
    spans: list[tuple[datetime, datetime, list[str], set[str], bool]] = []
    for shift in shifts:
        spoken: set[str] = set()
        staffed = False
        for a in shift.assignments.all():
            person = a.person
            if a.role != ShiftRole.PRIMARY or person.opted_out_at:
                continue
            if person.status in (Person.Status.INACTIVE, Person.Status.REMOVED):
                continue
            staffed = True
            spoken.update(person.speaks())
        spans.append(
            (shift.starts_at, shift.ends_at, list(shift.languages_required or []), spoken, staffed)
        )

    baseline = baseline_languages(network)
    hours: dict[str, list[datetime]] = {}
    hour = begin
    step = timedelta(hours=1)
    while hour < end:
        nxt = hour + step
        here = [s for s in spans if s[0] < nxt and s[1] > hour]
        required = list(dict.fromkeys([*baseline, *(c for s in here for c in s[2])]))
        manned = [(s[0], s[1]) for s in here if s[4]]
        if not _covers(manned, hour, nxt):
            hours.setdefault("", []).append(hour)
        for code in required:
            speaking = [(s[0], s[1]) for s in here if s[4] and code in s[3]]
            if not _covers(speaking, hour, nxt):
                hours.setdefault(code, []).append(hour)
        hour = nxt

    gaps: list[Gap] = []
    for code, starts in hours.items():
        if wanted is not None and code not in wanted:
            continue
        run_start = run_end = None
        for h in starts:
            if run_end is not None and h == run_end:
                run_end = h + step
                continue
            if run_start is not None and run_end is not None:
                gaps.append(Gap(code, run_start, run_end))
            run_start, run_end = h, h + step
        if run_start is not None and run_end is not None:
            gaps.append(Gap(code, run_start, run_end))
    gaps.sort(key=lambda g: (g.language != "", g.language, g.starts_at))
    return gaps


# --- on now -----------------------------------------------------------------------------


@dataclass
class OnNow:
    at: datetime
    primary: list[Person] = field(default_factory=list)
    backup: list[Person] = field(default_factory=list)
    # language -> (primaries, backups) who speak it
    by_language: dict[str, tuple[list[Person], list[Person]]] = field(default_factory=dict)
    next_change: datetime | None = None


def on_now(*, network: Network, at: datetime | None = None) -> OnNow:
    at = at or timezone.now()
    current = on_shift(network=network, at=at)
    result = OnNow(at=at, primary=current.primary, backup=current.backup)
    for code in network.languages or LANGUAGE_CODES:
        result.by_language[code] = (
            [p for p in current.primary if code in p.speaks()],
            [p for p in current.backup if code in p.speaks()],
        )
    ending = (
        Shift.objects.filter(network=network, starts_at__lte=at, ends_at__gt=at)
        .order_by("ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    starting = (
        Shift.objects.filter(network=network, starts_at__gt=at)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    changes = [c for c in (ending, starting) if c is not None]
    result.next_change = min(changes) if changes else None
    return result
