"""A chunk's preparation: who is already there is found by phone within the network
only, and the panic marker is looked for once per chunk (not at each of its thousands
of key uses), yet a panic before the chunk still stops it."""

from __future__ import annotations

import threading

import pytest

from amparo.lib.crypto import keys
from amparo.people.bulk import BulkLookups, people_bulk_prepare
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
