"""Business days: weekdays that are not US federal holidays (the ``holidays`` library,
federal calendar only), the one home for counting them. The day of service itself
never counts; a calendar-day deadline on a closed day moves to the next open day."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> frozenset[date]:
    """The federal holidays of ``year``, observed days included (July 4 on a Saturday is
    observed on Friday July 3)."""
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += ONE_DAY
    return day


def add_business_days(start: date, n: int) -> date:
    """The n-th business day after ``start`` (n ≥ 0; n = 0 gives ``next_business_day``)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    if n == 0:
        return next_business_day(day)
    while n:
        day += ONE_DAY
        if is_business_day(day):
            n -= 1
    return day


def add_calendar_days(start: date, n: int) -> date:
    """``start`` + n days, on the next business day when that day is closed."""
    return next_business_day(start + timedelta(days=n))
