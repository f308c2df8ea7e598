"""Participation: activities (meetings, events, actions), check-in, and counts.

The solidarity fund is reserved for members who take part in organizing (DOMAIN.md
§1); ``participation_count`` and ``participation_by_person`` are what it asks.
Participation means being checked in at an activity of the network (not a training).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib.crypto.fields import name_search_filter

from .models import Activity, Attendance, Committee, Person

#: Search results shown at once on the check-in page (each one is decrypted).
SEARCH_LIMIT = 20
#: A name search is answered in its POST response, never paginated (the typed name must
#: not travel in a URL): at most this many people are shown, and the page says so.
NAME_SEARCH_SHOWN = 50


# --- helpers ------------------------------------------------------------------------


def network_zone(network: Network) -> Any:
    """The network's time zone (the server's default if the name is unknown)."""
    try:
        return ZoneInfo(network.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _as_datetime(value: date | datetime, network: Network) -> datetime:
    """A datetime as is (made aware if naive); a date as the start of that day locally."""
    zone = network_zone(network)
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, zone)
    return timezone.make_aware(datetime.combine(value, time.min), zone)


def _as_end(value: date | datetime | None, network: Network) -> datetime | None:
    """An upper bound, exclusive: a date means "up to the end of that day"."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _as_datetime(value, network)
    return _as_datetime(value + timedelta(days=1), network)


def person_search(
    *, network: Network, q: str, limit: int = SEARCH_LIMIT, include_inactive: bool = True
) -> list[Person]:
    """People whose name has every typed word as a prefix (keyed-hash tokens; no clear
    text is searched). Removed people are never found. At most ``limit`` results."""
    if not (q or "").strip():
        return []
    condition = name_search_filter("name_tokens", q)
    if not condition:  # nothing searchable typed (only punctuation)
        return []
    qs = Person.objects.filter(network=network).filter(condition)
    if not include_inactive:
        qs = qs.filter(status__in=Person.PIPELINE)
    return list(qs.exclude(status=Person.Status.REMOVED).order_by("id")[:limit])


def person_search_capped(
    *,
    network: Network,
    q: str,
    exclude: frozenset[int] | set[int] = frozenset(),
    shown: int = NAME_SEARCH_SHOWN,
) -> tuple[list[Person], bool]:
    """The first ``shown`` people found by :func:`person_search` who are not in
    ``exclude`` (ids), and whether there were more."""
    found = [
        p
        for p in person_search(network=network, q=q, limit=shown + len(exclude) + 1)
        if p.pk not in exclude
    ]
    return found[:shown], len(found) > shown


# --- activities ---------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    network: Network,
    title: str,
    starts_at: datetime,
    kind: str = Activity.Kind.MEETING,
    place: str = "",
    committee: Committee | None = None,
    capacity: int | None = None,
    actor: User | None = None,
) -> Activity:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the activity a title."), code="required")
    if kind not in Activity.Kind.values:
        raise ValidationError(_("Unknown kind of activity."), code="invalid_kind")
    if committee is not None and committee.network_id != network.pk:
        raise ValidationError(_("Unknown committee."), code="other_network")
    if capacity is not None and capacity < 1:
        raise ValidationError(_("The capacity must be at least 1."), code="capacity")
    activity = Activity.objects.create(
        network=network,
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=(place or "").strip(),
        committee=committee,
        capacity=capacity,
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        obj=activity,
        fields=["kind", "title", "starts_at", "place", "committee", "capacity"],
    )
    return activity


def activities_with_counts(*, network: Network) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(network=network)
        .select_related("committee")
        .annotate(checked_in=Count("attendance"))
    )


# --- check-in -----------------------------------------------------------------------


def attendance_check_in(
    *, activity: Activity, person: Person, actor: User | None = None
) -> tuple[Attendance, bool]:
    """Check ``person`` in. Idempotent: a second check-in returns the first, created False."""
    if person.network_id != activity.network_id:
        raise ValidationError(_("This person is not in this network."), code="other_network")
    if person.status == Person.Status.REMOVED:
        raise ValidationError(_("This person was removed from the network."), code="removed")
    existing = Attendance.objects.filter(activity=activity, person=person).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                activity=activity,
                person=person,
                checked_in_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:  # a second tap raced the first one
        return Attendance.objects.get(activity=activity, person=person), False
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        network=activity.network,
        obj=attendance,
        fields=["activity", "person"],
    )
    return attendance, True


def attendance_undo(*, activity: Activity, person: Person, actor: User | None = None) -> bool:
    """Undo a check-in tapped by mistake. False if there was none."""
    attendance = Attendance.objects.filter(activity=activity, person=person).first()
    if attendance is None:
        return False
    pk = attendance.pk
    attendance.delete()
    attendance.pk = pk
    audit_record(
        action=AuditEvent.Action.DELETE,
        actor=actor,
        network=activity.network,
        obj=attendance,
        fields=["activity", "person"],
    )
    return True


def activity_attendance(*, activity: Activity, limit: int | None = None) -> list[Attendance]:
    """Who is checked in, the latest first (names still sealed until read)."""
    qs = activity.attendance.select_related("person").order_by("-checked_in_at", "-id")
    return list(qs[:limit] if limit else qs)


# --- counts for the solidarity fund --------------------------------------------------


def participation_count(person: Person, since: date | datetime) -> int:
    """How many of the network's activities ``person`` was checked in at, among those
    starting at or after ``since`` (a date means from the start of that day in the
    network's time zone)."""
    start = _as_datetime(since, person.network)
    return Attendance.objects.filter(
        person=person,
        activity__network_id=person.network_id,
        activity__starts_at__gte=start,
    ).count()


def participation_by_person(
    network: Network, since: date | datetime, until: date | datetime | None = None
) -> dict[int, int]:
    """{person id: activities attended} for activities starting in [since, until).

    Dates are whole days in the network's time zone, ``until`` included (``until`` =
    31 March counts activities on 31 March). ``until`` None means no upper bound.
    People with no participation are absent from the result.
    """
    qs = Attendance.objects.filter(
        activity__network=network, activity__starts_at__gte=_as_datetime(since, network)
    )
    end = _as_end(until, network)
    if end is not None:
        qs = qs.filter(activity__starts_at__lt=end)
    rows = qs.values("person_id").annotate(n=Count("id")).values_list("person_id", "n")
    return {person_id: n for person_id, n in rows}


def in_network_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a view in its network's time zone: forms read and pages show local times."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        network = getattr(request, "network", None)
        if network is None:
            return view(request, *args, **kwargs)
        with timezone.override(network_zone(network)):
            return view(request, *args, **kwargs)

    return wrapped
