"""Writing many people at once (an import's chunk): the same result as
:func:`~amparo.people.services.person_upsert` for each, in a few statements.

Two steps, so that the write lock is held only for the inserts:

- :func:`people_bulk_prepare` reads (who is already there, their phones, roles, places,
  trainings), creates the new people's data keys and works out every row to write.
  Nothing is written.
- :func:`people_bulk_write` writes it, inside the caller's transaction: one INSERT per
  table (people, phones, roles, areas, coverage cells, trainings, audit events) and an
  UPDATE per person already there whose details changed.

Merging only adds, as in ``person_upsert``: phones, roles, areas and trainings are added
to what is there, never removed; a person already there keeps their name and notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection

from amparo.accounts.audit import audit_record_many
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib import geo
from amparo.lib.crypto.blind import email_index, phone_index
from amparo.lib.crypto.fields import data_key_for

from .counts import people_changed
from .models import (
    CoverageCell,
    Person,
    PersonArea,
    PersonPhone,
    PersonRole,
    PersonTraining,
    Place,
    TrainingType,
)
from .reach import reach_refresh
from .services import PersonData, _apply

#: Rows per INSERT of coverage cells (3 parameters each: under SQLite's old limit of 999).
COVERAGE_BATCH = 300


@dataclass
class _One:
    data: PersonData
    person: Person
    created: bool
    changed: list[str] = field(default_factory=list)
    save: bool = False  # an existing person whose own fields changed
    phones: list[tuple[str, bool]] = field(default_factory=list)  # (E.164, is_primary)
    role_ids: list[int] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    trainings: list[tuple[TrainingType, Any]] = field(default_factory=list)


@dataclass
class BulkPlan:
    network: Network
    source: str
    items: list[_One]

    def outcomes(self) -> list[tuple[int, str]]:
        """(person id, "created" | "updated" | "unchanged") per item, after the write."""
        return [
            (
                one.person.pk,
                "created" if one.created else ("updated" if one.changed else "unchanged"),
            )
            for one in self.items
        ]


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _resolve(network: Network, items: list[tuple[PersonData, int | None]]) -> list[int | None]:
    """Each item's person already in the network: the one given, or else (someone may
    have signed up since the file was checked) the one with its email, or the only one
    with its phones."""
    phones = {phone_index(p) for d, t in items if t is None for p in d.phones}
    emails = {email_index(d.email) for d, t in items if t is None and d.email}
    by_phone: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(phones)):
        for idx, pid in PersonPhone.objects.filter(
            person__network=network, number_index__in=chunk
        ).values_list("number_index", "person_id"):
            by_phone[idx].add(pid)
    by_email: dict[str, int] = {}
    for chunk in _chunks(sorted(emails)):
        by_email.update(
            Person.objects.filter(network=network, email_index__in=chunk).values_list(
                "email_index", "pk"
            )
        )
    targets: list[int | None] = []
    for data, target in items:
        if target is None and data.email:
            target = by_email.get(email_index(data.email))
        if target is None:
            found = set().union(*(by_phone.get(phone_index(p), set()) for p in data.phones))
            target = next(iter(found)) if len(found) == 1 else None
        targets.append(target)
    return targets


def people_bulk_prepare(
    *, network: Network, items: list[tuple[PersonData, int | None]], source: str
) -> BulkPlan:
    """Work out the writes for ``items`` (data, id of the person already there or None).
    Reads only; the new people get their data keys here, outside any transaction."""
    targets = _resolve(network, items)
    existing = {
        p.pk: p
        for p in Person.objects.filter(network=network, pk__in={t for t in targets if t})
        .prefetch_related("phones")
        .order_by()
    }
    ids = list(existing)
    have_roles: dict[int, set[int]] = defaultdict(set)
    have_places: dict[int, set[int]] = defaultdict(set)
    have_trainings: dict[int, set[tuple[int, Any]]] = defaultdict(set)
    for chunk in _chunks(ids):
        for pid, rid in Person.roles.through.objects.filter(person_id__in=chunk).values_list(
            "person_id", "personrole_id"
        ):
            have_roles[pid].add(rid)
        for pid, place_id in PersonArea.objects.filter(
            person_id__in=chunk, place__isnull=False
        ).values_list("person_id", "place_id"):
            have_places[pid].add(place_id)
        for pid, tid, when in PersonTraining.objects.filter(person_id__in=chunk).values_list(
            "person_id", "training_type_id", "completed_on"
        ):
            have_trainings[pid].add((tid, when))
    roles = dict(PersonRole.objects.filter(network=network).values_list("slug", "pk"))
    types = {t.slug: t for t in TrainingType.objects.filter(network=network)}
    wanted_places = {p for d, _t in items for p in d.places or []}
    places = Place.objects.filter(network=network).in_bulk(wanted_places)
    wanted_emails = {email_index(d.email.strip().lower()) for d, _t in items if d.email}
    email_owner: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted_emails)):
        email_owner.update(
            Person.objects.filter(network=network, email_index__in=chunk).values_list(
                "email_index", "pk"
            )
        )

    plan = BulkPlan(network=network, source=source, items=[])
    for (data, _given), target in zip(items, targets, strict=True):
        person = existing.get(target) if target else None
        created = person is None
        if person is None:
            person = Person(network=network, source=source)
            person.set_languages(data.language or "es")
            if data.email and data.email.strip().lower() != data.email:
                data = replace(data, email=data.email.strip().lower())
        elif data.name or data.notes is not None:
            # Someone already in Amparo: the import never renames them nor rewrites notes.
            data = replace(data, name="", notes=None)
        email = data.email.strip().lower()
        one = _One(data=data, person=person, created=created)
        # _apply without the email (one query each); the email is checked in bulk above.
        one.changed = _apply(person, replace(data, email=""))
        owner = email_owner.get(email_index(email)) if email else None
        if email and (owner is None or owner == person.pk) and person.email != email:
            person.email = email
            one.changed.append("email")
        if created:
            data_key_for(person, create=True)
        else:
            one.save = bool(one.changed)
        have = {p.number_index for p in person.phones.all()} if not created else set()
        for position, number in enumerate(data.phones):
            if phone_index(number) not in have:
                one.phones.append((number, not have and position == 0))
                have.add(phone_index(number))
        if one.phones:
            one.changed.append("phones")
        new_roles = [roles[s] for s in data.roles or [] if s in roles]
        one.role_ids = [r for r in dict.fromkeys(new_roles) if r not in have_roles[person.pk]]
        if one.role_ids:
            one.changed.append("roles")
        one.places = [
            places[p]
            for p in dict.fromkeys(data.places or [])
            if p in places and p not in have_places[person.pk]
        ]
        if one.places:
            one.changed.append("areas")
        for slug, completed_on in data.trainings:
            kind = types.get(slug)
            if kind is not None and (kind.pk, completed_on) not in have_trainings[person.pk]:
                one.trainings.append((kind, completed_on))
                have_trainings[person.pk].add((kind.pk, completed_on))
        if one.trainings:
            one.changed.append("trainings")
        plan.items.append(one)
    return plan


def people_bulk_write(*, plan: BulkPlan, actor: User | None = None) -> list[tuple[int, str]]:
    """Write a prepared plan; call inside a transaction. Returns :meth:`BulkPlan.outcomes`."""
    new = [one.person for one in plan.items if one.created]
    Person.objects.bulk_create(new)
    for one in plan.items:
        if one.save:
            one.person.save()
    phones: list[PersonPhone] = []
    role_links = []
    areas: list[PersonArea] = []
    cells: list[tuple[int, int, str]] = []
    trainings: list[PersonTraining] = []
    through = Person.roles.through
    for one in plan.items:
        person = one.person
        phones += [
            PersonPhone(person=person, number=number, is_primary=primary)
            for number, primary in one.phones
        ]
        role_links += [through(person_id=person.pk, personrole_id=r) for r in one.role_ids]
        covered: set[str] = set()
        for place in one.places:
            areas.append(PersonArea(person=person, place=place, cell=place.h3_cell, radius_km=5.0))
            covered.update(geo.cells_within(place.latitude, place.longitude, 5.0))
        cells += [(person.network_id, person.pk, c) for c in sorted(covered)]
        trainings += [
            PersonTraining(
                person=person,
                training_type=kind,
                completed_on=when,
                expires_on=kind.expires_on(when),
            )
            for kind, when in one.trainings
        ]
    PersonPhone.objects.bulk_create(phones)
    reach_refresh(one.person.pk for one in plan.items if {"phones", "email"} & set(one.changed))
    through.objects.bulk_create(role_links, ignore_conflicts=True)
    PersonArea.objects.bulk_create(areas)
    _coverage_insert(cells)
    PersonTraining.objects.bulk_create(trainings, ignore_conflicts=True)
    _audit(plan, actor)
    # cached counts (people/counts.py) see these people at once, bucket by bucket
    people_changed(network_id=plan.network.pk, person_ids=[one.person.pk for one in plan.items])
    return plan.outcomes()


def _audit(plan: BulkPlan, actor: User | None) -> None:
    """One event per person created or changed (field names only), as person_upsert
    records: one append per action."""
    for action, created in ((AuditEvent.Action.CREATE, True), (AuditEvent.Action.UPDATE, False)):
        changes = [
            (one.person, one.changed)
            for one in plan.items
            if one.created == created and (created or one.changed)
        ]
        if changes:
            audit_record_many(
                action=action, changes=changes, actor=actor, network=plan.network, note=plan.source
            )


def _coverage_insert(rows: list[tuple[int, int, str]]) -> None:
    """Coverage cells are many small derived rows (a town 5 km around is ~20 cells): a
    few multi-row INSERTs instead of a model each; a cell a person already has is left
    alone."""
    table = connection.ops.quote_name(CoverageCell._meta.db_table)
    with connection.cursor() as cursor:
        for batch in _chunks(rows, COVERAGE_BATCH):
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (network_id, person_id, cell) VALUES {values} "  # noqa: S608 - names from the model, values bound
                "ON CONFLICT DO NOTHING",
                [value for row in batch for value in row],
            )
