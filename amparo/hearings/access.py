"""Who sees a hearing: its case's team and the coordinators (need-to-know, through the
case) with the person's name; accompaniers (``Cap.ACCOMPANY``) every hearing of their
network, by time and court only. Anyone else gets 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from amparo.accounts.access import has_capability, network_queryset, visible
from amparo.accounts.roles import Cap
from amparo.cases.models import Case

from .models import Hearing


def hearings_for(request: HttpRequest) -> QuerySet[Hearing]:
    qs = network_queryset(request, Hearing).select_related("network", "case")
    if has_capability(request, Cap.ACCOMPANY):
        return qs
    return qs.filter(case__in=visible(request, Case, all_cap=Cap.CASES_ALL).values("pk"))


def get_hearing_for_user(request: HttpRequest, pk: int) -> Hearing:
    try:
        return hearings_for(request).get(pk=pk)
    except Hearing.DoesNotExist:
        raise Http404 from None


def case_ids_seen(request: HttpRequest) -> set[int]:
    """The cases whose names this member may see."""
    return set(visible(request, Case, all_cap=Cap.CASES_ALL).values_list("pk", flat=True))
