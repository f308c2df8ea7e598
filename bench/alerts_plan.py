"""Audience planning benchmark: ``python -m bench.alerts_plan``.

Times ``plan_build`` for a squad call-out around a point over 2,000 people (aim ≤ 1 s)
and over 100,000 members (aim ≤ 5 s), and the nearest-50 search that planning uses
(``amparo.alerts.planning.nearest``) among 100,000 people (aim ≤ 5 ms, issue 16); the
same over 1,000 people in the same run is the baseline. The nearest-50 answer is checked
against the brute-force ranking (``nearest_brute``) once per size.

Bounded: seeding is bulk (bulk_create), each timing loop has a count and a deadline, a
throwaway SQLite database (or the PostgreSQL one of DATABASE_URL: bench/_setup.py).
BENCH_ALERTS_LARGE shrinks the 100,000; BENCH_ALERTS_MEDIUM the 2,000, BENCH_ALERTS_SMALL
the 1,000 (the suite's smoke run uses tiny sizes).
"""

from __future__ import annotations

import math
import os
import random
import statistics
import time
from typing import Any

from bench._setup import django_in_tempdir

SMALL = int(os.environ.get("BENCH_ALERTS_SMALL", "1000"))
MEDIUM = int(os.environ.get("BENCH_ALERTS_MEDIUM", "2000"))
LARGE = int(os.environ.get("BENCH_ALERTS_LARGE", "100000"))
CENTER = (42.2043, -72.6162)  # Holyoke
PLACES = 120
ROUNDS = 5
NEAREST_ROUNDS = 30
AIMS = {"nearest50_100k_ms": 5.0, "plan_2k_s": 1.0, "plan_100k_s": 5.0}


def _places(network: Any) -> list[Any]:
    from amparo.people.services import place_get_or_create

    rng = random.Random(7)  # noqa: S311
    places = []
    for i in range(PLACES):
        # spread within ~30 km of the centre
        r_km = 30 * math.sqrt(rng.random())
        angle = rng.random() * 2 * math.pi
        lat = CENTER[0] + (r_km / 111.0) * math.cos(angle)
        lng = CENTER[1] + (r_km / (111.0 * math.cos(math.radians(CENTER[0])))) * math.sin(angle)
        places.append(
            place_get_or_create(network=network, name=f"Town {i}", latitude=lat, longitude=lng)
        )
    return places


def _analyze() -> None:
    """PostgreSQL plans from table statistics and reads an index alone only where the
    visibility map says the rows are all visible: autovacuum does both within a minute
    of a bulk insert in a real deployment (since PostgreSQL 13 inserts alone start it);
    do it now so the plans are the same."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _seed(network: Any, count: int) -> None:
    from django.utils import timezone

    from amparo.people.models import (
        CoverageCell,
        Person,
        PersonArea,
        PersonPhone,
        PersonRole,
        PersonTraining,
        TrainingType,
    )
    from amparo.people.reach import reach_refresh

    places = _places(network)
    role = PersonRole.objects.get(network=network, slug="rapid-responder")
    training = TrainingType.objects.get(network=network, slug="rapid-responder")
    rng = random.Random(count)  # noqa: S311
    today = timezone.localdate()
    through = Person.roles.through
    batch = 5000
    for start in range(0, count, batch):
        people = []
        for i in range(start, min(count, start + batch)):
            p = Person(
                network=network,
                name=f"Persona {i}",
                status="active",
                available_now=rng.random() < 0.3,
            )
            p.set_languages("es" if rng.random() < 0.7 else "en")
            people.append(p)
        Person.objects.bulk_create(people)
        created = list(Person.objects.filter(network=network).order_by("-pk")[: len(people)])
        where = {p.pk: places[p.pk % PLACES] for p in created}
        PersonPhone.objects.bulk_create(
            [PersonPhone(person=p, number=f"+1413{network.pk:01d}{p.pk:06d}"[:12]) for p in created]
        )
        reach_refresh(p.pk for p in created)  # as every write of phones does
        PersonArea.objects.bulk_create(
            [PersonArea(person=p, place=where[p.pk], cell=where[p.pk].h3_cell) for p in created]
        )
        CoverageCell.objects.bulk_create(
            [CoverageCell(network=network, person=p, cell=where[p.pk].h3_cell) for p in created]
        )
        rapid = [p for p in created if p.pk % 5 < 2]  # 40 % rapid responders, trained
        through.objects.bulk_create([through(person=p, personrole=role) for p in rapid])
        PersonTraining.objects.bulk_create(
            [
                PersonTraining(
                    person=p,
                    training_type=training,
                    completed_on=today,
                    expires_on=today.replace(year=today.year + 1),
                )
                for p in rapid
            ]
        )


def _timed(fn: Any, rounds: int, deadline_s: float, cpu: list[float] | None = None) -> list[float]:
    """Wall seconds of each round (and this process's CPU seconds into ``cpu``: on a
    shared machine the wall figure also counts other processes' turns)."""
    times: list[float] = []
    end = time.monotonic() + deadline_s
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - used)
        if time.monotonic() > end:
            break
    return times


def run() -> dict[str, float]:
    from amparo.accounts.services import network_create
    from amparo.alerts.models import Alert, AlertKind
    from amparo.alerts.planning import nearest, nearest_brute, plan_build
    from amparo.people.filters import may_be_alerted_as
    from amparo.reports.models import Incident, IncidentStatus

    figures: dict[str, float] = {}
    for label, count in (("1k", SMALL), ("2k", MEDIUM), ("100k", LARGE)):
        network = network_create(slug=f"bench-plan-{label}", name=f"Bench plan {label}")
        started = time.perf_counter()
        _seed(network, count)
        print(f"seeded {count} persons in {time.perf_counter() - started:.1f} s")
        _analyze()
        incident = Incident.objects.create(
            network=network,
            status=IncidentStatus.CONFIRMED,
            point={"lat": CENTER[0], "lng": CENTER[1]},
        )
        alert = Alert(network=network, incident=incident, kind=AlertKind.SQUAD, radius_km=8.0)
        plan = plan_build(alert=alert)  # warm-up
        plan_times = _timed(lambda a=alert: plan_build(alert=a), ROUNDS, 60)
        base = may_be_alerted_as(network, ["rapid-responder"])
        near = nearest(base, CENTER[0], CENTER[1], limit=50, max_km=30)
        assert near == nearest_brute(base, CENTER[0], CENTER[1], limit=50, max_km=30)
        near_cpu: list[float] = []
        near_times = _timed(
            lambda b=base: nearest(b, CENTER[0], CENTER[1], limit=50, max_km=30),
            NEAREST_ROUNDS,
            30,
            near_cpu,
        )
        plan_s = statistics.median(plan_times)
        near_ms = statistics.median(near_times) * 1000
        near_cpu_ms = statistics.median(near_cpu) * 1000
        print(
            f"{label:>5}: plan {plan_s:.3f} s ({plan.total} recipients, tiers {plan.by_tier}); "
            f"nearest 50 {near_ms:.1f} ms, CPU {near_cpu_ms:.1f} ms ({len(near)} found)"
        )
        figures[f"plan_{label}_s"] = plan_s
        figures[f"nearest50_{label}_ms"] = near_ms
        figures[f"nearest50_{label}_cpu_ms"] = near_cpu_ms
    figures["plan_ratio_100k_1k"] = figures["plan_100k_s"] / max(figures["plan_1k_s"], 1e-9)
    return figures


def main() -> None:
    django_in_tempdir()
    figures = run()
    figures.update({f"aim_{k}": v for k, v in AIMS.items()})
    pairs = " ".join(f"{k}={v:.3f}" for k, v in figures.items())
    print(f"RESULT alerts_plan: {pairs}")


if __name__ == "__main__":
    main()
