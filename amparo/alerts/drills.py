"""Drills: a test alert marked DRILL in every message, and how fast people answered.

A drill needs no incident and never escalates. Its figures per tier are the share of
people who answered and the median and 90th percentile of the time to answer, measured
from the moment their first message was sent (or the launch, if none was recorded)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from amparo.accounts.models import Network, User
from amparo.channels.models import Delivery
from amparo.people.filters import PeopleFilter

from .escalation import person_phone, recipient_body, recipient_send, sms_transport
from .models import Alert, AlertKind, AlertRecipient

MAX_DRILL_AUDIENCE = 5000
#: The role every member holds: a drill to it would be a message to everyone, which
#: needs a second approver (a member alert, services.needs_second_approver), so a
#: drill — sent at once by one dispatcher — may not ask it.
EVERYONE_ROLES = frozenset({"member"})


class DrillError(ValueError):
    pass


class DrillAudienceError(DrillError):
    """A drill may not go to everyone: that needs two people."""


@transaction.atomic
def drill_launch(
    *,
    network: Network,
    actor: User | None,
    message: dict[str, str],
    tiers: list[list[str]],
    minutes_valid: int = 60,
) -> Alert:
    """Send a DRILL to people holding the roles of each tier (tier 1 = ``tiers[0]``…).
    Someone in two tiers is asked once, in the first."""
    if any(EVERYONE_ROLES.intersection(roles) for roles in tiers):
        raise DrillAudienceError("a drill cannot go to every member")
    transport = sms_transport()
    if not transport:
        raise DrillError("no SMS channel is configured")
    now = timezone.now()
    alert = Alert.objects.create(
        network=network,
        kind=AlertKind.DRILL,
        is_drill=True,
        status=Alert.Status.SENDING,
        templates={lang: text for lang, text in message.items() if text},
        created_by=actor,
        created_at=now,
        launched_at=now,
        expires_at=now + timedelta(minutes=minutes_valid),
        target_going=0,
    )
    seen: set[int] = set()
    for tier, roles in enumerate(tiers, start=1):
        if not roles:
            continue
        people = PeopleFilter(roles=list(roles), include_unqualified=True).apply(network)
        people = people.filter(opted_out_at__isnull=True).exclude(
            opted_out_channels__contains=" sms "
        )
        for person in people.distinct()[:MAX_DRILL_AUDIENCE]:
            if person.pk in seen:
                continue
            seen.add(person.pk)
            number = person_phone(person)
            if not number:
                continue
            recipient = AlertRecipient.objects.create(
                alert=alert, person=person, tier=tier, language=person.language
            )
            recipient_send(
                recipient,
                channel=transport,
                to=number,
                body=recipient_body(recipient),
                purpose="drill",
            )
    return alert


def drill_finish(*, alert: Alert) -> None:
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.SENDING).update(
        status=Alert.Status.DONE, finished_at=timezone.now()
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


def drill_figures(alert: Alert) -> list[TierFigures]:
    """Response-time figures per tier (no names)."""
    first_sent = dict(
        Delivery.objects.filter(alert=alert, sent_at__isnull=False)
        .values_list("recipient_id")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    start = alert.launched_at or alert.created_at
    tiers: dict[int, dict[str, Any]] = {}
    for r in AlertRecipient.objects.filter(alert=alert).only("pk", "tier", "status", "answered_at"):
        t = tiers.setdefault(r.tier, {"asked": 0, "answered": 0, "going": 0, "times": []})
        t["asked"] += 1
        if r.answered_at:
            t["answered"] += 1
            sent = first_sent.get(r.pk) or start
            t["times"].append(max(0.0, (r.answered_at - sent).total_seconds()))
        if r.status in (AlertRecipient.Status.GOING, AlertRecipient.Status.ARRIVED):
            t["going"] += 1
    return [
        TierFigures(
            tier=tier,
            asked=t["asked"],
            answered=t["answered"],
            going=t["going"],
            median_seconds=statistics.median(t["times"]) if t["times"] else None,
            p90_seconds=_percentile(t["times"], 0.9),
        )
        for tier, t in sorted(tiers.items())
    ]
