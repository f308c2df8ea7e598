"""What the dispatcher needs to know: who is going, who arrived, who is silent, what
failed, and whether the legal team (at least two attorneys) is confirmed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from amparo.channels.models import Delivery
from amparo.channels.registry import transport_label

from .escalation_words import step_entry
from .labels import sending_text
from .models import Alert, AlertKind, AlertRecipient, EscalationStep
from .outbox import ALERT_OVER, ANSWERED

LEGAL_MINIMUM = 2
FAILED = (Delivery.Status.FAILED, Delivery.Status.EXPIRED)
#: rows stopped on purpose (the person answered, the call-out was cancelled or is
#: over): expired, but not a failure to reach anyone
STOPPED = Q(error__in=[ANSWERED, ALERT_OVER])


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
    escalations: list[dict[str, Any]] = field(default_factory=list)  # escalation_words
    next_escalation: dict[str, Any] | None = None  # the first step still to run

    @property
    def coming(self) -> int:
        return self.going + self.arrived

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["coming"] = self.coming
        return data


def alert_figures(alert: Alert) -> AlertFigures:
    return alerts_figures([alert])[alert.pk]


def alerts_figures(alerts: list[Alert]) -> dict[int, AlertFigures]:
    """The figures of each alert, by id: three queries however many alerts there are."""
    squads: dict[int, Counter[str]] = {alert.pk: Counter() for alert in alerts}
    for alert_id, status, n in (
        AlertRecipient.objects.filter(alert__in=alerts)
        .values_list("alert_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        squads[alert_id][status] = n
    by_status: dict[int, dict[str, int]] = {alert.pk: {} for alert in alerts}
    failures: dict[int, dict[str, int]] = {alert.pk: {} for alert in alerts}
    stopped = ExpressionWrapper(STOPPED, output_field=BooleanField())
    for alert_id, status, channel, on_purpose, n in (  # counts only, never bodies
        Delivery.objects.filter(alert__in=alerts)
        .annotate(on_purpose=stopped)
        .values_list("alert_id", "status", "channel", "on_purpose")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_status[alert_id][status] = by_status[alert_id].get(status, 0) + n
        if status in FAILED and not on_purpose:
            failures[alert_id][channel] = failures[alert_id].get(channel, 0) + n
    steps: dict[int, list[dict[str, Any]]] = {alert.pk: [] for alert in alerts}
    by_id = {alert.pk: alert for alert in alerts}
    now = timezone.now()
    for s in EscalationStep.objects.filter(alert__in=alerts).order_by("alert_id", "position"):
        alert = s.alert = by_id[s.alert_id]
        need = int((s.params or {}).get("need") or alert.target_going or 1)
        steps[s.alert_id].append(
            step_entry(s, kind=alert.kind, need=need, now=now, zone=alert.network.zone())
        )
    result = {}
    for alert in alerts:
        counts = squads[alert.pk]
        figures = AlertFigures(
            alert_id=alert.pk,
            kind=alert.kind,
            is_drill=alert.is_drill,
            target=LEGAL_MINIMUM if alert.kind == AlertKind.LEGAL else int(alert.target_going),
            asked=sum(counts.values()),
            going=counts[AlertRecipient.Status.GOING],
            arrived=counts[AlertRecipient.Status.ARRIVED],
            declined=counts[AlertRecipient.Status.NOT_GOING],
            silent=counts[AlertRecipient.Status.PENDING],
            failures=failures[alert.pk],
            deliveries=by_status[alert.pk],
            escalations=steps[alert.pk],
            next_escalation=_next_step(steps[alert.pk]),
        )
        if alert.kind == AlertKind.LEGAL:  # attorneys confirmed (going or arrived)
            figures.attorneys_confirmed = figures.coming
            figures.legal_enough = figures.coming >= LEGAL_MINIMUM
            if alert.facility is not None:
                figures.facility = alert.facility.name
        result[alert.pk] = figures
    return result


def _next_step(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first step still to run, with its headline ("Next step at 10:42 (in 4 minutes):")."""
    step = next((e for e in steps if e["state"] in ("planned", "running")), None)
    if step is None:
        return None
    headline = gettext("Next step at %(time)s (%(when)s):") % {
        "time": step["time"],
        "when": step["relative"],
    }
    return {**step, "headline": headline}


def recipient_rows(
    alerts: list[Alert], *, now: datetime | None = None, names: bool = True
) -> dict[int, list[dict[str, Any]]]:
    """One row per person asked, by alert id, in two queries (``names=False``: none decrypted)."""
    now = now or timezone.now()
    failed: dict[int, list[str]] = {}
    failures = Delivery.objects.filter(alert__in=alerts, status__in=FAILED).exclude(STOPPED)
    for rid, channel in failures.values_list("recipient_id", "channel"):
        if rid is not None:
            failed.setdefault(rid, []).append(channel)
    rows: dict[int, list[dict[str, Any]]] = {alert.pk: [] for alert in alerts}
    recipients = AlertRecipient.objects.filter(alert__in=alerts)
    for r in recipients.select_related("person") if names else recipients:
        eta_at = None
        if r.eta_minutes is not None and r.answered_at:
            eta_at = r.answered_at + timedelta(minutes=r.eta_minutes)
        rows[r.alert_id].append(
            {
                "id": r.pk,
                "name": r.person.name if names else "",
                "tier": r.tier,
                "status": r.status,
                "status_label": str(r.get_status_display()),
                "eta_minutes": r.eta_minutes,
                # minutes left, rounded up: "12" right after someone answered 12
                "eta_left": (
                    max(0, -int((now - eta_at).total_seconds() // 60)) if eta_at else None
                ),
                "answered_via": r.answered_via,
                "failed_channels": sorted(failed.get(r.pk, [])),
                "failed_label": ", ".join(
                    transport_label(ch) for ch in sorted(set(failed.get(r.pk, [])))
                ),
                "tier_label": _("tier %(t)s") % {"t": r.tier},
                "eta_label": (
                    _("ETA %(m)s min") % {"m": r.eta_minutes} if r.eta_minutes is not None else ""
                ),
                "distance_km": round(r.distance_km, 1) if r.distance_km is not None else None,
            }
        )
    order = {"arrived": 0, "going": 1, "pending": 2, "not_going": 3}
    for alert_rows in rows.values():
        alert_rows.sort(key=lambda row: (order.get(row["status"], 9), row["tier"], row["id"]))
    return rows


def alert_state_text(alert: Alert) -> str:
    """The alert's state in words: "open" while it runs (never "sending" for the whole
    response: what the texts are doing is said by ``sending_text``)."""
    if alert.status == Alert.Status.SENDING:
        return _("open")
    return str(alert.get_status_display())


def board_summary(
    alert: Alert, figures: AlertFigures, rows: list[dict[str, Any]], *, now: datetime
) -> dict[str, Any]:
    """What a dispatcher decides on, in words, for the top of the board and its live
    feed: the state, the texts going out, the soonest arrival, the next escalation
    step and the failures (counts only)."""
    coming = [r["eta_left"] for r in rows if r["status"] == "going" and r["eta_left"] is not None]
    eta = ""
    if coming:
        first, last = min(coming), max(coming)
        eta = (
            _("first in %(a)s min") % {"a": first}
            if first == last
            else _("first in %(a)s min, last in %(b)s min") % {"a": first, "b": last}
        )
    next_step = ""
    if alert.status == Alert.Status.SENDING and figures.next_escalation:
        step = figures.next_escalation
        enough = figures.legal_enough
        if enough is None:
            enough = figures.coming >= figures.target
        if enough:  # the step checks again when it is due, and asks nobody if still enough
            next_step = _("not needed now: enough are going (checked again at %(time)s)") % {
                "time": step["time"]
            }
        else:
            next_step = _("%(time)s (%(when)s): %(what)s") % {
                "time": step["time"],
                "when": step["relative"],
                "what": step["short"],
            }
    failures = ", ".join(
        _("%(n)s failed by %(channel)s") % {"n": n, "channel": transport_label(channel)}
        for channel, n in sorted(figures.failures.items())
    )
    return {
        "state_text": alert_state_text(alert),
        "sending_text": sending_text(figures.deliveries),
        "eta_text": eta,
        "next_step_text": next_step,
        "failures_text": failures,
    }
