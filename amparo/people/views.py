"""People list, filters, segments and a person's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def person_list(request: HttpRequest) -> HttpResponse:  # filled in below
    raise NotImplementedError


person_create_view = person_detail = segment_list = segment_detail = person_list
