"""``{% case_hearings case %}``: the hearings block of a case's page (the case view
already checked that this member may see the case)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, Q

from ..models import Accompaniment, Hearing

register = template.Library()


@register.inclusion_tag("hearings/case_block.html")
def case_hearings(case: Any) -> dict[str, Any]:
    going = Q(accompaniments__status=Accompaniment.Status.GOING)
    hearings = (
        Hearing.objects.filter(case=case)
        .select_related("network")
        .annotate(going_count=Count("accompaniments", filter=going))
        .order_by("starts_at", "id")
    )
    return {"case": case, "hearings": list(hearings)}
