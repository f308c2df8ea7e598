"""``{% incident_petition incident %}`` on an incident's page, ``{% case_letters case %}`` on
a case's page (need-to-know already: only the team and coordinators open it)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

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
    url = reverse("petition_public", args=[petition.token]) if petition else ""
    count = petition.signatures.count() if petition else 0
    context = {"incident": incident, "petition": petition, "count": count, "shown": shown}
    return {**context, "public_url": request.build_absolute_uri(url) if url else ""}


@register.inclusion_tag("campaigns/case_block.html", takes_context=True)
def case_letters(context: Any, case: Any) -> dict[str, Any]:
    link = LetterLink.objects.filter(case=case).first()
    url = reverse("letters_public", args=[link.token]) if link else ""
    letters = list(case.letters.all())
    counts = {s: sum(x.status == s for x in letters) for s in ("approved", "rejected")}
    return {
        "case": case,
        "link_url": context["request"].build_absolute_uri(url) if url else "",
        "pending": [x for x in letters if x.status == LetterStatus.PENDING],
        **counts,
        "csrf_token": context.get("csrf_token"),
    }
