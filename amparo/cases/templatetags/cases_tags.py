"""``{% incident_cases incident %}``: on an incident's page, the cases opened from it
that this member may see (need-to-know; each one shown is an audited read) and, on a
confirmed incident, the way to open cases for the detained workers."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.accounts.access import has_capability, request_user, visible
from amparo.accounts.audit import audit_reads
from amparo.accounts.roles import Cap

from ..models import Case
from ..services import OPENS_CASES

register = template.Library()


@register.inclusion_tag("cases/incident_block.html", takes_context=True)
def incident_cases(context: Any, incident: Any) -> dict[str, Any]:
    request = context["request"]
    cases = list(
        visible(request, Case, all_cap=Cap.CASES_ALL)
        .filter(incident=incident)
        .select_related("state")
        .order_by("id")
    )
    if cases:
        audit_reads(
            actor=request_user(request), objs=cases, network=incident.network, reason="incident"
        )
    return {
        "incident": incident,
        "cases": cases,
        "can_open": incident.status in OPENS_CASES
        and has_capability(request, (Cap.DISPATCH, Cap.LEGAL, Cap.CASES_ALL)),
    }
