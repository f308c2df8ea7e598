"""Surge mode: ready for the next public moment (DOMAIN.md §1: 1,800 sign-ups in weeks).

A coordinator switches it on with the moment's message (a text per language); the
public sign-up page shows it; every person who confirms a sign-up while it is on is
invited by text, in their language, to the next orientation with room (one in their
language first); :func:`orientation_need` says how many more sessions the waiting
people need; :func:`pipeline_by_week` is the funnel signed up → confirmed → oriented →
trained → active for each week's sign-ups, with conversion rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User, localized

from .models import Person, Surge, TrainingSession, TrainingSignup
from .participation import network_zone
from .signup import ACTIVE_SIGNUP, ORIENTATION, signup_sessions
from .texting import person_text

#: weeks shown on the pipeline page
PIPELINE_WEEKS = 8


def active_surge(network: Network) -> Surge | None:
    return Surge.objects.filter(network=network, ended_at=None).first()


def surge_message(network: Network, language: str | None = None) -> str:
    surge = active_surge(network)
    return localized(surge.message, language) if surge else ""


@transaction.atomic
def surge_start(*, network: Network, message: dict[str, str], actor: User | None = None) -> Surge:
    allowed = set(network.languages or ["en"])
    texts = {k: v.strip() for k, v in message.items() if k in allowed and (v or "").strip()}
    if not texts:
        raise ValidationError(
            _("Write the moment's message in at least one language."), code="required"
        )
    surge = active_surge(network)
    if surge is not None:  # already on: the message changes
        surge.message = texts
        surge.save(update_fields=["message"])
    else:
        surge = Surge.objects.create(
            network=network,
            message=texts,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=surge, fields=["message"])
    return surge


def surge_stop(*, network: Network, actor: User | None = None) -> bool:
    surge = active_surge(network)
    if surge is None:
        return False
    Surge.objects.filter(pk=surge.pk).update(ended_at=timezone.now())
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=surge, fields=["ended_at"])
    return True


def next_orientation(network: Network, language: str) -> TrainingSession | None:
    """The soonest orientation with room in ``language``, else the soonest with room."""
    sessions = signup_sessions(network=network)
    same = [s for s in sessions if s.language == language]
    found = same or sessions
    return found[0] if found else None


def invitation_text(session: TrainingSession, language: str) -> str:
    starts = session.starts_at.astimezone(network_zone(session.network))
    with translation.override(language):
        when = f"{formats.date_format(starts, 'D j M')} {starts:%H:%M}"
        values = {
            "network": session.network.name[:30],
            "when": when,
            "place": (session.place or session.link or "")[:60],
        }
        return (
            _("%(network)s: welcome! Come to the next orientation: %(when)s, %(place)s.") % values
        )


def orientation_invite(person: Person) -> bool:
    """While surge mode is on: text ``person`` the next orientation, in their language
    (not if they booked one already). False when nothing was sent."""
    network = person.network
    if active_surge(network) is None:
        return False
    if TrainingSignup.objects.filter(
        person=person,
        status__in=ACTIVE_SIGNUP,
        session__training_type__slug=ORIENTATION,
        session__starts_at__gt=timezone.now(),
    ).exists():
        return False
    session = next_orientation(network, person.language)
    if session is None:
        return False
    return person_text(person, invitation_text(session, person.language), "surge-orientation")


@dataclass(frozen=True)
class Need:
    waiting: int  # signed up or confirmed, no orientation booked
    seats: int  # free places in upcoming orientations
    sessions_to_open: int  # at the usual size


def orientation_need(network: Network, *, size: int = 30) -> Need:
    """How many more orientation sessions the people waiting need."""
    booked = TrainingSignup.objects.filter(
        status__in=ACTIVE_SIGNUP,
        session__training_type__slug=ORIENTATION,
        session__starts_at__gt=timezone.now(),
    ).values("person_id")
    waiting = (
        Person.objects.filter(
            network=network, status__in=[Person.Status.SIGNED_UP, Person.Status.CONFIRMED]
        )
        .exclude(pk__in=booked)
        .count()
    )
    seats = sum(s.capacity - s.taken for s in signup_sessions(network=network))  # type: ignore[attr-defined]
    short = max(0, waiting - seats)
    return Need(waiting=waiting, seats=seats, sessions_to_open=-(-short // max(size, 1)))


@dataclass(frozen=True)
class Week:
    starts: datetime
    counts: list[int]  # signed up, confirmed, oriented, trained, active (reached at least)
    rates: list[int | None]  # each as a percentage of those signed up


def pipeline_by_week(network: Network, *, weeks: int = PIPELINE_WEEKS) -> list[Week]:
    """For the sign-ups of each of the last ``weeks`` weeks (Monday to Sunday, network
    time): how many reached each stage by now. Inactive and removed people count as
    signed up only."""
    zone = network_zone(network)
    today = timezone.localtime(timezone.now(), zone).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    stages = Person.PIPELINE
    rows = (
        Person.objects.filter(network=network, source=Person.Source.SIGNUP, created_at__gte=first)
        .values_list("created_at", "status")
        .iterator()
    )
    table = [[0] * len(stages) for _ in range(weeks)]
    for created, status in rows:
        index = (timezone.localtime(created, zone) - first).days // 7
        if not 0 <= index < weeks:
            continue
        reached = stages.index(status) if status in stages else 0
        for stage in range(reached + 1):
            table[index][stage] += 1
    result = []
    for index in range(weeks - 1, -1, -1):  # the latest week first
        counts = table[index]
        total = counts[0]
        rates = [round(100 * n / total) if total else None for n in counts]
        result.append(Week(starts=first + timedelta(weeks=index), counts=counts, rates=rates))
    return result
