"""The dispatcher's Respond page (squad / legal / member call-outs for a confirmed
incident: preview the plan, then send), the alert page and the second approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.access import has_capability, request_network, request_user
from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.lib import geo
from amparo.reports.access import get_incident_for_user
from amparo.reports.console import incident_named
from amparo.reports.models import Incident
from amparo.reports.services import AlertNotAllowed, alert_allowed

from .access import get_alert_for_user
from .forms_respond import RespondForm
from .models import Alert, AlertKind, Facility
from .planning import left_out_text, nearest_facility, plan_as_dict, plan_build
from .segments import count_segments
from .services import (
    AlertError,
    AlreadyOut,
    CallOut,
    alert_approve,
    alert_cancel,
    callouts_send,
    default_template,
    live_callout,
    needs_second_approver,
)
from .shortfall import plan_shortfall

KINDS = (AlertKind.SQUAD, AlertKind.LEGAL, AlertKind.MEMBERS)


def _languages(network: Network) -> list[str]:
    languages = [str(code) for code in (network.languages or [])] or ["es", "en"]
    for code in ("es", "en"):
        if code not in languages:
            languages.append(code)
    return languages


def _point(incident: Incident) -> tuple[float, float] | None:
    point = incident.point or {}
    if "lat" not in point or "lng" not in point:
        return None
    return (float(point["lat"]), float(point["lng"]))


def _initial(languages: list[str]) -> dict[str, Any]:
    initial: dict[str, Any] = {"squad": True}
    for kind in KINDS:
        for lang in languages:
            initial[f"{kind}_{lang}"] = default_template(kind, lang)
    return initial


def _segments(form: RespondForm, languages: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Server-side segment counts of every message box (as typed, or the defaults)."""
    data = form.data if form.is_bound else form.initial
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        rows = []
        for lang in languages:
            text = str(data.get(f"{kind}_{lang}", "") or "")
            count = count_segments(text)
            rows.append({"lang": lang, **count.as_dict(), "stripped_text": count.stripped_text})
        out[str(kind)] = rows
    return out


def _unsaved(
    kind: str, incident: Incident, facility: Facility | None, radius_km: float, target: int
) -> Alert:
    alert = Alert(
        network=incident.network,
        incident=incident,
        kind=kind,
        radius_km=radius_km,
        target_going=target,
    )
    if kind == AlertKind.LEGAL:
        alert.facility = facility
        alert.radius_km = 40.0
        alert.target_going = 2
    return alert


def _chosen(form: RespondForm) -> list[str]:
    return [str(kind) for kind in KINDS if form.cleaned_data.get(str(kind))]


def _plans(
    form: RespondForm, incident: Incident, kinds: list[str], facility: Facility | None
) -> list[dict[str, Any]]:
    """The preview: each chosen call-out's plan, and its shortfall said in words."""
    radius = float(form.cleaned_data["radius_km"])
    target = int(form.cleaned_data["squad_target"])
    plans = []
    for kind in kinds:
        unsaved = _unsaved(kind, incident, facility, radius, target)
        built = plan_build(alert=unsaved)
        plan = plan_as_dict(built)
        short = plan_shortfall(unsaved, built)
        plans.append(
            {
                "kind": kind,
                "label": AlertKind(kind).label,
                "plan": plan,
                "left_out": left_out_text(plan),
                "needs_approval": kind == AlertKind.MEMBERS,
                "shortfall": short.as_dict() if short else None,
                "blocked": plan["total"] == 0,
            }
        )
    return plans


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, incident_pk: int) -> HttpResponse:
    network = request_network(request)
    incident = get_incident_for_user(request, incident_pk, capability=Cap.DISPATCH)
    languages = _languages(network)
    allowed = alert_allowed(incident)
    point = _point(incident)
    facility = nearest_facility(network, point[0], point[1]) if point else None
    facility_km = (
        geo.haversine_km(point[0], point[1], facility.latitude, facility.longitude)
        if point and facility
        else None
    )
    initial = _initial(languages)
    out = [a for k in KINDS if (a := live_callout(incident, k)) is not None]
    initial["squad"] = not any(a.kind == AlertKind.SQUAD for a in out)  # not sent twice
    again = request.GET.get("kind", "")
    if again in KINDS:  # "Send again" from the board: that call-out ticked
        initial.update({str(kind): kind == again for kind in KINDS})
    form = RespondForm(
        request.POST if request.method == "POST" else None, languages=languages, initial=initial
    )
    error = ""
    live: Alert | None = None
    plans: list[dict[str, Any]] = []
    if request.method == "POST" and allowed and form.is_valid():
        kinds = _chosen(form)
        if not kinds:
            error = _("Choose at least one call-out.")
        elif AlertKind.LEGAL in kinds and facility is None:
            error = _("No active facility: add one before a legal call-out.")
        elif request.POST.get("action") == "send":
            try:
                return _send(request, form, incident, kinds, facility)
            except AlreadyOut as exc:
                error, live = str(exc.message), exc.live
            except AlertError as exc:  # nothing was written: the form is shown as typed
                error = str(exc.message)
            plans = _plans(form, incident, kinds, facility)
        else:
            plans = _plans(form, incident, kinds, facility)
    elif request.method == "POST" and not allowed:
        error = str(AlertNotAllowed.message)
    segments = _segments(form, languages)
    return render(
        request,
        "alerts/respond.html",
        {
            "incident": incident,
            "named": incident_named(incident, actor=request.user),
            "allowed": allowed,
            "form": form,
            "kinds": [
                (
                    str(k),
                    AlertKind(k).label,
                    list(zip(form.template_fields(k), segments[str(k)], strict=True)),
                )
                for k in KINDS
            ],
            "facility": facility,
            "facility_km": facility_km,
            "plans": plans,
            "short": [p for p in plans if p["shortfall"] or p["blocked"]],
            "blocked": any(p["blocked"] for p in plans),
            "error": error,
            "live": live,
            "out": out,
        },
        status=400 if error else 200,
    )


def _send(
    request: HttpRequest,
    form: RespondForm,
    incident: Incident,
    kinds: list[str],
    facility: Facility | None,
) -> HttpResponse:
    """Every chosen call-out, all or none (``callouts_send``); a refusal raises."""
    radius = float(form.cleaned_data["radius_km"])
    launched = callouts_send(
        incident=incident,
        actor=request_user(request),
        callouts=[
            CallOut(
                kind=kind,
                facility=facility if kind == AlertKind.LEGAL else None,
                radius_km=radius if kind != AlertKind.LEGAL else None,
                target_going=int(form.cleaned_data["squad_target"])
                if kind == AlertKind.SQUAD
                else None,
                templates=form.templates(kind) or None,
            )
            for kind in kinds
        ],
    )
    sending = [a for a in launched if a.status == Alert.Status.SENDING]
    if sending:
        return redirect(reverse("alerts:board", kwargs={"incident_pk": incident.pk}))
    return redirect(reverse("alerts:alert", kwargs={"pk": launched[0].pk}))


def _alert_context(request: HttpRequest, alert: Alert | None, error: str = "") -> dict[str, Any]:
    plan = None
    if alert is not None and alert.status in (Alert.Status.DRAFT, Alert.Status.AWAITING_APPROVAL):
        plan = plan_as_dict(plan_build(alert=alert))
    counts: dict[int, int] = {}
    if alert is not None and alert.status not in (
        Alert.Status.DRAFT,
        Alert.Status.AWAITING_APPROVAL,
    ):
        for tier in alert.recipients.values_list("tier", flat=True):
            counts[tier] = counts.get(tier, 0) + 1
    return {
        "alert": alert,
        "plan": plan,
        "recipients_by_tier": sorted(counts.items()),
        "can_approve": alert is not None
        and alert.status == Alert.Status.AWAITING_APPROVAL
        and needs_second_approver(alert)
        and has_capability(request, Cap.NETWORK_MANAGE),
        "error": error,
    }


def alert(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_alert_for_user(request, pk, capability=(Cap.DISPATCH, Cap.NETWORK_MANAGE))
    return render(request, "alerts/alert.html", _alert_context(request, obj))


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_alert_for_user(request, pk, capability=Cap.NETWORK_MANAGE)
    try:
        obj = alert_approve(alert=obj, actor=request.user)  # type: ignore[arg-type]
    except (AlertError, AlertNotAllowed) as exc:
        obj.refresh_from_db()
        error = str(exc.message)
        return render(request, "alerts/alert.html", _alert_context(request, obj, error), status=400)
    if obj.incident_id:
        return redirect(reverse("alerts:board", kwargs={"incident_pk": obj.incident_id}))
    return redirect(reverse("alerts:board", kwargs={"alert_pk": obj.pk}))


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispatcher stops a call-out (``alert_cancel``); it can then be sent again."""
    obj = get_alert_for_user(request, pk, capability=Cap.DISPATCH)
    if obj.is_drill:  # a drill ends on its own page
        return redirect(reverse("alerts:drill", kwargs={"alert_pk": obj.pk}))
    if obj.status in (Alert.Status.DONE, Alert.Status.CANCELLED):
        messages.info(request, _("This call-out was already over."))
    else:
        stopped = alert_cancel(alert=obj, actor=request_user(request))
        messages.success(
            request,
            ngettext(
                "Call-out #%(n)s cancelled: %(stopped)s text not yet sent was stopped.",
                "Call-out #%(n)s cancelled: %(stopped)s texts not yet sent were stopped.",
                stopped,
            )
            % {"n": obj.pk, "stopped": stopped},
        )
    if obj.incident_id:
        return redirect(reverse("alerts:board", kwargs={"incident_pk": obj.incident_id}))
    return redirect(reverse("alerts:board", kwargs={"alert_pk": obj.pk}))
