"""The date-and-time field every form uses: typed in a ``datetime-local`` box, read on
the clock of the page's zone (the network's, see ``NetworkMiddleware``)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from django import forms
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A time the clocks skip (02:30 on the spring-forward night) or show twice (01:30
    on the fall-back night) is read as calendars read it (RFC 5545): with the offset
    in force before the change, so 02:30 is 03:30 daylight time and 01:30 is the first
    one. Django's own field refuses both, so nobody could ask for a callback at 01:30
    that night."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip():
            with suppress(ValueError):  # the input formats below say it is invalid
                value = parse_datetime(value.strip()) or value
            if isinstance(value, str):
                value = BaseTemporalField.to_python(self, value)  # the input formats
        if isinstance(value, datetime) and timezone.is_naive(value):
            return value.replace(tzinfo=timezone.get_current_timezone())  # fold=0
        return super().to_python(value)
