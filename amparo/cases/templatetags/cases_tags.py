"""``{% incident_cases incident %}``: on an incident's page, the cases opened from it
that this member may see (need-to-know; each one shown is an audited read) and, on a
confirmed incident, the way to open cases for the detained workers."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.accounts.access import has_capability, request_user, visible
from amparo.accounts.audit import audit_reads
from amparo.accounts.roles import Cap

from ..access import SEALED
from ..models import Case, CaseTeamMember
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
    # The others opened from it: their numbers and who manages them, never a name, so
    # whoever may see the incident knows they exist and does not open them twice.
    others = list(
        Case.objects.filter(network=incident.network, incident=incident)
        .exclude(pk__in=[c.pk for c in cases])
        .defer(*SEALED)
        .order_by("id")
    )
    managers: dict[int, list[str]] = {}
    for m in CaseTeamMember.objects.filter(
        case__in=others, role__slug="case-manager"
    ).select_related("user"):
        managers.setdefault(m.case_id, []).append(m.user.display_name or m.user.email)
    return {
        "incident": incident,
        "cases": cases,
        "others": [(c, managers.get(c.pk, [])) for c in others],
        "total": len(cases) + len(others),
        "can_open": incident.status in OPENS_CASES
        and has_capability(request, (Cap.DISPATCH, Cap.LEGAL, Cap.CASES_ALL)),
    }
