"""``{% incident_documents incident %}`` and ``{% audit_documents audit %}``: the letters
a member may make from an incident's or an audit's page, in one small block each."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.accounts.access import has_capability
from amparo.accounts.roles import Cap
from amparo.cases.services import OPENS_CASES

from ..views import LETTER_CAPS, audit_letters, incident_letters

register = template.Library()


@register.inclusion_tag("documents/letters_block.html", takes_context=True)
def incident_documents(context: Any, incident: Any) -> dict[str, Any]:
    request = context["request"]
    if incident.status not in OPENS_CASES or not has_capability(request, LETTER_CAPS):
        return {}
    form, cases = incident_letters(request, incident)
    return {"form": form, "action": ("documents:incident", incident.pk), "cases": cases}


@register.inclusion_tag("documents/letters_block.html", takes_context=True)
def audit_documents(context: Any, audit: Any) -> dict[str, Any]:
    request = context["request"]
    if not has_capability(request, Cap.AUDITS):
        return {}
    return {"form": audit_letters(request, audit), "action": ("documents:audit", audit.pk)}
