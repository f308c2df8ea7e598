"""Counts of people that do not grow with the network: cached per network and filter,
right after every change (recounting only the ids that changed), and right the moment
a training expires — with nothing written."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.people import counts, importing
from amparo.people.committees import committee_member_add, committee_member_remove
from amparo.people.counts import people_counts
from amparo.people.defaults import install_defaults
from amparo.people.filters import PeopleFilter, channel_counts
from amparo.people.models import Committee, PeopleVersion, Person
from amparo.people.services import person_opt_out, person_set_status, place_get_or_create
from amparo.tests.factories import PersonFactory, ResponderFactory

FILTERS = [
    PeopleFilter(),
    PeopleFilter(roles=["rapid-responder"], languages=["es"]),
    PeopleFilter(trained=["rapid-responder"]),
    PeopleFilter(committees=["solidarity"]),
]


def _live(network, people_filter):
    return channel_counts(people_filter.apply(network))


def _writes(queries):
    return [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]


@pytest.fixture
def small_buckets(monkeypatch):
    """Buckets of 4 ids, so a few people span several of them."""
    monkeypatch.setattr(counts, "BUCKET", 4)


def test_cached_counts_follow_every_kind_of_change(network_a, small_buckets) -> None:
    install_defaults(network_a)
    town = place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    people = [ResponderFactory.create(network=network_a, place=town) for _ in range(9)]
    people += [PersonFactory.create(network=network_a, language="en") for _ in range(4)]
    solidarity = Committee.objects.get(network=network_a, slug="solidarity")
    for f in FILTERS:  # counted once, then cached
        assert people_counts(network_a, f) == _live(network_a, f)
    changes = [
        lambda: person_set_status(person=people[2], status=Person.Status.INACTIVE),
        lambda: person_opt_out(person=people[5], channel="sms"),
        lambda: person_opt_out(person=people[11]),
        lambda: committee_member_add(committee=solidarity, person=people[7]),
        lambda: ResponderFactory.create(network=network_a, place=town),
        lambda: committee_member_remove(committee=solidarity, person=people[7]),
    ]
    for change in changes:
        before = [people_counts(network_a, f) for f in FILTERS]
        change()
        after = [people_counts(network_a, f) for f in FILTERS]
        assert after == [_live(network_a, f) for f in FILTERS]
        assert after != before


def test_a_warm_count_is_one_query_and_a_cold_one_recounts_only_the_changed_ids(
    network_a, small_buckets
) -> None:
    people = [PersonFactory.create(network=network_a, phone="") for _ in range(14)]
    everyone = PeopleFilter()
    assert people_counts(network_a, everyone)["total"] == 14
    with CaptureQueriesContext(connection) as warm:
        assert people_counts(network_a, everyone)["total"] == 14
    assert len(warm) == 1  # the network's versions; the count itself from the cache
    person_set_status(person=people[-1], status=Person.Status.REMOVED)
    with CaptureQueriesContext(connection) as cold:
        assert people_counts(network_a, everyone)["total"] == 13
    recount = cold[-1]["sql"]
    first = people[-1].pk // 4 * 4
    # the recount reads the changed person's bucket of ids (and any id above the known ones)
    assert f'"people_person"."id" >= {first}' in recount
    assert f'"people_person"."id" < {first + 4}' in recount


def test_people_no_write_told_of_are_still_counted(network_a) -> None:
    PersonFactory.create(network=network_a, phone="")
    assert people_counts(network_a, PeopleFilter())["total"] == 1
    Person.objects.bulk_create([Person(network=network_a, name="Sin Aviso", status="active")])
    PersonFactory.create(network=network_a, phone="")  # a change elsewhere: a cold count
    assert people_counts(network_a, PeopleFilter())["total"] == 3


def test_a_training_stops_counting_at_the_networks_midnight_with_nothing_written(
    network_a,
) -> None:
    install_defaults(network_a)
    zone = ZoneInfo(network_a.time_zone)
    evening = datetime(2026, 3, 10, 23, 30, tzinfo=zone)
    with time_machine.travel(evening, tick=False):
        today = timezone.localdate(timezone=zone)
        ResponderFactory.create(network=network_a, trained=today - timedelta(days=800))
        person = ResponderFactory.create(network=network_a, trained=today)
        person.trainings.update(expires_on=today)  # valid through today, not tomorrow
        counts.people_changed(network_id=network_a.pk, person_ids=[person.pk])
        trained = PeopleFilter(trained=["rapid-responder"])
        responders = PeopleFilter(roles=["rapid-responder"])
        assert people_counts(network_a, trained)["total"] == 1
        assert people_counts(network_a, responders)["total"] == 1
    with time_machine.travel(evening + timedelta(minutes=31), tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert people_counts(network_a, trained)["total"] == 0
            assert people_counts(network_a, responders)["total"] == 0
        assert _writes(queries) == []


def test_a_page_reads_only_the_range_of_ids_the_cached_counts_point_to(
    network_a, small_buckets
) -> None:
    people = [PersonFactory.create(network=network_a, phone="") for _ in range(15)]
    for person in people[1::3]:
        person_set_status(person=person, status=Person.Status.INACTIVE)
    everyone = PeopleFilter()
    ordered = everyone.apply(network_a).order_by("id")
    assert people_counts(network_a, everyone)["total"] == 10
    for offset in range(10):
        where = counts.people_page_range(network_a, everyone, offset, 3)
        assert where is not None
        low, high, rest = where
        assert high - low < 15  # a range of ids, not everyone
        page = list(ordered.filter(pk__gte=low, pk__lt=high)[rest : rest + 3])
        assert page == list(ordered[offset : offset + 3])
    assert counts.people_page_range(network_a, PeopleFilter(q="ana"), 0, 3) is None


def test_an_import_tells_the_cached_counts_of_its_people(network_a, small_buckets) -> None:
    """The bulk import path announces what it wrote: the next count recounts only the
    buckets its people fell in, not the whole network (the fallback for people that no
    write announced)."""
    for _ in range(9):
        PersonFactory.create(network=network_a, phone="")
    assert people_counts(network_a, PeopleFilter())["total"] == 9
    before = dict(PeopleVersion.objects.filter(network=network_a).values_list("bucket", "version"))
    text = "Name,Phone,Email,Town\n" + "".join(
        f"Persona {i},413-555-{i:04d},p{i}@example.org,\n" for i in range(5)
    )
    data = text.encode()
    batch = importing.import_batch_create(
        network=network_a, actor=None, filename="p.csv", stream=io.BytesIO(data), size=len(data)
    )
    importing.import_batch_start(batch=batch, actor=None, enqueue=False)
    importing.import_batch_work(batch_id=batch.pk)
    new_ids = list(
        Person.objects.filter(network=network_a).order_by("-pk").values_list("pk", flat=True)[:5]
    )
    after = dict(PeopleVersion.objects.filter(network=network_a).values_list("bucket", "version"))
    for bucket in {pk // counts.BUCKET for pk in new_ids}:
        assert after.get(bucket) != before.get(bucket), f"bucket {bucket} not announced"
    assert people_counts(network_a, PeopleFilter())["total"] == 14
