"""The case page's support block: the family's needs and how far each got, the
sanctuary rota's gaps, and opening a member's family plan (one include in
cases/case.html)."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.accounts.access import has_capability
from amparo.cases.models import Case

from ..forms import NeedForm, PlanOpenForm
from ..models import FamilyPlan, Need, Sanctuary
from ..services import PLAN_OPENERS, rota_gaps

register = template.Library()


@register.inclusion_tag("support/case_block.html", takes_context=True)
def case_support(context: Any, case: Case) -> dict[str, Any]:
    opens = has_capability(context["request"], PLAN_OPENERS)
    sanctuaries = Sanctuary.objects.filter(case=case, ended=False).select_related(
        "congregation", "network"
    )
    return {
        "case": case,
        "needs": Need.objects.filter(case=case).select_related("task__committee"),
        "rotas": [(s, rota_gaps(s)) for s in sanctuaries],
        "need_form": NeedForm(prefix="need"),
        "plan_form": PlanOpenForm(network=case.network, prefix="plan") if opens else None,
        "opened": FamilyPlan.objects.filter(case=case).select_related("owner"),
    }
