"""The dispatch board (live), the incident's timeline and drills. Views are thin: the
figures come from ``dispatch`` and ``drills``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Min, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import capability_required, has_capability, request_network
from amparo.accounts.models import LANGUAGE_CHOICES
from amparo.accounts.roles import Cap
from amparo.channels.models import Delivery
from amparo.people.models import PersonRole
from amparo.reports.access import get_incident_for_user
from amparo.reports.console import incident_named
from amparo.reports.models import Incident

from .access import BOARD, get_alert_for_user
from .dispatch import alert_figures, alerts_figures, board_summary, recipient_rows
from .drills import drill_approval_over, drill_figures, drill_finish, drill_launch, drill_left_out
from .escalation_words import escalation_events
from .labels import answer_via_label, delivery_status_label
from .models import Alert, AlertKind, AlertRecipient, EscalationStep
from .planning import left_out_text
from .services import AlertError, alert_approve

POLL_MS = 2000


def _board_data(alerts: list[Alert], *, people: bool = True) -> list[dict[str, Any]]:
    """Each alert's figures and words; its people's rows only with ``people`` (folded: none)."""
    now = timezone.now()
    figures = alerts_figures(alerts)
    rows = recipient_rows(alerts, now=now, names=people)
    return [
        {
            "alert": alert,
            "figures": {
                **figures[alert.pk].as_dict(),
                **board_summary(alert, figures[alert.pk], rows[alert.pk], now=now),
            },
            "rows": rows[alert.pk] if people else None,
        }
        for alert in alerts
    ]


def _feed_json(alerts: list[Alert], *, people: bool = True) -> dict[str, Any]:
    return {
        "at": timezone.now().isoformat(),
        "alerts": [
            {"id": item["alert"].pk, "figures": item["figures"], "rows": item["rows"]}
            for item in _board_data(alerts, people=people)
        ],
    }


def board(
    request: HttpRequest, alert_pk: int | None = None, incident_pk: int | None = None
) -> HttpResponse:
    incident: Incident | None
    if incident_pk is not None:
        incident = get_incident_for_user(request, incident_pk, capability=BOARD)
        alerts = list(
            Alert.objects.filter(network=incident.network, incident=incident)
            .select_related("facility", "network")
            .order_by("created_at")
        )
        feed_url = reverse("alerts:board_feed", kwargs={"incident_pk": incident.pk})
        self_url = reverse("alerts:board", kwargs={"incident_pk": incident.pk})
    else:
        if alert_pk is None:
            raise Http404
        alert = get_alert_for_user(request, alert_pk)
        incident = alert.incident
        alerts = [alert]
        feed_url = reverse("alerts:board_feed", kwargs={"alert_pk": alert.pk})
        self_url = reverse("alerts:board", kwargs={"alert_pk": alert.pk})
    response = render(
        request,
        "alerts/board.html",
        {
            "items": _board_data(alerts),
            "incident": incident,
            "named": incident_named(incident, actor=request.user) if incident else None,
            "feed_url": feed_url,
            "self_url": self_url,
            "poll_ms": POLL_MS,
            "can_dispatch": has_capability(request, Cap.DISPATCH),  # escalation controls
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def board_feed(
    request: HttpRequest, alert_pk: int | None = None, incident_pk: int | None = None
) -> JsonResponse:
    if incident_pk is not None:
        incident = get_incident_for_user(request, incident_pk, capability=BOARD)
        alerts = list(
            Alert.objects.filter(network=incident.network, incident=incident)
            .select_related("facility", "network")
            .order_by("created_at")
        )
    else:
        if alert_pk is None:
            raise Http404
        alerts = [get_alert_for_user(request, alert_pk)]
    response = JsonResponse(_feed_json(alerts, people=request.GET.get("people") != "0"))
    response["Cache-Control"] = "no-store"
    return response


def timeline_events(incident: Incident) -> list[dict[str, Any]]:
    """Every alert, delivery (counts per status, never bodies) and answer, by time: one
    query per kind of row, however many alerts and answers there are."""
    zone = incident.network.zone()
    events: list[dict[str, Any]] = []
    answered = AlertRecipient.objects.filter(answered_at__isnull=False)
    done = EscalationStep.objects.filter(done_at__isnull=False)
    alerts = list(
        Alert.objects.filter(incident=incident)
        .order_by("created_at")
        .prefetch_related(
            Prefetch("recipients", queryset=answered, to_attr="answered"),
            Prefetch("escalation_steps", queryset=done, to_attr="done"),
        )
    )
    deliveries: dict[int, list[tuple[str, int, Any]]] = {}
    for alert_id, status, n, first in (
        Delivery.objects.filter(alert__in=alerts)
        .values_list("alert_id", "status")
        .annotate(n=Count("id"), first=Min("created_at"))
        .order_by()
    ):
        deliveries.setdefault(alert_id, []).append((status, n, first))
    for alert in alerts:
        kind = str(alert.get_kind_display())
        events.append(
            {"at": alert.created_at, "what": "alert_created", "alert": alert, "label": kind}
        )
        if alert.launched_at:
            events.append(
                {"at": alert.launched_at, "what": "alert_launched", "alert": alert, "label": kind}
            )
        if alert.status == Alert.Status.CANCELLED and alert.finished_at:
            events.append(
                {"at": alert.finished_at, "what": "alert_cancelled", "alert": alert, "label": kind}
            )
        if counts := deliveries.get(alert.pk):
            events.append(
                {
                    "at": min(first for _s, _n, first in counts),
                    "what": "deliveries",
                    "alert": alert,
                    "counts": [
                        (delivery_status_label(status), n)
                        for status, n in sorted((s, n) for s, n, _f in counts)
                    ],
                }
            )
        for r in alert.answered:
            events.append(
                {
                    "at": r.answered_at,
                    "what": "answer",
                    "alert": alert,
                    "status": str(r.get_status_display()),
                    "via": answer_via_label(r.answered_via),
                    "eta": r.eta_minutes,
                    "tier": r.tier,
                }
            )
        events.extend(escalation_events(alert, alert.done))
    events.sort(key=lambda e: e["at"])
    for e in events:
        e["local"] = e["at"].astimezone(zone)
    return events


def timeline(request: HttpRequest, incident_pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, incident_pk, capability=BOARD)
    return render(
        request,
        "alerts/timeline.html",
        {
            "incident": incident,
            "named": incident_named(incident, actor=request.user),
            "events": timeline_events(incident),
            "zone": incident.network.time_zone,
        },
    )


# --- drills ------------------------------------------------------------------------


def _role_choices(request: HttpRequest) -> list[tuple[str, str]]:
    network = request_network(request)
    return [(r.slug, r.label) for r in PersonRole.objects.filter(network=network).order_by("slug")]


class DrillForm(forms.Form):
    tier1 = forms.MultipleChoiceField(
        label=_("Tier 1: people with these roles"), widget=forms.CheckboxSelectMultiple
    )
    tier2 = forms.MultipleChoiceField(
        label=_("Tier 2 (optional)"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier_field in ("tier1", "tier2"):
            field = self.fields[tier_field]
            assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - for mypy
            field.choices = roles
        for code, language in LANGUAGE_CHOICES:
            self.fields[f"message_{code}"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": language},
                max_length=300,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Every message starts with DRILL; people answer 1 (going) or 2."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"message_{code}") for code, _name in LANGUAGE_CHOICES):
            raise forms.ValidationError(_("Write the message in at least one language."))
        return data


@capability_required(*BOARD)
def drills(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    alerts = list(Alert.objects.filter(network=network, is_drill=True).order_by("-created_at")[:20])
    figures = drill_figures(alerts)
    items = [{"alert": a, "tiers": figures[a.pk]} for a in alerts]
    return render(
        request,
        "alerts/drills.html",
        {"items": items, "can_launch": has_capability(request, Cap.DISPATCH)},
    )


@require_http_methods(["GET", "POST"])
@capability_required(Cap.DISPATCH)
def drill_new(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = DrillForm(request.POST or None, roles=_role_choices(request))
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        message = {code: data.get(f"message_{code}", "") for code, _name in LANGUAGE_CHOICES}
        tiers = [data["tier1"], data.get("tier2") or []]
        try:
            alert = drill_launch(
                network=network,
                actor=request.user,  # type: ignore[arg-type]
                message=message,
                tiers=tiers,
            )
        except AlertError as exc:  # DrillError too: each says what went wrong
            error = exc.message
        else:
            if left := left_out_text(drill_left_out(network, tiers)):
                messages.info(request, _("Left out: %(reasons)s.") % {"reasons": left})
            return redirect("alerts:drill", alert_pk=alert.pk)
    return render(
        request,
        "alerts/drill_new.html",
        {"form": form, "error": error, "approval_over": drill_approval_over()},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def drill(request: HttpRequest, alert_pk: int) -> HttpResponse:
    action = request.POST.get("action", "") if request.method == "POST" else None
    # POST: the second person's approval of a large drill (the alerts' own), or its end
    needs = BOARD if action is None else Cap.NETWORK_MANAGE if action == "approve" else Cap.DISPATCH
    alert = get_alert_for_user(request, alert_pk, capability=needs)
    if not alert.is_drill:
        return redirect("alerts:board", alert_pk=alert.pk)
    error = ""
    if action == "approve":
        try:
            alert_approve(alert=alert, actor=request.user)  # type: ignore[arg-type]
        except AlertError as exc:
            error = exc.message
            alert.refresh_from_db()
        else:
            return redirect("alerts:drill", alert_pk=alert.pk)
    elif request.method == "POST":
        drill_finish(alert=alert)
        return redirect("alerts:drill", alert_pk=alert.pk)
    waiting = alert.status == Alert.Status.AWAITING_APPROVAL
    return render(
        request,
        "alerts/drill.html",
        {
            "alert": alert,
            "waiting": waiting,
            "planned": alert.recipients.count() if waiting else 0,
            "tiers": [t.as_dict() for t in drill_figures([alert])[alert.pk]],
            "figures": alert_figures(alert).as_dict(),
            "can_finish": alert.status in (Alert.Status.SENDING, Alert.Status.AWAITING_APPROVAL)
            and has_capability(request, Cap.DISPATCH),
            "can_approve": waiting
            and alert.created_by_id != request.user.pk
            and has_capability(request, Cap.NETWORK_MANAGE),
            "kind": AlertKind.DRILL,
            "error": error,
        },
        status=400 if error else 200,
    )
