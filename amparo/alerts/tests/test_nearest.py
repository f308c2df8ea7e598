"""The nearest-N search ranks in the database by h3 rings and measures exactly only the
short list: on random networks it gives exactly the brute-force ranking."""

from __future__ import annotations

import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amparo.alerts.planning import nearest, nearest_brute
from amparo.people.defaults import install_defaults
from amparo.people.filters import may_be_alerted_as
from amparo.people.services import place_get_or_create, set_areas
from amparo.tests.factories import PersonFactory, ResponderFactory

HOLYOKE = (42.2043, -72.6162)


def _spot(rng: random.Random, km: float) -> tuple[float, float]:
    r = km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    lat = HOLYOKE[0] + (r / 111.0) * math.cos(angle)
    lng = HOLYOKE[1] + (r / (111.0 * math.cos(math.radians(HOLYOKE[0])))) * math.sin(angle)
    return lat, lng


@pytest.mark.parametrize("seed", range(4))
def test_nearest_equals_the_brute_force_ranking_on_random_networks(network_a, seed) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data
    install_defaults(network_a)
    places = [
        place_get_or_create(network=network_a, name=f"Town {i}", latitude=lat, longitude=lng)
        for i, (lat, lng) in enumerate(_spot(rng, 40) for _ in range(8))
    ]
    for _ in range(36):
        factory = ResponderFactory if rng.random() < 0.8 else PersonFactory
        person = factory.create(
            network=network_a, phone="", trained=rng.random() < 0.85, place=rng.choice(places)
        )
        if rng.random() < 0.35:  # a point they chose, with its own radius, maybe two areas
            lat, lng = _spot(rng, 45)
            set_areas(
                person,
                places=rng.sample(places, rng.randint(0, 1)),
                points=[{"lat": lat, "lng": lng, "radius_km": rng.choice([1.0, 5.0, 25.0])}],
            )
    base = may_be_alerted_as(network_a, ["rapid-responder"])
    for _ in range(12):
        lat, lng = _spot(rng, 35)
        limit, max_km = rng.choice([1, 3, 7, 20, 40]), rng.choice([2.0, 8.0, 16.0, 30.0])
        fast = nearest(base, lat, lng, limit=limit, max_km=max_km)
        assert fast == nearest_brute(base, lat, lng, limit=limit, max_km=max_km)


def test_nearest_reads_only_the_rings_near_the_point(network_a) -> None:
    """With enough people in the town at hand, the far towns' areas are never read."""
    install_defaults(network_a)
    near = place_get_or_create(network=network_a, name="Here", latitude=42.2043, longitude=-72.6162)
    far = place_get_or_create(network=network_a, name="Far", latitude=42.37, longitude=-72.52)
    here = [ResponderFactory.create(network=network_a, phone="", place=near) for _ in range(4)]
    for _ in range(4):
        ResponderFactory.create(network=network_a, phone="", place=far)
    base = may_be_alerted_as(network_a, ["rapid-responder"])
    with CaptureQueriesContext(connection) as queries:
        found = nearest(base, *HOLYOKE, limit=3, max_km=30)
    assert [pk for pk, _d in found] == sorted(p.pk for p in here)[:3]
    # the first ring was enough: its areas with their town, one check of the nearest
    # few against the rule with their coverage — the far town's areas are never read
    assert len(queries) == 2
    assert not any(f"'{far.h3_cell}'" in q["sql"] for q in queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_on_postgresql_the_search_statements_are_prepared_once(network_a) -> None:
    """The eligibility rule and the areas' read are planned once per connection, not per
    call (amparo/lib/prepared.py): a second search adds no prepared statement, and
    none of them was planned for its values (settings.py: the generic plan)."""
    install_defaults(network_a)
    here = place_get_or_create(network=network_a, name="Here", latitude=42.2043, longitude=-72.6162)
    for _ in range(3):
        ResponderFactory.create(network=network_a, phone="", place=here)
    base = may_be_alerted_as(network_a, ["rapid-responder"])

    def prepared(custom: bool = False) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE custom_plans > 0 OR %s"
                " ORDER BY statement",
                [not custom],
            )
            return [row[0] for row in cursor.fetchall()]

    first = nearest(base, *HOLYOKE, limit=2, max_km=30)
    made = prepared()
    assert any("people_coveragecell" in s for s in made)
    assert any("people_personarea" in s for s in made)
    assert nearest(base, *HOLYOKE, limit=2, max_km=30) == first
    assert prepared() == made
    assert prepared(custom=True) == []
