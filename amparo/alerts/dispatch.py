"""What the dispatcher needs to know: who is going, who arrived, who is silent, what
failed, and whether the legal team (at least two attorneys) is confirmed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from amparo.channels.models import Delivery

from .models import Alert, AlertKind, AlertRecipient, EscalationStep

LEGAL_MINIMUM = 2
FAILED = (Delivery.Status.FAILED, Delivery.Status.EXPIRED)


@dataclass
class AlertFigures:
    alert_id: int
    kind: str
    is_drill: bool
    target: int
    asked: int = 0
    going: int = 0
    arrived: int = 0
    declined: int = 0
    silent: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # channel -> failed/expired count
    deliveries: dict[str, int] = field(default_factory=dict)  # status -> count
    attorneys_confirmed: int | None = None
    legal_enough: bool | None = None
    facility: str = ""
    facility_distance_km: float | None = None
    escalations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def coming(self) -> int:
        return self.going + self.arrived

    @property
    def target_met(self) -> bool:
        return self.coming >= self.target

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["coming"] = self.coming
        data["target_met"] = self.target_met
        return data


def squad_status(alert: Alert) -> dict[str, int]:
    """Target, going, arrived, declined, silent (one query)."""
    counts = Counter(
        dict(
            AlertRecipient.objects.filter(alert=alert)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    return {
        "target": int(alert.target_going),
        "going": counts[AlertRecipient.Status.GOING],
        "arrived": counts[AlertRecipient.Status.ARRIVED],
        "declined": counts[AlertRecipient.Status.NOT_GOING],
        "silent": counts[AlertRecipient.Status.PENDING],
        "asked": sum(counts.values()),
    }


def legal_team(alert: Alert) -> dict[str, Any]:
    """Attorneys confirmed (going or arrived) for the alert's facility; enough at two."""
    confirmed = AlertRecipient.objects.filter(
        alert=alert, status__in=(AlertRecipient.Status.GOING, AlertRecipient.Status.ARRIVED)
    ).count()
    return {
        "confirmed": confirmed,
        "needed": max(LEGAL_MINIMUM, 1),
        "enough": confirmed >= LEGAL_MINIMUM,
        "facility": alert.facility,
    }


def delivery_figures(alert: Alert) -> tuple[dict[str, int], dict[str, int]]:
    """(count per status, failures per channel) — counts only, never bodies."""
    by_status: dict[str, int] = {}
    failures: dict[str, int] = {}
    rows = (
        Delivery.objects.filter(alert=alert)
        .values_list("status", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for status, channel, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status in FAILED:
            failures[channel] = failures.get(channel, 0) + n
    return by_status, failures


def alert_figures(alert: Alert) -> AlertFigures:
    squad = squad_status(alert)
    by_status, failures = delivery_figures(alert)
    figures = AlertFigures(
        alert_id=alert.pk,
        kind=alert.kind,
        is_drill=alert.is_drill,
        target=LEGAL_MINIMUM if alert.kind == AlertKind.LEGAL else squad["target"],
        asked=squad["asked"],
        going=squad["going"],
        arrived=squad["arrived"],
        declined=squad["declined"],
        silent=squad["silent"],
        failures=failures,
        deliveries=by_status,
    )
    if alert.kind == AlertKind.LEGAL:
        team = legal_team(alert)
        figures.attorneys_confirmed = team["confirmed"]
        figures.legal_enough = team["enough"]
        if alert.facility is not None:
            figures.facility = alert.facility.name
    figures.escalations = [
        {
            "position": s.position,
            "action": s.action,
            "due_at": s.due_at.isoformat(),
            "done": s.done_at is not None,
            "result": s.result,
        }
        for s in EscalationStep.objects.filter(alert=alert).order_by("position")
    ]
    return figures


def recipient_rows(alert: Alert, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per person asked (names decrypted here: only for the page being shown)."""
    now = now or timezone.now()
    failed: dict[int, list[str]] = {}
    for rid, channel in Delivery.objects.filter(alert=alert, status__in=FAILED).values_list(
        "recipient_id", "channel"
    ):
        if rid is not None:
            failed.setdefault(rid, []).append(channel)
    rows = []
    for r in AlertRecipient.objects.filter(alert=alert).select_related("person"):
        eta_at = None
        if r.eta_minutes is not None and r.answered_at:
            eta_at = r.answered_at + timedelta(minutes=r.eta_minutes)
        rows.append(
            {
                "id": r.pk,
                "name": r.person.name,
                "tier": r.tier,
                "status": r.status,
                "status_label": str(r.get_status_display()),
                "eta_minutes": r.eta_minutes,
                "eta_left": (max(0, int((eta_at - now).total_seconds() // 60)) if eta_at else None),
                "answered_via": r.answered_via,
                "failed_channels": sorted(failed.get(r.pk, [])),
                "distance_km": round(r.distance_km, 1) if r.distance_km is not None else None,
            }
        )
    order = {"arrived": 0, "going": 1, "pending": 2, "not_going": 3}
    rows.sort(key=lambda row: (order.get(row["status"], 9), row["tier"], row["id"]))
    return rows
