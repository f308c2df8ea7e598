"""``{% incident_petition incident %}`` on an incident's page and ``{% case_letters case %}``
on a case's page (the case page is need-to-know already)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from amparo.accounts.access import has_capability
from amparo.cases.services import OPENS_CASES

from ..models import Letter, LetterLink, LetterStatus, Petition
from ..views import EDITORS

register = template.Library()


@register.inclusion_tag("campaigns/incident_block.html", takes_context=True)
def incident_petition(context: Any, incident: Any) -> dict[str, Any]:
    request = context["request"]
    shown = incident.status in OPENS_CASES and has_capability(request, EDITORS)
    petition = Petition.objects.filter(incident=incident).first() if shown else None
    return {
        "shown": shown,
        "incident": incident,
        "petition": petition,
        "count": petition.signatures.count() if petition else 0,
        "public_url": request.build_absolute_uri(reverse("petition_public", args=[petition.token])) if petition else "",
    }


@register.inclusion_tag("campaigns/case_block.html", takes_context=True)
def case_letters(context: Any, case: Any) -> dict[str, Any]:
    request = context["request"]
    link = LetterLink.objects.filter(case=case).first()
    letters = list(Letter.objects.filter(case=case).select_related("case"))
    return {
        "case": case,
        "link_url": request.build_absolute_uri(reverse("letters_public", args=[link.token])) if link else "",
        "pending": [x for x in letters if x.status == LetterStatus.PENDING],
        "approved": sum(x.status == LetterStatus.APPROVED for x in letters),
        "rejected": sum(x.status == LetterStatus.REJECTED for x in letters),
        "csrf_token": context.get("csrf_token"),
    }
