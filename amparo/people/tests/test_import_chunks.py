"""An import's chunk: a fixed number of statements whatever its size, nothing sealed
while the write lock is held, and a crash in the middle of a chunk's writes leaves
nothing behind that a re-run would duplicate."""

from __future__ import annotations

import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.lib.crypto.blind import email_index, phone_index
from amparo.people import importing
from amparo.people.bulk import BulkLookups, people_bulk_prepare, people_bulk_write
from amparo.people.models import CoverageCell, ImportBatch, Person, PersonArea, PersonPhone
from amparo.people.services import PersonData, person_upsert, place_get_or_create


class Crash(BaseException):
    """Not an Exception: like a killed process, nothing in Amparo catches it."""


def phone(i: int) -> str:
    return f"+1413555{i:04d}"


def statements(network, place, n: int) -> tuple[int, int]:
    """Queries to prepare and to write a chunk of ``n`` people, a fifth already there."""
    base = 100 * n
    for i in range(0, n, 5):
        person_upsert(network=network, data=PersonData(name=f"Ya {i}", phones=[phone(base + i)]))
    items: list[tuple[PersonData, int | None]] = [
        (
            PersonData(
                name=f"Persona {i}",
                phones=[phone(base + i)],
                email=f"p{base + i}@example.org",
                places=[place.pk],
            ),
            None,
        )
        for i in range(n)
    ]
    with CaptureQueriesContext(connection) as prepared:
        plan = people_bulk_prepare(
            network=network, items=items, source=Person.Source.IMPORT, lookups=BulkLookups(network)
        )
    with CaptureQueriesContext(connection) as written, transaction.atomic():
        outcomes = people_bulk_write(plan=plan)
    assert sorted(r for _p, r in outcomes).count("updated") == len(range(0, n, 5))
    assert PersonArea.objects.filter(person__network=network).count() >= n
    # PostgreSQL's audit-chain lock is its alone (as in test_signup_statements.py)
    locks = sum(1 for q in written if q["sql"].lstrip().upper().startswith("SELECT PG_ADVISORY"))
    return len(prepared), len(written) - locks


@pytest.mark.django_db(transaction=True)
def test_the_statements_of_a_chunk_do_not_grow_with_its_people(network_a):
    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    small = statements(network_a, place, 5)
    large = statements(network_a, place, 80)  # past SQLite's old 999 parameters a statement
    assert small == large
    assert large[1] < 20  # inserts, one upsert, audit append, versions, savepoints


def test_nothing_is_sealed_while_the_write_lock_is_held(network_a, monkeypatch):
    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    person_upsert(network=network_a, data=PersonData(name="Ya", phones=[phone(1)]))
    items: list[tuple[PersonData, int | None]] = [
        (PersonData(name=f"P {i}", phones=[phone(i)], email=f"p{i}@x.org", places=[place.pk]), None)
        for i in range(1, 6)
    ]
    plan = people_bulk_prepare(network=network_a, items=items, source=Person.Source.IMPORT)

    def refuse(*args, **kwargs):
        raise AssertionError("sealed or hashed inside the write transaction")

    monkeypatch.setattr("amparo.lib.crypto.fields.seal", refuse)
    monkeypatch.setattr("amparo.lib.crypto.blind.blind_index", refuse)
    monkeypatch.setattr("amparo.lib.crypto.fields.new_data_key", refuse)
    with transaction.atomic():
        results = [r for _pid, r in people_bulk_write(plan=plan)]
    monkeypatch.undo()
    assert results == ["updated", "created", "created", "created", "created"]
    ya = Person.objects.get(network=network_a, email_index=email_index("p1@x.org"))
    assert ya.name == "Ya" and {p.number for p in ya.phones.all()} == {phone(1)}
    assert Person.objects.get(network=network_a, email_index=email_index("p3@x.org")).name == "P 3"
    assert PersonPhone.objects.get(number_index=phone_index(phone(3))).number == phone(3)


def test_a_crash_inside_a_chunks_writes_is_resumed_without_duplicates(network_a, monkeypatch):
    for name in ("CHUNK_GROUPS", "MIN_CHUNK", "MAX_CHUNK"):
        monkeypatch.setattr(f"amparo.people.importing.work.{name}", 6)
    place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    text = "Name,Phone,Email,Town\n" + "".join(
        f"Persona {i},413-555-{i:04d},p{i}@example.org,Holyoke\n" for i in range(15)
    )
    data = text.encode()

    def batch() -> ImportBatch:
        return importing.import_batch_create(
            network=network_a, actor=None, filename="p.csv", stream=io.BytesIO(data), size=len(data)
        )

    first = batch()
    importing.import_batch_start(batch=first, enqueue=False)
    from amparo.people import bulk

    real = bulk._coverage_insert
    calls: list[int] = []

    def crashing(rows):
        calls.append(1)
        if len(calls) == 2:  # the second chunk: its people and phones are inserted
            raise Crash
        return real(rows)

    monkeypatch.setattr(bulk, "_coverage_insert", crashing)
    with pytest.raises(Crash):
        importing.import_batch_work(batch_id=first.pk)
    first.refresh_from_db()
    assert (first.status, first.cursor, first.created_count) == ("running", 6, 6)
    assert Person.objects.filter(network=network_a).count() == 6
    assert PersonPhone.objects.filter(person__network=network_a).count() == 6

    importing.import_batch_work(batch_id=first.pk)  # what the sweeper's task runs
    first.refresh_from_db()
    assert (first.status, first.created_count) == ("imported", 15)
    people = Person.objects.filter(network=network_a)
    assert people.count() == 15
    assert PersonPhone.objects.filter(person__network=network_a).count() == 15
    assert PersonArea.objects.filter(person__network=network_a).count() == 15
    cells = {p.pk: set(p.coverage.values_list("cell", flat=True)) for p in people}
    assert len({frozenset(c) for c in cells.values()}) == 1 and all(cells.values())
    coverage = CoverageCell.objects.filter(network=network_a).count()

    again = batch()  # the same file once more: the same people, nothing added
    outcome = importing.import_batch_run(batch=again)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 15)
    assert Person.objects.filter(network=network_a).count() == 15
    assert CoverageCell.objects.filter(network=network_a).count() == coverage


@pytest.mark.django_db(transaction=True)
def test_chunks_chain_their_events_and_checkpoint_between_them(
    network_a, coordinator_a, monkeypatch
):
    from amparo.accounts.chain import chain_verify
    from amparo.accounts.models import AuditEvent

    for name in ("CHUNK_GROUPS", "MIN_CHUNK", "MAX_CHUNK", "CHECKPOINT_PEOPLE"):
        monkeypatch.setattr(f"amparo.people.importing.work.{name}", 4)
    text = "Name,Phone\n" + "".join(f"Persona {i},413-555-{i:04d}\n" for i in range(10))
    batch = importing.import_batch_create(
        network=network_a, actor=None, filename="p.csv", stream=io.BytesIO(text.encode()), size=99
    )
    with CaptureQueriesContext(connection) as run:
        importing.import_batch_run(batch=batch, actor=coordinator_a)
    events = AuditEvent.objects.filter(target_type="people.person", action="create")
    assert sorted(int(e.target_id) for e in events) == sorted(
        Person.objects.filter(network=network_a).values_list("pk", flat=True)
    )
    assert {e.actor_id for e in events} == {coordinator_a.pk} and len(events) == 10
    assert chain_verify().intact
    pragmas = [q["sql"] for q in run if q["sql"].startswith("PRAGMA wal_")]
    if connection.vendor == "sqlite":  # never in a commit; two between the chunks
        assert pragmas == ["PRAGMA wal_checkpoint(PASSIVE)"] * 2
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone() == (0,)


@pytest.mark.django_db
def test_role_and_area_rows_are_what_django_would_write(network_a):
    """The role links and areas go as plain values (no model each): the same columns
    and values as the model-by-model build, for people new and already there."""
    from amparo.people import bulk

    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    there, _created = person_upsert(
        network=network_a, data=PersonData(name="Ya", phones=[phone(1)])
    )
    items: list[tuple[PersonData, int | None]] = [
        (PersonData(name=f"P {i}", phones=[phone(i)], places=[place.pk], roles=["driver"]), None)
        for i in (1, 2)
    ]
    plan = people_bulk_prepare(network=network_a, items=items, source=Person.Source.IMPORT)
    assert [one.created for one in plan.items] == [False, True]
    through = Person.roles.through
    expected = {
        "roles": bulk._Rows.build(
            through,
            [through(person=o.person, personrole_id=r) for o in plan.items for r in o.role_ids],
            ignore_conflicts=True,
        ),
        "areas": bulk._Rows.build(
            PersonArea,
            [
                PersonArea(person=o.person, place=p, cell=p.h3_cell, radius_km=5.0)
                for o in plan.items
                for p in o.places
            ],
        ),
    }
    got = {"roles": bulk._role_rows(plan.items), "areas": bulk._area_rows(plan.items)}
    for name, want in expected.items():
        rows = got[name]
        assert (rows.table, rows.columns, rows.rows, rows.tail) == (
            want.table,
            want.columns,
            want.rows,
            want.tail,
        ), name
        assert len(rows.rows) == 2 and rows.rows[0][0] == there.pk
        assert [(r is rows.rows[1], c, p) for r, c, p in rows.patches] == [
            (True, 0, plan.items[1].person)
        ]
    # Phones too: the model's columns, a new person's two numbers sealed with their key.
    items = [(PersonData(name="Dos", phones=[phone(3), phone(4)]), None)]
    plan = people_bulk_prepare(network=network_a, items=items, source=Person.Source.IMPORT)
    rows = bulk._phone_rows(plan.items, timezone.now())
    assert rows.columns == bulk._Rows.build(PersonPhone, []).columns
    assert [row[2:7] for row in rows.rows] == [
        [phone_index(phone(3)), "", True, True, True],
        [phone_index(phone(4)), "", False, True, True],
    ]
    with transaction.atomic():
        people_bulk_write(plan=plan)
    person = Person.objects.get(pk=plan.items[0].person.pk)
    assert [(p.number, p.is_primary) for p in person.phones.all()] == [
        (phone(3), True),
        (phone(4), False),
    ]
