"""A chunk's preparation: who is already there is found by phone within the network
only, and the panic marker is looked for once per chunk (not at each of its thousands
of key uses), yet a panic before the chunk still stops it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from amparo.lib.crypto import keys
from amparo.people.bulk import people_bulk_prepare
from amparo.people.models import Person
from amparo.people.services import PersonData, person_upsert


def prepare(network, data: PersonData):
    return people_bulk_prepare(
        network=network, items=[(data, None)], source=Person.Source.IMPORT, lookups=None
    )


@pytest.mark.django_db
def test_a_phone_matches_its_owner_in_this_network_only(network_a, network_b):
    theirs, _c = person_upsert(
        network=network_b, data=PersonData(name="B", phones=["+14135550101"])
    )
    ours, _c = person_upsert(network=network_a, data=PersonData(name="A", phones=["+14135550102"]))
    plan = prepare(network_a, PersonData(name="Nueva", phones=["+14135550101"]))
    assert plan.items[0].created and plan.items[0].person.pk != theirs.pk
    plan = prepare(network_a, PersonData(name="", phones=["+14135550102"]))
    assert not plan.items[0].created and plan.items[0].person.pk == ours.pk


def test_the_marker_is_looked_for_once_per_block_on_this_thread_only(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    other: list[BaseException] = []

    def elsewhere() -> None:
        try:
            keys.refuse_after_panic()
        except keys.KeyConfigurationError as exc:
            other.append(exc)

    with keys.panic_checked_once():
        (tmp_path / keys.PANIC_MARKER).touch()
        keys.refuse_after_panic()  # this chunk already looked
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert other, "another thread (a request, the outbox) still looks at every use"
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"):
        keys.refuse_after_panic()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"), keys.panic_checked_once():
        pass


@pytest.mark.django_db
def test_a_chunk_prepared_after_a_panic_seals_nothing(network_a, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / keys.PANIC_MARKER).touch()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"):
        prepare(network_a, PersonData(name="Tras el pánico", phones=["+14135550103"]))


@pytest.mark.django_db
def test_rows_that_depend_on_new_people_are_built_before_the_write(network_a, monkeypatch):
    """Phones, role links, areas and trainings are converted for the database by the
    preparation; the write only patches the new people's ids in (the write lock is held
    for the statements alone)."""
    from datetime import date

    from django.db import transaction
    from django.db.models import Field

    from amparo.people.bulk import people_bulk_write
    from amparo.people.models import (
        PersonArea,
        PersonPhone,
        PersonRole,
        PersonTraining,
        TrainingType,
    )
    from amparo.people.services import place_get_or_create

    place = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    role = PersonRole.objects.get(network=network_a, slug="driver")
    kind, _n = TrainingType.objects.get_or_create(network=network_a, slug="kyr")
    there, _c = person_upsert(
        network=network_a, data=PersonData(name="Ya", phones=["+14135550200"])
    )
    course = [("kyr", date(2026, 1, 5))]
    each: dict[str, Any] = {"places": [place.pk], "roles": ["driver"], "trainings": course}
    items: list[tuple[PersonData, int | None]] = [
        (PersonData(name="", phones=["+14135550200", "+14135550201"], **each), there.pk),
        (PersonData(name="Nueva", phones=["+14135550202"], **each), None),
    ]
    plan = people_bulk_prepare(network=network_a, items=items, source=Person.Source.IMPORT)
    dependent = (PersonArea, PersonTraining, Person.roles.through, PersonPhone)
    real = Field.pre_save
    built: list[str] = []

    def watch(self, obj, add):
        if isinstance(obj, dependent):
            built.append(type(obj).__name__)
        return real(self, obj, add)

    monkeypatch.setattr(Field, "pre_save", watch)
    with transaction.atomic():
        people_bulk_write(plan=plan)
    monkeypatch.undo()
    assert built == []
    for person in Person.objects.filter(network=network_a):
        assert list(person.roles.all()) == [role]
        assert [a.place_id for a in person.areas.all()] == [place.pk]
        assert [(t.training_type_id, t.completed_on) for t in person.trainings.all()] == [
            (kind.pk, date(2026, 1, 5))
        ]
    nueva = Person.objects.exclude(pk=there.pk).get(network=network_a)
    assert sorted((p.person_id, p.number) for p in PersonPhone.objects.all()) == [
        (there.pk, "+14135550200"),
        (there.pk, "+14135550201"),
        (nueva.pk, "+14135550202"),
    ]


@pytest.mark.django_db
def test_a_panic_between_preparing_and_writing_a_chunk_stops_the_write(
    network_a, settings, tmp_path
):
    from django.db import transaction

    from amparo.people.bulk import people_bulk_write

    settings.DATA_DIR = tmp_path
    plan = prepare(network_a, PersonData(name="Antes", phones=["+14135550104"]))
    (tmp_path / keys.PANIC_MARKER).touch()
    with pytest.raises(keys.KeyConfigurationError, match="panic wipe"), transaction.atomic():
        people_bulk_write(plan=plan)  # the audit chain's hash looks once for the chunk
    assert not Person.objects.filter(network=network_a).exists()
