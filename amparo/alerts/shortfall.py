"""A call-out below its target, said before it is sent: how many it will reach against
how many are needed, why, and what escalation will do and when (read-only, from the
network's escalation policy); the Respond page shows it above the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.people.filters import may_be_alerted_as, within_km
from amparo.people.models import PersonRole

from .dispatch import LEGAL_MINIMUM
from .escalation import ROLES_BY_KIND
from .escalation_words import policy_in_words
from .models import Alert, AlertKind
from .planning import Plan, left_out_text, plan_as_dict

#: the kinds that have a target of people going
TARGETED = (AlertKind.SQUAD, AlertKind.LEGAL)


@dataclass
class Shortfall:
    kind: str
    reach: int
    target: int
    reasons: list[str] = field(default_factory=list)
    escalation: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Nobody to reach: the call-out cannot be sent."""
        return self.reach == 0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "blocked": self.blocked}


def target_of(alert: Alert) -> int:
    """How many people going the call-out needs (two attorneys for the legal team)."""
    return LEGAL_MINIMUM if alert.kind == AlertKind.LEGAL else int(alert.target_going or 1)


def _role_label(alert: Alert, role: str) -> str:
    found = PersonRole.objects.filter(network=alert.network_id, slug=role).first()
    return found.label if found is not None else role


def _reasons(alert: Alert, plan: Plan, role: str) -> list[str]:
    label = _role_label(alert, role)
    reasons: list[str] = []
    if plan.holders == 0:
        if alert.kind == AlertKind.LEGAL:
            reasons.append(_("Nobody in the network holds the role “%(role)s”.") % {"role": label})
        else:
            reasons.append(
                _("Nobody holds the role “%(role)s” within %(km)s km.")
                % {"role": label, "km": formats.number_format(alert.radius_km * 2, 0)}
            )
    elif left := left_out_text(plan_as_dict(plan)):
        reasons.append(_("Left out: %(reasons)s.") % {"reasons": left})
    if plan.holders and plan.total < target_of(alert):
        reasons.append(
            ngettext(
                "%(n)s person holds the role “%(role)s” in reach.",
                "%(n)s people hold the role “%(role)s” in reach.",
                plan.holders,
            )
            % {"n": plan.holders, "role": label}
        )
    return reasons


def _clock(alert: Alert, at: datetime) -> str:
    return formats.time_format(timezone.localtime(at, alert.network.zone()), "H:i")


def _more_within(alert: Alert, plan: Plan, role: str, km: float) -> int:
    """How many more may be alerted as the role within ``km`` than the plan asks now."""
    if plan.center is None:
        return 0
    people = within_km(may_be_alerted_as(alert.network, [role]), plan.center[0], plan.center[1], km)
    return people.exclude(pk__in=[r.person_id for r in plan.recipients]).count()


def escalation_words(alert: Alert, plan: Plan, *, now: datetime, role: str) -> list[str]:
    """Each policy step with its clock time if sent ``now`` (a widen step: how many more could)."""
    said: list[str] = []
    for step in policy_in_words(alert):
        values = {
            "when": capfirst(step["when"]),
            "at": _clock(alert, now + timedelta(minutes=step["after_minutes"])),
            "what": step["text"],
        }
        if step["action"] == "widen":
            values["more"] = _more_within(alert, plan, role, step["radius_km"])
            said.append(
                _("%(when)s (%(at)s): %(what)s (%(more)s more could be asked now).") % values
            )
        else:
            said.append(_("%(when)s (%(at)s): %(what)s.") % values)
    if not said:
        said.append(_("No escalation is set for this kind of call-out: nobody more is asked."))
    return said


def plan_shortfall(alert: Alert, plan: Plan, *, now: datetime | None = None) -> Shortfall | None:
    """The shortfall of a squad or legal call-out's plan (None if it reaches its target)."""
    if alert.kind not in TARGETED or alert.is_drill:
        return None
    target = target_of(alert)
    if plan.total >= target:
        return None
    role = ROLES_BY_KIND[alert.kind][0]
    short = Shortfall(kind=alert.kind, reach=plan.total, target=target)
    short.reasons = _reasons(alert, plan, role)
    if short.blocked:
        short.escalation = [
            _(
                "It cannot be sent: a call-out that reaches nobody is not sent, and no "
                "escalation would run."
            )
        ]
    else:
        short.escalation = escalation_words(alert, plan, now=now or timezone.now(), role=role)
    return short
