"""Drills: a test alert marked DRILL in every message, and how fast people answered.

A drill needs no incident and never escalates. Figures per tier: the share who answered
and the median and 90th percentile time to answer, from their first message sent.

Two-person rule: a drill to more than :func:`drill_approval_over` people, or asking the
role every member holds, waits for a second person's approval exactly like a member alert,
so one dispatcher alone cannot text a large audience, even in the name of a drill."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Network, User
from amparo.channels.models import Delivery
from amparo.channels.registry import sms_channel
from amparo.people.filters import channel_counts, left_out, may_be_alerted_as, role_holders
from amparo.people.models import Person

from .escalation import recipient_body, recipient_send
from .models import Alert, AlertKind, AlertRecipient, alert_audit
from .planning import plan_build
from .services import AlertError, alert_create, alert_launch, alert_request_approval, alert_start

MAX_DRILL_AUDIENCE = 5000
#: The role every member holds: a drill that asks it reaches everyone, however few
#: people that is today, so it needs a second approver whatever its size.
EVERYONE_ROLES = frozenset({"member"})
#: A drill to roles asks nobody to reach a number going: ``target_going`` 0 marks it
#: (alert_create gives every other alert 2 or 6 unless told).
ROLE_DRILL_TARGET = 0


class DrillError(AlertError):
    """The drill cannot go out; ``message`` (translated) is for the dispatcher."""


def drill_approval_over() -> int:
    """The most recipients a drill may have without a second approver."""
    return max(0, settings.DRILL_APPROVAL_OVER)


def is_role_drill(alert: Alert) -> bool:
    """A drill planned by role (:func:`drill_launch`), not by ``plan_build``."""
    return (
        alert.kind == AlertKind.DRILL
        and alert.incident_id is None
        and alert.target_going == ROLE_DRILL_TARGET
    )


def drill_planned_count(alert: Alert) -> int:
    """How many the drill would text: its planned recipients (a role drill) or its plan."""
    if is_role_drill(alert):
        return alert.recipients.count()

    return len(plan_build(alert=alert).recipients)


def drill_needs_second_approver(alert: Alert) -> bool:
    """Part of ``services.needs_second_approver``: a drill waiting for its approval
    keeps waiting (it was asked because of its audience); otherwise, more planned
    recipients than :func:`drill_approval_over`."""
    if alert.status == Alert.Status.AWAITING_APPROVAL:
        return True
    return drill_planned_count(alert) > drill_approval_over()


def reaches_everyone(tiers: list[list[str]]) -> bool:
    return any(EVERYONE_ROLES.intersection(roles) for roles in tiers)


def drill_left_out(network: Network, tiers: list[list[str]]) -> dict[str, int]:
    """How many holders of the drill's roles it leaves out, and why (``left_out``, no SMS)."""
    holders, drilled = Person.objects.none(), Person.objects.none()
    for roles in filter(None, tiers):
        holders |= role_holders(network, list(roles))
        drilled |= may_be_alerted_as(network, list(roles))
    reach = channel_counts(drilled)
    return {**left_out(holders, drilled), "unreachable": reach["total"] - reach["sms"]}


@transaction.atomic
def drill_launch(
    *,
    network: Network,
    actor: User | None,
    message: dict[str, str],
    tiers: list[list[str]],
    minutes_valid: int = 60,
) -> Alert:
    """Plan a DRILL to the holders of each tier's roles (someone in two tiers is asked once,
    in the first) and send it, or leave it waiting for a second approver."""
    if not any(tiers):
        raise DrillError(_("Choose at least one role to ask."))
    if not sms_channel():
        raise DrillError(_("No SMS channel is configured: the drill cannot be sent."))
    alert = alert_create(
        network=network,
        kind=AlertKind.DRILL,
        actor=actor,
        templates={lang: text for lang, text in message.items() if text},
        target_going=ROLE_DRILL_TARGET,
    )
    Alert.objects.filter(pk=alert.pk).update(
        expires_at=alert.created_at + timedelta(minutes=minutes_valid)
    )
    seen: set[int] = set()
    planned: list[AlertRecipient] = []
    for tier, roles in enumerate(tiers, start=1):
        if not roles:
            continue
        # reachable by text (a live number that takes it, not opted out): people/reach.py
        people = may_be_alerted_as(network, list(roles)).filter(reach_sms=True)
        for person in people.distinct()[:MAX_DRILL_AUDIENCE]:
            if person.pk in seen:
                continue
            seen.add(person.pk)
            planned.append(
                AlertRecipient(alert=alert, person=person, tier=tier, language=person.language)
            )
    if not planned:
        raise DrillError(
            _("Nobody with these roles can receive a text message: the drill was not sent.")
        )
    AlertRecipient.objects.bulk_create(planned, batch_size=500)
    if reaches_everyone(tiers):
        return alert_request_approval(alert=alert, actor=actor)
    return alert_launch(alert=alert, actor=actor)


def drill_send(*, alert: Alert, actor: User | None = None) -> Alert:
    """Text a role drill's planned recipients (from ``alert_launch``); opted out since: dropped."""
    transport = sms_channel()
    if not transport:
        raise DrillError(_("No SMS channel is configured: the drill cannot be sent."))
    valid = timedelta(minutes=60)
    if alert.expires_at and alert.expires_at > alert.created_at:
        valid = alert.expires_at - alert.created_at
    with transaction.atomic():
        alert_start(alert, valid=valid)
        sent = 0
        for recipient in (
            alert.recipients.select_related("person", "alert")
            .prefetch_related("person__phones")
            .order_by("tier", "pk")
        ):
            person = recipient.person
            number = person.address_on("sms") if person.reach_sms else ""
            if not number:
                recipient.delete()
                continue
            recipient_send(recipient, channel=transport, to=number, body=recipient_body(recipient))
            sent += 1
        alert_audit(alert, actor, "status", f"launched drill: {sent} recipients")
    return alert


def drill_finish(*, alert: Alert) -> None:
    """End a drill that is out; a drill still waiting for its approval is withdrawn."""
    now = timezone.now()
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.SENDING).update(
        status=Alert.Status.DONE, finished_at=now
    )
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.AWAITING_APPROVAL).update(
        status=Alert.Status.CANCELLED, finished_at=now
    )


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(share * (len(ordered) - 1)))))
    return ordered[index]


@dataclass
class TierFigures:
    tier: int
    asked: int
    answered: int
    going: int
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def share_answered(self) -> float:
        return self.answered / self.asked if self.asked else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["share_answered"] = round(self.share_answered, 3)
        return data


def drill_figures(alerts: list[Alert]) -> dict[int, list[TierFigures]]:
    """Response-time figures per tier (no names) of each drill, by id, in two queries."""
    first_sent = dict(
        Delivery.objects.filter(alert__in=alerts, sent_at__isnull=False)
        .values_list("recipient_id")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    start = {alert.pk: alert.launched_at or alert.created_at for alert in alerts}
    tiers: dict[tuple[int, int], dict[str, Any]] = {}
    for r in AlertRecipient.objects.filter(alert__in=alerts).only(
        "pk", "alert_id", "tier", "status", "answered_at"
    ):
        t = tiers.setdefault((r.alert_id, r.tier), {"asked": 0, "answered": 0, "going": 0})
        t["asked"] += 1
        if r.answered_at:
            t["answered"] += 1
            sent = first_sent.get(r.pk) or start[r.alert_id]
            t.setdefault("times", []).append(max(0.0, (r.answered_at - sent).total_seconds()))
        if r.status in (AlertRecipient.Status.GOING, AlertRecipient.Status.ARRIVED):
            t["going"] += 1
    figures: dict[int, list[TierFigures]] = {alert.pk: [] for alert in alerts}
    for (alert_id, tier), t in sorted(tiers.items()):
        times = t.pop("times", [])
        median = statistics.median(times) if times else None
        figures[alert_id].append(
            TierFigures(tier, **t, median_seconds=median, p90_seconds=_percentile(times, 0.9))
        )
    return figures
