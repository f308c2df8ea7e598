"""People benchmarks, one command: ``python -m bench.people``.

1. The filtered people list page and a segment count over 100,000 persons, beside
   the same over 1,000 persons. Aims (issue 16): page ratio ≤ 2; segment count ratio
   ≤ 3 cold (the first count after a person changed) and ≤ 1.2 warm (nothing changed).
2. Import of a 10,000-row file: rows per second (bench/people_import.py).
3. 2,000 volunteer sign-ups on loopback within a minute: all saved, p95 response time
   (bench/people_signup.py).

Bounded: seeding is bulk, every timing loop has a count and a deadline; loopback only.
Set BENCH_PEOPLE_LARGE to use fewer than 100,000 persons on a slow machine, and
BENCH_PEOPLE_ROUNDS for fewer timing rounds; BENCH_PEOPLE_ONLY=list runs part 1 alone.
With a PostgreSQL DATABASE_URL it runs there (bench/_setup.py).
"""

from __future__ import annotations

import importlib
import os
import random
import statistics
import time
from typing import Any

from bench._setup import django_in_tempdir

LARGE = int(os.environ.get("BENCH_PEOPLE_LARGE", "100000"))
SMALL = int(os.environ.get("BENCH_PEOPLE_SMALL", "1000"))
ROUNDS = int(os.environ.get("BENCH_PEOPLE_ROUNDS", "15"))
AIMS = {"page_ratio": 2.0, "count_cold_ratio": 3.0, "count_warm_ratio": 1.2}


def _analyze() -> None:
    """PostgreSQL plans from table statistics, which autovacuum gathers within a minute
    of a bulk insert in a real deployment; gather them now so the plans are the same."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _seed(
    network: Any, count: int, place: Any, types: dict[str, Any], roles: dict[str, Any]
) -> None:
    from amparo.people.counts import people_changed
    from amparo.people.models import CoverageCell, Person, PersonPhone, PersonTraining
    from amparo.people.reach import reach_refresh

    rng = random.Random(count)  # noqa: S311
    today = __import__("django.utils.timezone", fromlist=["localdate"]).localdate()
    through = Person.roles.through
    batch = 5000
    for start in range(0, count, batch):
        people = []
        for i in range(start, min(count, start + batch)):
            p = Person(network=network, name=f"Persona {i} Apellido{i % 97}", status="active")
            p.set_languages("es" if rng.random() < 0.7 else "en")
            people.append(p)
        Person.objects.bulk_create(people)
        created = list(Person.objects.filter(network=network).order_by("-pk")[: len(people)])
        people_changed(network_id=network.pk, person_ids=[p.pk for p in created])  # as imports do
        PersonPhone.objects.bulk_create(
            [PersonPhone(person=p, number=f"+1413{network.pk:02d}{p.pk:06d}"[:12]) for p in created]
        )
        reach_refresh(p.pk for p in created)  # as every write of phones does
        cells = [place.h3_cell, "87000000fffffff"]
        CoverageCell.objects.bulk_create(
            [CoverageCell(network=network, person=p, cell=cells[p.pk % 3 == 0]) for p in created]
        )
        rapid = [p for p in created if p.pk % 5 < 2]
        through.objects.bulk_create(
            [through(person=p, personrole=roles["rapid-responder"]) for p in rapid]
        )
        PersonTraining.objects.bulk_create(
            [
                PersonTraining(
                    person=p,
                    training_type=types["rapid-responder"],
                    completed_on=today,
                    expires_on=today.replace(year=today.year + 1),
                )
                for p in rapid
            ]
        )


def list_benchmark() -> dict[str, float]:
    from django.test import Client

    from amparo.accounts.services import membership_grant, network_create, user_create
    from amparo.people.counts import people_changed, people_count
    from amparo.people.filters import PeopleFilter
    from amparo.people.models import Person, PersonRole, TrainingType
    from amparo.people.services import place_get_or_create

    user = user_create(email="bench@example.org", password="x" * 12)
    setups = {}
    for label, count in (("small", SMALL), ("large", LARGE)):
        network = network_create(slug=f"bench-{label}", name=f"Bench {label}")
        membership_grant(user=user, network=network, roles=["coordinator"])
        place = place_get_or_create(
            network=network, name="Northampton", latitude=42.3251, longitude=-72.6412
        )
        types = {t.slug: t for t in TrainingType.objects.filter(network=network)}
        roles = {r.slug: r for r in PersonRole.objects.filter(network=network)}
        started = time.perf_counter()
        _seed(network, count, place, types, roles)
        print(f"seeded {count} persons in {time.perf_counter() - started:.1f} s")
        _analyze()
        setups[label] = (network, place)

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    from amparo.twofactor.session import SESSION_KEY

    session = client.session  # both factors passed, as after the verify page
    session[SESSION_KEY] = {"at": int(time.time()), "method": "bench"}
    session.save()
    results: dict[str, dict[str, list[float]]] = {
        "small": {"page": [], "count": [], "cold": []},
        "large": {"page": [], "count": [], "cold": []},
    }
    rng = random.Random(5)  # noqa: S311
    ids = {
        label: list(Person.objects.filter(network=n).values_list("pk", flat=True))
        for label, (n, _p) in setups.items()
    }
    deadline = time.monotonic() + 120
    for _ in range(ROUNDS):
        if time.monotonic() > deadline:
            break
        for label, (network, place) in setups.items():
            session = client.session
            session["amparo_network_id"] = network.pk
            session.save()
            url = (
                f"/people/?roles=rapid-responder&languages=es&places={place.pk}"
                "&trained=rapid-responder&trained_within_days=365"
            )
            start = time.perf_counter()
            response = client.get(url)
            results[label]["page"].append(time.perf_counter() - start)
            assert response.status_code == 200
            f = PeopleFilter(
                roles=["rapid-responder"],
                languages=["es"],
                places=[place.pk],
                trained=["rapid-responder"],
            )
            # cold: someone changed (as any write through the services marks it)
            people_changed(network_id=network.pk, person_ids=[rng.choice(ids[label])])
            start = time.perf_counter()
            cold = people_count(network, f)
            results[label]["cold"].append(time.perf_counter() - start)
            start = time.perf_counter()  # warm: nothing changed since
            warm = people_count(network, f)
            results[label]["count"].append(time.perf_counter() - start)
            assert cold == warm == f.apply(network).count()
    med = {label: {k: statistics.median(v) for k, v in r.items()} for label, r in results.items()}
    for label, count in (("small", SMALL), ("large", LARGE)):
        print(
            f"{count:>7} persons: list page median {med[label]['page'] * 1e3:.1f} ms, "
            f"segment count median cold {med[label]['cold'] * 1e3:.2f} ms, "
            f"warm {med[label]['count'] * 1e3:.2f} ms"
        )
    return {
        "page_ratio": med["large"]["page"] / med["small"]["page"],
        "count_cold_ratio": med["large"]["cold"] / med["small"]["cold"],
        "count_warm_ratio": med["large"]["count"] / med["small"]["count"],
        "page_ms_large": med["large"]["page"] * 1e3,
        "page_ms_small": med["small"]["page"] * 1e3,
        "count_ms_large": med["large"]["count"] * 1e3,
        "count_cold_ms_large": med["large"]["cold"] * 1e3,
        **{f"aim_{k}": v for k, v in AIMS.items()},
    }


def _optional(module: str) -> dict[str, float]:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        print(f"{module}: not available")
        return {}
    figures: dict[str, float] = mod.run()
    return figures


def main() -> None:
    django_in_tempdir()  # one throwaway database for all three, removed at exit
    figures = list_benchmark()
    if os.environ.get("BENCH_PEOPLE_ONLY") != "list":
        figures.update(_optional("bench.people_import"))
        figures.update(_optional("bench.people_signup"))
    pairs = " ".join(
        f"{k}={v:.2f}" if isinstance(v, int | float) else f"{k}={v}" for k, v in figures.items()
    )
    print(f"RESULT people: {pairs}")


if __name__ == "__main__":
    main()
