"""The coverage-gap report: a seeded gap in Spanish coverage is found, a covered hour
is not, "nobody on shift" is its own gap, and the page lists local time ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from amparo.conftest import client_for
from amparo.hotline.shifts.coverage import Gap, coverage_gaps
from amparo.hotline.tests.test_shifts import make_shift
from amparo.tests.factories import PersonFactory

NY = ZoneInfo("America/New_York")
DAY = date(2026, 6, 2)  # a Tuesday


def at(hour: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NY)


def test_a_spanish_gap_is_found_and_covered_hours_are_not(network_a):
    ana = PersonFactory.create(
        network=network_a, name="Ana", other_languages=["en"], roles=["hotline"]
    )
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    cai = PersonFactory.create(network=network_a, name="Cai", language="en", roles=["hotline"])
    make_shift(network_a, at(0), hours=18, people=[ana])  # 00–18 Spanish covered
    make_shift(network_a, at(18), hours=6, people=[ben, cai])  # 18–24 English only: the gap
    gaps = coverage_gaps(network=network_a, start=DAY, days=1)
    assert gaps == [Gap("es", at(18).astimezone(UTC), at(0, DAY + timedelta(days=1)))]
    assert gaps[0].hours == 6
    # only the languages asked for
    assert coverage_gaps(network=network_a, start=DAY, days=1, languages=["en"]) == []


def test_nobody_on_shift_and_rotation_languages(network_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    make_shift(network_a, at(8), hours=4, people=[ana], languages=("es", "en"))
    gaps = coverage_gaps(network=network_a, start=DAY, days=1)
    nobody = [(g.starts_at.astimezone(NY).hour, g.hours) for g in gaps if g.nobody]
    assert nobody == [(0, 8), (12, 12)]
    english = [(g.starts_at.astimezone(NY).hour, g.hours) for g in gaps if g.language == "en"]
    assert english == [(8, 4)]  # the shift needs English and Ana speaks only Spanish
    spanish = [(g.starts_at.astimezone(NY).hour, g.hours) for g in gaps if g.language == "es"]
    assert spanish == [(0, 8), (12, 12)]


def test_a_backup_or_opted_out_person_does_not_cover(network_a):
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    make_shift(network_a, at(0), hours=24, people=[ana, ben])
    assert [g.language for g in coverage_gaps(network=network_a, start=DAY, days=1)] == []
    ana.opted_out_at = at(0)
    ana.save()
    gaps = coverage_gaps(network=network_a, start=DAY, days=1)
    assert [(g.language, g.hours) for g in gaps] == [("es", 24)]


def test_the_page_lists_the_gap_in_local_time(network_a, coordinator_a, coordinator_b):
    from django.utils import timezone

    now = timezone.now().astimezone(NY).replace(minute=0, second=0, microsecond=0)
    ana = PersonFactory.create(network=network_a, name="Ana", roles=["hotline"])
    ben = PersonFactory.create(network=network_a, name="Ben", language="en", roles=["hotline"])
    make_shift(network_a, now + timedelta(hours=2), hours=3, people=[ben])
    make_shift(network_a, now + timedelta(hours=5), hours=24 * 15, people=[ana])
    response = client_for(coordinator_a).get(reverse("hotline:coverage"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "shift-gap" in html
    assert (now + timedelta(hours=2)).strftime("%H:%M") in html
    # another network's coordinator sees their own schedule (nobody on shift), not ours
    other = client_for(coordinator_b).get(reverse("hotline:coverage"))
    assert other.status_code == 200
    assert "Ben" not in other.content.decode()
