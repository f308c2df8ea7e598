"""``{% incident_playbook incident %}`` (the incident page's progress block),
``{% overdue_steps %}`` (the dashboard's overdue steps of running playbooks), and the
``local`` (a time in the network's zone) and ``title`` (a step's title) filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from amparo.accounts.access import has_capability
from amparo.accounts.models import Network, localized

from ..models import PlaybookStep
from ..views import CAPS

register = template.Library()


@register.filter
def local(at: datetime | None, network: Network) -> str:
    if at is None:
        return ""
    at = timezone.localtime(at, network.zone())
    return f"{formats.date_format(at, 'D j M')} {at:%H:%M}"


@register.filter
def title(step: PlaybookStep) -> str:
    return localized(step.title, get_language())


@register.inclusion_tag("playbooks/incident_block.html", takes_context=True)
def incident_playbook(context: Any, incident: Any) -> dict[str, Any]:
    playbook = getattr(incident, "playbook", None) if incident.pk else None
    if playbook is None or not has_capability(context["request"], CAPS):
        return {"playbook": None}
    steps = list(playbook.steps.all())
    return {
        "playbook": playbook,
        "done": sum(1 for s in steps if s.done_at),
        "total": len(steps),
        "next": [s for s in steps if not s.done_at][:3],
        "now": timezone.now(),
    }


@register.inclusion_tag("playbooks/overdue_block.html", takes_context=True)
def overdue_steps(context: Any) -> dict[str, Any]:
    request = context["request"]
    network = getattr(request, "network", None)
    if network is None or not has_capability(request, CAPS):
        return {"steps": None}
    steps = (
        PlaybookStep.objects.filter(
            playbook__network=network, done_at__isnull=True, due_at__lte=timezone.now()
        )
        .select_related("playbook__network")
        .order_by("due_at", "id")[:20]
    )
    return {"steps": list(steps), "network": network}
