"""The date-and-time field of every form, read on the clock of the network's zone."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from django import forms
from django.forms.fields import BaseTemporalField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A time the clocks skip or repeat is read as calendars do (RFC 5545), with the offset
    before the change (Django's field refuses it): 02:30 is 03:30 EDT, 01:30 the first."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip():
            with suppress(ValueError):  # the input formats below say it is invalid
                value = parse_datetime(value.strip()) or value
            if isinstance(value, str):
                value = BaseTemporalField.to_python(self, value)
        if isinstance(value, datetime) and timezone.is_naive(value):
            return value.replace(tzinfo=timezone.get_current_timezone())  # fold=0
        return super().to_python(value)


def render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page: 400 when it comes back after a POST (the form was refused), else 200."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)
