"""Business days against the federal holiday calendar, for ten years (2026–2035)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.lib.businessdays import (
    add_business_days,
    add_calendar_days,
    is_business_day,
    next_business_day,
)

TEN_YEARS = st.dates(min_value=date(2026, 1, 1), max_value=date(2035, 12, 31))
FEDERAL = holidays.country_holidays("US", years=range(2026, 2037))


def closed(day: date) -> bool:
    return day.weekday() >= 5 or day in FEDERAL


@settings(max_examples=300, deadline=None)
@given(start=TEN_YEARS, n=st.integers(min_value=0, max_value=40))
def test_adding_never_lands_on_a_weekend_or_a_federal_holiday(start: date, n: int) -> None:
    end = add_business_days(start, n)
    assert not closed(end)
    assert end >= start
    if n == 0:  # the start itself when open, else the first open day after it
        assert all(closed(start + timedelta(days=k)) for k in range((end - start).days))
        return
    # exactly n open days after the start, and none skipped
    opened = [
        start + timedelta(days=k)
        for k in range(1, (end - start).days + 1)
        if not closed(start + timedelta(days=k))
    ]
    assert len(opened) == n
    assert opened[-1] == end


@settings(max_examples=300, deadline=None)
@given(start=TEN_YEARS, n=st.integers(min_value=0, max_value=60))
def test_calendar_days_roll_to_the_next_open_day(start: date, n: int) -> None:
    due = add_calendar_days(start, n)
    plain = start + timedelta(days=n)
    assert not closed(due)
    assert due >= plain
    assert all(closed(plain + timedelta(days=k)) for k in range((due - plain).days))


def test_every_federal_holiday_of_ten_years_is_closed() -> None:
    days = [d for d in FEDERAL if 2026 <= d.year <= 2035]
    assert len(days) >= 110  # 11 holidays a year, plus observed days
    for day in days:
        assert not is_business_day(day)
        assert next_business_day(day) > day


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 16), 1, date(2026, 1, 20)),  # Friday, Monday is MLK Day
        (date(2026, 7, 2), 1, date(2026, 7, 6)),  # July 4 on Saturday: Friday 3 observed
        (date(2026, 11, 25), 1, date(2026, 11, 27)),  # Thanksgiving
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas Friday
        (date(2027, 1, 15), 3, date(2027, 1, 21)),  # MLK Day 2027 is January 18
    ],
)
def test_known_dates(start: date, n: int, expected: date) -> None:
    assert add_business_days(start, n) == expected


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_days(date(2026, 1, 1), -1)
