"""Who may open audits and no-match letters: members holding the audits capability
(stewards, coordinators), in their own network (404 for another's)."""

from __future__ import annotations

from amparo.accounts.access import getter
from amparo.accounts.roles import Cap

from .models import AffectedWorker, Audit, NoMatchLetter, StateDuty, UnionAction

get_audit_for_user = getter(
    Audit.objects.select_related("network", "workplace", "steward"), capability=Cap.AUDITS
)
get_worker_for_user = getter(
    AffectedWorker.objects.select_related("audit__network"),
    capability=Cap.AUDITS,
    network_field="audit__network",
)
get_action_for_user = getter(
    UnionAction.objects.select_related("audit__network"),
    capability=Cap.AUDITS,
    network_field="audit__network",
)
get_duty_for_user = getter(
    StateDuty.objects.select_related("audit__network"),
    capability=Cap.AUDITS,
    network_field="audit__network",
)
get_letter_for_user = getter(
    NoMatchLetter.objects.select_related("network", "employer", "steward"), capability=Cap.AUDITS
)
