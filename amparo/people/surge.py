"""Surge mode: ready for the next public moment (DOMAIN.md §1: 1,800 sign-ups in weeks).

A coordinator switches it on with the moment's message (a text per language); the
public sign-up page shows it; every person who confirms a sign-up while it is on gets
a seat at the next orientation in their language with room — a new one is opened, of
the surge's capacity, when none has room, so sessions match the sign-ups — and is
invited to it by text, in their language; :func:`orientation_need` says how many more
sessions the people still waiting need; :func:`pipeline_by_week` is the funnel signed up → confirmed → oriented →
trained → active for each week's sign-ups, with conversion rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User, localized

from .models import Person, Surge, TrainingSession, TrainingSignup, TrainingType
from .participation import network_zone
from .signup import ACTIVE_SIGNUP, ORIENTATION, signup_sessions
from .texting import person_text
from .trainings import session_create, session_sign_up

#: weeks shown on the pipeline page
PIPELINE_WEEKS = 8
#: an orientation surge mode opens starts at this hour, at least this many days ahead,
#: and a day after the last one in its language
OPEN_AT = time(18, 0)
OPEN_AHEAD_DAYS = 2


def active_surge(network: Network) -> Surge | None:
    return Surge.objects.filter(network=network, ended_at=None).first()


def surge_message(network: Network, language: str | None = None) -> str:
    surge = active_surge(network)
    return localized(surge.message, language) if surge else ""


@transaction.atomic
def surge_start(
    *,
    network: Network,
    message: dict[str, str],
    capacity: int = 30,
    place: str = "",
    actor: User | None = None,
) -> Surge:
    allowed = set(network.languages or ["en"])
    texts = {k: v.strip() for k, v in message.items() if k in allowed and (v or "").strip()}
    if not texts:
        raise ValidationError(
            _("Write the moment's message in at least one language."), code="required"
        )
    if capacity < 1:
        raise ValidationError(_("A session needs at least one seat."), code="capacity")
    fields = {"message": texts, "capacity": capacity, "place": place.strip()}
    surge = active_surge(network)
    if surge is not None:  # already on: the message and the sessions' size change
        Surge.objects.filter(pk=surge.pk).update(**fields)
    else:
        surge = Surge.objects.create(
            network=network,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            **fields,
        )
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=surge, fields=list(fields))
    return surge


def surge_stop(*, network: Network, actor: User | None = None) -> bool:
    surge = active_surge(network)
    if surge is None:
        return False
    Surge.objects.filter(pk=surge.pk).update(ended_at=timezone.now())
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=surge, fields=["ended_at"])
    return True


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


def _open_session(surge: Surge, language: str) -> TrainingSession:
    """A new orientation in ``language`` of the surge's size, a day after the last one
    in that language and at least ``OPEN_AHEAD_DAYS`` ahead, at ``OPEN_AT``."""
    network = surge.network
    zone = network_zone(network)
    day = (timezone.now().astimezone(zone) + timedelta(days=OPEN_AHEAD_DAYS)).date()
    orientations = TrainingSession.objects.filter(network=network, training_type__slug=ORIENTATION)
    last = orientations.filter(language=language).order_by("-starts_at").first()
    if last is not None:
        day = max(day, last.starts_at.astimezone(zone).date() + timedelta(days=1))
    place = surge.place or getattr(orientations.order_by("-starts_at").first(), "place", "")
    return session_create(
        network=network,
        training_type=TrainingType.objects.get(network=network, slug=ORIENTATION),
        starts_at=datetime.combine(day, OPEN_AT, tzinfo=zone),
        language=language,
        place=place,
        capacity=surge.capacity,
    )


def orientation_invite(person: Person) -> bool:
    """While surge mode is on: give ``person`` a seat at the next orientation in their
    language with room (opening one when none has) and text it to them, in their
    language — once (not if they hold a seat already). False when nothing was sent."""
    network = person.network
    surge = Surge.objects.select_for_update().filter(network=network, ended_at=None).first()
    if surge is None:  # the lock makes concurrent confirmations open sessions in turn
        return False
    if TrainingSignup.objects.filter(
        person=person,
        status__in=ACTIVE_SIGNUP,
        session__training_type__slug=ORIENTATION,
        session__starts_at__gt=timezone.now(),
    ).exists():
        return False
    sessions = [s for s in signup_sessions(network=network) if s.language == person.language]
    session = sessions[0] if sessions else _open_session(surge, person.language)
    session_sign_up(session=session, person=person)
    return person_text(person, invitation_text(session, person.language), "surge-orientation")


@dataclass(frozen=True)
class Need:
    waiting: int  # signed up or confirmed, no orientation booked
    seats: int  # free places in upcoming orientations
    sessions_to_open: int  # at the usual size


def orientation_need(network: Network, *, size: int | None = None) -> Need:
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
    if size is None:
        surge = active_surge(network)
        size = surge.capacity if surge else 30
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
