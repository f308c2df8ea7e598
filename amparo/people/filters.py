"""Finding the right people fast: one filter object, applied in the database.

A filter is plain JSON (so a Segment can store it):
  {"q": "mar", "roles": ["rapid-responder"], "languages": ["es"], "places": [3],
   "trained": ["rapid-responder"], "trained_within_days": 365, "committees": ["solidarity"],
   "available_now": true, "statuses": ["active"], "participated_days": 90,
   "participated_min": 1}
``trained`` without ``trained_within_days`` means "holds a training that is still valid".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from amparo.accounts.models import Network
from amparo.lib import geo
from amparo.lib.crypto.fields import name_search_filter

from .models import (
    CommitteeMember,
    CoverageCell,
    Person,
    PersonQuerySet,
    PersonTraining,
    Place,
    TrainingType,
)


@dataclass
class PeopleFilter:
    q: str = ""
    roles: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    places: list[int] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)
    trained_within_days: int | None = None
    committees: list[str] = field(default_factory=list)
    available_now: bool | None = None
    statuses: list[str] = field(default_factory=list)
    participated_days: int | None = None
    participated_min: int = 1
    # By default a role counts only with the valid trainings it requires (rule as data);
    # set to list everyone who holds the role.
    include_unqualified: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeopleFilter:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def to_dict(self, *, include_name: bool = True) -> dict[str, Any]:
        """The filter as JSON. ``include_name=False`` leaves out ``q`` (a typed name is
        personal data: it is never saved in a segment nor put in a URL)."""
        defaults = asdict(PeopleFilter())
        data = {
            k: v for k, v in asdict(self).items() if v not in ("", [], None) and v != defaults[k]
        }
        if not include_name:
            data.pop("q", None)
        return data

    def is_empty(self) -> bool:
        return not self.to_dict()

    def apply(self, network: Network, qs: QuerySet[Person] | None = None) -> QuerySet[Person]:
        qs = Person.objects.filter(network=network) if qs is None else qs.filter(network=network)
        today = network.local_today()
        if self.q.strip():
            qs = qs.filter(name_search_filter("name_tokens", self.q))
        if self.statuses:
            qs = qs.filter(status__in=self.statuses)
        else:
            qs = qs.exclude(status__in=[Person.Status.INACTIVE, Person.Status.REMOVED])
        if self.languages:
            speaks = Q()
            for code in self.languages:
                speaks |= Q(languages_spoken__contains=f" {code} ")
            qs = qs.filter(speaks)
        for slug in self.roles:  # every role asked for
            qs = qs.filter(
                Exists(
                    Person.roles.through.objects.filter(
                        person_id=OuterRef("pk"), personrole__slug=slug
                    )
                )
            )
        if self.roles and not self.include_unqualified:
            qs = qs.filter(trained_for(network, self.roles, on=today))
        if self.places:
            cells = Place.objects.filter(network=network, pk__in=self.places).values("h3_cell")
            qs = qs.filter(
                Exists(CoverageCell.objects.filter(person=OuterRef("pk"), cell__in=cells))
            )
        for slug in self.trained:
            held = PersonTraining.objects.filter(person=OuterRef("pk"), training_type__slug=slug)
            if self.trained_within_days:
                held = held.filter(
                    completed_on__gte=today - timedelta(days=self.trained_within_days)
                )
            else:
                held = held.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            qs = qs.filter(Exists(held))
        for slug in self.committees:
            qs = qs.filter(
                Exists(CommitteeMember.objects.filter(person=OuterRef("pk"), committee__slug=slug))
            )
        if self.available_now is not None:
            qs = qs.filter(available_now=self.available_now)
        if self.participated_days:
            since = timezone.now() - timedelta(days=self.participated_days)
            qs = qs.annotate(
                recent=Count(
                    "attendance", filter=Q(attendance__checked_in_at__gte=since), distinct=True
                )
            ).filter(recent__gte=max(1, self.participated_min))
        return qs


def trained_for(network: Network, roles: list[str], *, on: date | None = None) -> Any:
    """A filter on people: no training ``roles`` require (``required_trainings``, the rule
    as data) is missing one valid on ``on`` (default: the network's today). Subqueries: a
    filter costs no query of its own, so a page of segments counts them in one."""
    day = on or network.local_today()
    valid = PersonTraining.objects.filter(
        person=OuterRef(OuterRef("pk")), training_type=OuterRef("pk")
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
    missing = TrainingType.objects.filter(network=network, required_by__slug__in=roles)
    return ~Exists(missing.exclude(Exists(valid)))


def role_holders(network: Network, roles: list[str]) -> PersonQuerySet:
    """Everyone holding every role in ``roles``, neither inactive nor removed, whatever
    their trainings or whether they confirmed."""
    people = PeopleFilter(roles=list(roles), include_unqualified=True).apply(network)
    return cast(PersonQuerySet, people)  # Person.objects.filter(…): a PersonQuerySet


def may_be_alerted_as(
    network: Network, roles: list[str], *, on: date | None = None
) -> PersonQuerySet:
    """THE rule for who may be alerted as ``roles`` (a call-out, a widen step, a drill, a
    verification request): active people who confirmed (not a sign-up that never did)
    and hold every role with each training it requires valid on ``on``."""
    return role_holders(network, roles).confirmed().filter(trained_for(network, roles, on=on))


def left_out(holders: PersonQuerySet, alerted: QuerySet[Person]) -> dict[str, int]:
    """Why role holders are not in ``alerted`` (:func:`may_be_alerted_as`), one query:
    how many never confirmed, and how many confirmed without the valid trainings (and
    ``holders``: how many hold the role at all)."""
    counts = holders.order_by().aggregate(
        total=Count("pk"),
        ready=Count("pk", filter=Q(pk__in=holders.confirmed().values("pk"))),
        alerted=Count("pk", filter=Q(pk__in=alerted.values("pk"))),
    )
    return {
        "holders": counts["total"],
        "unconfirmed": counts["total"] - counts["ready"],
        "untrained": counts["ready"] - counts["alerted"],
    }


def channel_count_terms() -> tuple[dict[str, Any], dict[str, Any]]:
    """The annotations and the aggregates :func:`channel_counts` counts with (also used
    grouped by bucket in amparo/people/counts.py): plain columns, the reachability
    kept on the person (people/reach.py: a live phone or an email, opt-outs honoured)."""
    sms, voice, email = Q(reach_sms=True), Q(reach_voice=True), Q(reach_email=True)
    aggregates = {
        "total": Count("pk"),
        "sms": Count("pk", filter=sms),
        "voice": Count("pk", filter=voice),
        "email": Count("pk", filter=email),
        "any": Count("pk", filter=sms | voice | email),
    }
    return {}, aggregates


def channel_counts(people: QuerySet[Person]) -> dict[str, int]:
    """How many of these people there are, and how many can be reached on each channel
    (opt-outs honoured) — one aggregate query, so the list costs one scan, not five.
    Cached per network and filter: amparo/people/counts.py."""
    annotations, aggregates = channel_count_terms()
    counts = people.order_by().annotate(**annotations).aggregate(**aggregates)
    return {k: int(v or 0) for k, v in counts.items()}


def within_km(people: QuerySet[Person], lat: float, lng: float, km: float) -> QuerySet[Person]:
    """People whose coverage reaches a point within ``km`` (coarse cells; exact later)."""
    cells = geo.cells_within(lat, lng, km)
    return people.filter(Exists(CoverageCell.objects.filter(person=OuterRef("pk"), cell__in=cells)))
