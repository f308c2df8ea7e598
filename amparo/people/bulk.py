"""Writing many people at once (an import's chunk): the same result as
:func:`~amparo.people.services.person_upsert` for each, in a few statements.

Two steps, so that the write lock is held only for the statements themselves:

- :func:`people_bulk_prepare` reads (who is already there, their phones, roles, places,
  trainings: a few IN queries whatever the chunk's size), creates the new people's data
  keys, seals and hashes every protected value (:func:`~amparo.lib.crypto.fields.preseal`)
  and builds the people's INSERT and the upsert of those already there. Nothing is
  written.
- :func:`people_bulk_write` sends it, inside the caller's transaction: one statement per
  table (people, people already there, phones, roles, areas, coverage cells, trainings,
  audit events) and the counts' versions.

Merging only adds, as in ``person_upsert``: phones, roles, areas and trainings are added
to what is there, never removed; a person already there keeps their name and notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, models
from django.utils import timezone

from amparo.accounts.audit import AuditAppend, audit_prepare_many
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib import geo
from amparo.lib.crypto.blind import email_index, hashes_remembered, phone_index
from amparo.lib.crypto.fields import EncryptedTextField, preseal
from amparo.lib.crypto.keys import panic_checked_once
from amparo.lib.prepared import rows_insert

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
from .reach import reach_new, reach_refresh
from .services import PersonData, _apply

#: The columns of a person already there that an import may change (``_apply``).
UPDATED_FIELDS = [
    "name",
    "name_tokens",
    "email",
    "email_index",
    "language",
    "languages_spoken",
    "skills",
    "notes",
    "status",
    "status_changed_at",
    "updated_at",
]


@dataclass
class _One:
    data: PersonData
    person: Person
    created: bool
    changed: list[str] = field(default_factory=list)
    save: bool = False  # an existing person whose own fields changed
    # new phones' number (sealed), number_index, label, is_primary
    phones: list[tuple[str, str, str, bool]] = field(default_factory=list)
    role_ids: list[int] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    trainings: list[PersonTraining] = field(default_factory=list)


#: Fields whose value of these types Django stores unchanged (no pre_save, no conversion).
_PLAIN: dict[type, tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.FloatField: (float,),
}


@dataclass
class _Rows:
    """A multi-row INSERT built ahead (Django's pre_save and value conversion, as its
    bulk_create does them: with the sealing, most of a bulk insert's time) and sent
    inside the transaction, new people's ids patched in once their INSERT returned them."""

    table: str
    columns: list[str]
    rows: list[list[Any]]
    patches: list[tuple[list[Any], int, Person]]  # (row, column, person whose id goes there)
    tail: str = ""  # ON CONFLICT …, RETURNING id
    returned: list[Any] = field(default_factory=list)  # objects given the ids returned

    @classmethod
    def build(
        cls,
        model: Any,
        objs: list[Any],
        ignore_conflicts: bool = False,
        update_fields: list[str] | None = None,
    ) -> _Rows:
        """INSERT (… RETURNING id, the ids set on ``objs`` at send: new people); or with
        ``update_fields``, an upsert on the id of records already there (one UPDATE each,
        in one statement)."""
        opts = model._meta
        fields = [
            f
            for f in opts.concrete_fields
            if not f.generated and (update_fields or not f.primary_key)
        ]
        rows: list[list[Any]] = []
        patches: list[tuple[list[Any], int, Person]] = []
        plain = [type(f) in _PLAIN and not f.is_relation for f in fields]
        # a link to an integer id, set as an int: stored as it is (as the plain ints above)
        ids = [f.is_relation and isinstance(f.target_field, models.IntegerField) for f in fields]
        # A chunk's None, [], {} and its one clock reading recur on every row: converted
        # once a column.
        same: dict[tuple[int, type, Any], Any] = {}
        for obj in objs:
            row: list[Any] = []
            for column, f in enumerate(fields):
                owner = obj._state.fields_cache.get(f.name) if f.is_relation else None
                if isinstance(owner, Person) and owner.pk is None:
                    patches.append((row, column, owner))  # a new person: id at send time
                    row.append(None)
                elif plain[column] and type(value := obj.__dict__[f.attname]) in _PLAIN[type(f)]:
                    row.append(value)  # stored as it is: Django's conversion would be a no-op
                elif ids[column] and type(value := obj.__dict__[f.attname]) is int:
                    row.append(value)
                else:
                    value = f.pre_save(obj, True)
                    if value is None or type(value) is datetime or value in ([], {}):
                        key = (column, type(value), value if type(value) is datetime else None)
                        if key not in same:
                            same[key] = f.get_db_prep_save(value, connection)
                        row.append(same[key])
                    else:
                        row.append(f.get_db_prep_save(value, connection))
            rows.append(row)
        quote = connection.ops.quote_name
        if update_fields:
            pk = quote(opts.pk.column)
            sets = ", ".join(
                f"{quote(c)} = EXCLUDED.{quote(c)}"
                for c in (opts.get_field(name).column for name in update_fields)
            )
            tail = f"ON CONFLICT({pk}) DO UPDATE SET {sets}"
        elif model is Person:
            tail = "RETURNING " + quote(opts.pk.column)
        else:
            tail = "ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        return cls(
            table=opts.db_table,
            columns=[f.column for f in fields],
            rows=rows,
            patches=patches,
            tail=tail,
            returned=objs if tail.startswith("RETURNING") else [],
        )

    def send(self) -> None:
        for row, column, person in self.patches:
            row[column] = person.pk
        ids = rows_insert(self.table, self.columns, self.rows, self.tail)
        for obj, (pk,) in zip(self.returned, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = DEFAULT_DB_ALIAS


@dataclass
class BulkPlan:
    network: Network
    source: str
    items: list[_One]
    inserts: list[_Rows] = field(default_factory=list)  # people, built ahead
    rows: list[_Rows] = field(default_factory=list)  # what depends on them, built ahead
    audits: list[AuditAppend] = field(default_factory=list)  # chained at the write

    def outcomes(self) -> list[tuple[int, str]]:
        """(person id, "created" | "updated" | "unchanged") per item, after the write."""
        return [(one.person.pk, one_result(one)) for one in self.items]

    def counts(self) -> dict[str, int]:
        """How many items are created, updated, unchanged (known before the write)."""
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for one in self.items:
            counts[one_result(one)] += 1
        return counts


def one_result(one: _One) -> str:
    return "created" if one.created else ("updated" if one.changed else "unchanged")


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Known:
    """What a chunk needs from the database, read in a few IN queries."""

    by_phone: dict[str, set[int]]
    by_email: dict[str, int]
    existing: dict[int, Person] = field(default_factory=dict)
    roles: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    places: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    trainings: dict[int, set[tuple[int, Any]]] = field(default_factory=lambda: defaultdict(set))


def _lookup(network: Network, items: list[tuple[PersonData, int | None]]) -> _Known:
    """The people already there with the items' phones and emails."""
    phones = {phone_index(p) for d, t in items if t is None for p in d.phones}
    emails = {email_index(d.email.strip().lower()) for d, _t in items if d.email}
    by_phone, by_email = people_by_indexes(network, phones, emails)
    return _Known(by_phone=by_phone, by_email=by_email)


def people_by_indexes(
    network: Network, phones: set[str], emails: set[str]
) -> tuple[dict[str, set[int]], dict[str, int]]:
    """The network's people by these phone and email blind indexes: (phone index ->
    person ids, email index -> person id), in a few IN queries."""
    by_phone: dict[str, set[int]] = defaultdict(set)
    by_email: dict[str, int] = {}
    found: list[tuple[str, int]] = []
    for chunk in _chunks(sorted(phones), 5_000):
        # By the phones' own index, then their people in the network: a join lets
        # SQLite walk every person of the network instead (the lookup grew with it).
        found += (
            PersonPhone.objects.filter(number_index__in=chunk)
            .order_by()
            .values_list("number_index", "person_id")
        )
    ours: set[int] = set()
    for chunk in _chunks(sorted({pid for _idx, pid in found}), 5_000):
        ours.update(
            Person.objects.filter(network=network, pk__in=chunk)
            .order_by()
            .values_list("pk", flat=True)
        )
    for idx, pid in found:
        if pid in ours:
            by_phone[idx].add(pid)
    for chunk in _chunks(sorted(emails), 5_000):
        by_email.update(
            Person.objects.filter(network=network, email_index__in=chunk)
            .order_by()
            .values_list("email_index", "pk")
        )
    return by_phone, by_email


def _resolve(known: _Known, items: list[tuple[PersonData, int | None]]) -> list[int | None]:
    """Each item's person already in the network: the one given, or else (someone may
    have signed up since the file was checked) the one with its email, or the only one
    with its phones."""
    targets: list[int | None] = []
    for data, target in items:
        if target is None and data.email:
            target = known.by_email.get(email_index(data.email.strip().lower()))
        if target is None:
            found = set().union(*(known.by_phone.get(phone_index(p), set()) for p in data.phones))
            target = next(iter(found)) if len(found) == 1 else None
        targets.append(target)
    return targets


def _load_existing(network: Network, known: _Known, ids: set[int]) -> None:
    """The people already there, with their phones, roles, places and trainings."""
    if not ids:
        return
    known.existing = {
        p.pk: p
        for p in Person.objects.filter(network=network, pk__in=ids)
        .prefetch_related("phones")
        .order_by()
    }
    for chunk in _chunks(list(known.existing), 5_000):
        for pid, rid in Person.roles.through.objects.filter(person_id__in=chunk).values_list(
            "person_id", "personrole_id"
        ):
            known.roles[pid].add(rid)
        for pid, place_id in PersonArea.objects.filter(
            person_id__in=chunk, place__isnull=False
        ).values_list("person_id", "place_id"):
            known.places[pid].add(place_id)
        for pid, tid, when in PersonTraining.objects.filter(person_id__in=chunk).values_list(
            "person_id", "training_type_id", "completed_on"
        ):
            known.trainings[pid].add((tid, when))


class BulkLookups:
    """The network's roles, training types and places, read once for a whole import."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.roles = dict(PersonRole.objects.filter(network=network).values_list("slug", "pk"))
        self.types = {t.slug: t for t in TrainingType.objects.filter(network=network)}
        self.places: dict[int, Place] = {}

    def places_for(self, wanted: set[int]) -> dict[int, Place]:
        missing = wanted - set(self.places)
        if missing:
            self.places.update(Place.objects.filter(network=self.network).in_bulk(missing))
        return self.places


def people_bulk_prepare(
    *,
    network: Network,
    items: list[tuple[PersonData, int | None]],
    source: str,
    lookups: BulkLookups | None = None,
    actor: User | None = None,
) -> BulkPlan:
    """Work out the writes for ``items`` (data, id of the person already there or None),
    in a few IN queries whatever their number. Reads only: every value is sealed and
    hashed here, outside any transaction (``lookups``: kept from an earlier chunk).
    The panic marker is looked for once, before the chunk's sealing starts; each keyed
    hash is computed once for the chunk."""
    with panic_checked_once(), hashes_remembered():
        return _prepare(network, items, source, lookups or BulkLookups(network), actor)


def _prepare(
    network: Network,
    items: list[tuple[PersonData, int | None]],
    source: str,
    lookups: BulkLookups,
    actor: User | None,
) -> BulkPlan:
    known = _lookup(network, items)
    targets = _resolve(known, items)
    _load_existing(network, known, {t for t in targets if t})
    places = lookups.places_for({p for d, _t in items for p in d.places or []})
    now = timezone.now()  # one reading of the clock for the chunk's defaults
    plan = BulkPlan(network=network, source=source, items=[])
    for (data, _given), target in zip(items, targets, strict=True):
        person = known.existing.get(target) if target else None
        one = _plan_person(network, source, data, person, known, now)
        person = one.person
        new_roles = [lookups.roles[s] for s in one.data.roles or [] if s in lookups.roles]
        one.role_ids = [r for r in dict.fromkeys(new_roles) if r not in known.roles[person.pk]]
        if one.role_ids:
            one.changed.append("roles")
        have_places = known.places[person.pk]
        one.places = [
            places[p]
            for p in dict.fromkeys(one.data.places or [])
            if p in places and p not in have_places
        ]
        if one.places:
            one.changed.append("areas")
        covered: set[str] = set()
        for place in one.places:
            covered.update(geo.cells_within(place.latitude, place.longitude, 5.0))
        one.cells = sorted(covered)
        have_trainings = known.trainings[person.pk] if person.pk else set()  # new: none
        for slug, completed_on in one.data.trainings:
            kind = lookups.types.get(slug)
            if kind is not None and (kind.pk, completed_on) not in have_trainings:
                one.trainings.append(
                    PersonTraining(
                        person=person,
                        training_type=kind,
                        completed_on=completed_on,
                        expires_on=kind.expires_on(completed_on),
                    )
                )
                have_trainings.add((kind.pk, completed_on))
        if one.trainings:
            one.changed.append("trainings")
        one.save = not one.created and bool(one.changed)
        if one.save:
            preseal(person)
        plan.items.append(one)
    plan.inserts = [
        _Rows.build(Person, [one.person for one in plan.items if one.created]),
        _Rows.build(
            Person, [one.person for one in plan.items if one.save], update_fields=UPDATED_FIELDS
        ),
    ]
    plan.rows = _dependent_rows(plan, now)
    plan.audits = _audit(plan.items, network, source, actor)
    return plan


def _dependent_rows(plan: BulkPlan, now: datetime) -> list[_Rows]:
    """Phones, role links, areas and trainings of the plan's people, built ahead."""
    return [
        _phone_rows(plan.items, now),
        _role_rows(plan.items),
        _area_rows(plan.items),
        _Rows.build(
            PersonTraining,
            [t for one in plan.items for t in one.trainings],
            ignore_conflicts=True,
        ),
    ]


def _links(model: Any, names: list[str], items: list[_One], values: Any) -> _Rows:
    """Rows of ``model`` (its fields ``names``, the first the person) as plain values, no
    model instance each: what :meth:`_Rows.build` makes of the same records (the tests
    compare the two), for the many small rows whose values need no conversion."""
    rows: list[list[Any]] = []
    patches: list[tuple[list[Any], int, Person]] = []
    for one in items:
        person = one.person
        for value in values(one):
            row = [person.pk, *value]
            if person.pk is None:
                patches.append((row, 0, person))  # a new person: id at send time
            rows.append(row)
    columns = [model._meta.get_field(name).column for name in names]
    return _Rows(model._meta.db_table, columns, rows, patches)


# New phones, sealed already (no model each: with the person's data key, as preseal):
# the person and _One.phones' four values, then the model's defaults (created: now).
def _phone_rows(items: list[_One], now: datetime) -> _Rows:
    fields = [f for f in PersonPhone._meta.concrete_fields if not f.primary_key]
    rest = tuple(
        f.get_db_prep_save(now if f.name == "created_at" else f.get_default(), connection)
        for f in fields[5:]
    )
    names = [f.name for f in fields]
    return _links(PersonPhone, names, items, lambda one: [(*p, *rest) for p in one.phones])


def _role_rows(items: list[_One]) -> _Rows:
    through = Person.roles.through
    roles = _links(
        through, ["person", "personrole"], items, lambda one: [(r,) for r in one.role_ids]
    )
    roles.tail = "ON CONFLICT DO NOTHING"
    return roles


def _area_rows(items: list[_One]) -> _Rows:
    """A town's area: its cell, 5 km around it, no point of its own."""
    point = PersonArea._meta.get_field("point").get_db_prep_save(None, connection)
    return _links(
        PersonArea,
        ["person", "place", "point", "cell", "radius_km"],
        items,
        lambda one: [(place.pk, point, place.h3_cell, 5.0) for place in one.places],
    )


def _plan_person(
    network: Network,
    source: str,
    data: PersonData,
    person: Person | None,
    known: _Known,
    now: datetime,
) -> _One:
    """One person's own fields and new phones, sealed."""
    created = person is None
    if person is None:
        person = Person(network=network, source=source, created_at=now, status_changed_at=now)
        person.set_languages(data.language or "es")
        if data.email and data.email.strip().lower() != data.email:
            data = replace(data, email=data.email.strip().lower())
    email = data.email.strip().lower()
    one = _One(data=data, person=person, created=created)
    # _apply without the email (one query each); the email is checked in bulk above.
    one.changed = _apply(person, replace(data, email=""), merge=not created)
    owner = known.by_email.get(email_index(email)) if email else None
    if email and (owner is None or owner == person.pk) and (created or not person.email):
        person.email = email
        one.changed.append("email")
    if created:
        preseal(person)  # its data key, name, email, notes and their keyed hashes
    have = {p.number_index for p in person.phones.all()} if not created else set()
    number_field = cast(EncryptedTextField, PersonPhone._meta.get_field("number"))
    for position, number in enumerate(data.phones):
        index = phone_index(number)
        if index not in have:
            sealed = number_field.seal_value(person, number)  # with the person's data key
            sealed_text = number_field.get_db_prep_save(sealed, connection)
            one.phones.append((sealed_text, index, "", not have and not position))
            have.add(index)
    if one.phones:
        one.changed.append("phones")
    if created:  # its reach flags set before the INSERT, not an UPDATE after it
        reach_new(person, phones=len(one.phones))
    return one


def people_bulk_write(*, plan: BulkPlan) -> list[tuple[int, str]]:
    """Write a prepared plan; call inside a transaction. Returns :meth:`BulkPlan.outcomes`.

    A fixed number of statements whatever the plan's size (one INSERT per table, one
    UPDATE of the people already there, the audit append, the counts' versions): the
    values were sealed by :func:`people_bulk_prepare`, so the write lock is held for the
    statements alone."""
    for insert in plan.inserts:
        insert.send()
    for rows in plan.rows:  # phones, role links, areas, trainings
        rows.send()
    old = [one for one in plan.items if not one.created]  # the new: reach_new, before
    reach_refresh(one.person.pk for one in old if {"phones", "email"} & set(one.changed))
    network_id = plan.network.pk
    _coverage_insert([(network_id, one.person.pk, c) for one in plan.items for c in one.cells])
    with panic_checked_once():  # the chain's hashes: one look for the chunk's events
        for append in plan.audits:
            append.send(events=False)
    # cached counts (people/counts.py) see these people at once, bucket by bucket
    people_changed(network_id=plan.network.pk, person_ids=[one.person.pk for one in plan.items])
    return plan.outcomes()


def _audit(
    items: list[_One], network: Network, source: str, actor: User | None
) -> list[AuditAppend]:
    """One event per person created or changed (field names only), as person_upsert
    records: one append per action, built ahead and chained in the transaction."""
    appends = []
    for action, created in ((AuditEvent.Action.CREATE, True), (AuditEvent.Action.UPDATE, False)):
        changes = [
            (one.person, one.changed)
            for one in items
            if one.created == created and (created or one.changed)
        ]
        if changes:
            appends.append(
                audit_prepare_many(
                    action=action, changes=changes, actor=actor, network=network, note=source
                )
            )
    return appends


def _coverage_insert(rows: list[tuple[int, int, str]]) -> None:
    """Coverage cells are many small derived rows (a town 5 km around is ~20 cells): a
    few multi-row INSERTs instead of a model each; a cell a person already has is left
    alone."""
    columns = ["network_id", "person_id", "cell"]
    rows_insert(CoverageCell._meta.db_table, columns, rows, "ON CONFLICT DO NOTHING")
