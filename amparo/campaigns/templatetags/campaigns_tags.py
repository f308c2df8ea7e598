"""``{% incident_petition incident %}`` on an incident's page, ``{% case_letters case %}`` on
a case's page (need-to-know already: only the team and coordinators open it)."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.accounts.access import has_capability
from amparo.cases.services import OPENS_CASES

from ..models import LetterLink, LetterStatus, Petition
from ..views import EDITORS

register = template.Library()


@register.inclusion_tag("campaigns/incident_block.html", takes_context=True)
def incident_petition(context: Any, incident: Any) -> dict[str, Any]:
    request = context["request"]
    shown = incident.status in OPENS_CASES and has_capability(request, EDITORS)
    petition = Petition.objects.filter(incident=incident).first() if shown else None
    context = {"incident": incident, "petition": petition, "shown": shown, "request": request}
    return {**context, "count": petition.signatures.count() if petition else 0}


@register.inclusion_tag("campaigns/case_block.html", takes_context=True)
def case_letters(context: Any, case: Any) -> dict[str, Any]:
    letters = list(case.letters.all())
    return {
        "case": case,
        "link": LetterLink.objects.filter(case=case).first(),
        "pending": [x for x in letters if x.status == LetterStatus.PENDING],
        **{s: sum(x.status == s for x in letters) for s in ("approved", "rejected")},
        **{k: context.get(k) for k in ("request", "csrf_token")},
    }
