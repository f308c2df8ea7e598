"""The dispatcher console (list, map, live feed) and the incident page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    request_network,
)
from amparo.accounts.audit import audit_read, audit_reads
from amparo.accounts.roles import Cap

from . import services
from .access import get_incident_for_user, get_report_for_user
from .console import (
    SHOW_PUBLIC,
    console_data,
    incident_reports,
    merge_target,
    nearby_open_incidents,
    verify_request_url,
)
from .forms_console import MergeForm, PublicNoteForm, StatusFilterForm, TransitionForm
from .models import IncidentStatus, Report

#: How the SALUTE fields of a report are labelled; other keys are shown as they come.
DETAIL_LABELS = {
    "size": gettext_lazy("How many agents"),
    "agents": gettext_lazy("How many agents"),
    "activity": gettext_lazy("What is happening"),
    "location": gettext_lazy("Where"),
    "workplace": gettext_lazy("Workplace"),
    "uniform": gettext_lazy("Agency or uniform"),
    "agency": gettext_lazy("Agency or uniform"),
    "time": gettext_lazy("When"),
    "when": gettext_lazy("When"),
    "equipment": gettext_lazy("Vehicles and equipment"),
    "vehicles": gettext_lazy("Vehicles and equipment"),
    "text": gettext_lazy("In their words"),
}


def _details(report: Report, zone: Any = None) -> list[tuple[str, str]]:
    details: Any = report.details or {}
    if not isinstance(details, dict):
        return [(str(DETAIL_LABELS["text"]), str(details))]
    rows = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        if key == "more" and isinstance(value, list):  # later posts of the same source
            rows += [_added(entry, zone) for entry in value if isinstance(entry, dict)]
            continue
        if key == "more_dropped":
            rows.append((str(_("Later reports from the same source, not kept")), str(value)))
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        rows.append((str(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())), str(value)))
    return rows


def _added(entry: dict[str, Any], zone: Any) -> tuple[str, str]:
    """One later post of the same source, added to this report (amparo/reports/flood.py)."""
    try:
        at = timezone.localtime(datetime.fromisoformat(str(entry.get("at"))), zone)
        when = at.strftime("%H:%M")
    except (TypeError, ValueError):
        when = ""
    label = _("Added later by the same source (%(time)s)") % {"time": when}
    return str(label), " · ".join(str(v) for k, v in entry.items() if k != "at" and v)


def _feed_status(request: HttpRequest) -> str:
    form = StatusFilterForm(request.GET)
    return form.cleaned_data["status"] if form.is_valid() else ""


def _feed_show(request: HttpRequest) -> str:
    """``show=public``: the folded group of single reports from the public, opened."""
    return SHOW_PUBLIC if request.GET.get("show") == SHOW_PUBLIC else ""


@capability_required(Cap.REPORTS_VIEW)
def console(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    status = _feed_status(request)
    data = console_data(network=network, status=status, show=_feed_show(request))
    return render(
        request,
        "reports/console.html",
        {
            "data": data,
            "filter_form": StatusFilterForm(initial={"status": status}),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@capability_required(Cap.REPORTS_VIEW)
def console_feed(request: HttpRequest) -> JsonResponse:
    network = request_network(request)
    data = console_data(network=network, status=_feed_status(request), show=_feed_show(request))
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store, private"
    return response


def incident_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk)
    reports = list(incident_reports(incident))
    audit_read(actor=request.user, obj=incident, network=incident.network, reason="incident page")
    audit_reads(actor=request.user, objs=reports, network=incident.network, reason="incident")
    can_dispatch = has_capability(request, Cap.DISPATCH)
    labels = {value: str(label) for value, label in IncidentStatus.choices}
    candidates = nearby_open_incidents(incident)
    return render(
        request,
        "reports/incident.html",
        {
            "incident": incident,
            "reports": [(r, _details(r, incident.network.zone())) for r in reports],
            "events": [
                (e, labels.get(e.from_status, ""), labels.get(e.to_status, ""))
                for e in incident.events.select_related("actor", "person")
            ],
            "can_dispatch": can_dispatch,
            "transition_form": TransitionForm(incident=incident) if can_dispatch else None,
            "note_form": PublicNoteForm(initial={"note": incident.public_note})
            if can_dispatch
            else None,
            "merge_form": MergeForm(candidates=candidates)
            if can_dispatch and candidates.exists()
            else None,
            "verify_url": verify_request_url(incident) if can_dispatch else "",
            "is_open": incident.status in services.OPEN_STATUSES,
            # the one step to the call-outs, or why none can go yet (verification first)
            "can_alert": can_dispatch and services.alert_allowed(incident),
        },
    )


@require_POST
def incident_status(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk, capability=Cap.DISPATCH)
    form = TransitionForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            services.incident_transition(
                incident=incident,
                to=form.cleaned_data["to"],
                actor=request.user,  # type: ignore[arg-type]
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Status changed."))
        except services.IncidentTransitionError:
            messages.error(request, _("That status change is not possible now. Reload the page."))
    else:
        messages.error(request, _("That status change is not possible now. Reload the page."))
    return redirect("reports:incident", pk=incident.pk)


@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk, capability=Cap.DISPATCH)
    form = PublicNoteForm(request.POST)
    if form.is_valid():
        services.incident_public_note(
            incident=incident,
            note=form.cleaned_data["note"],
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("Public note saved."))
    else:
        messages.error(request, _("Write a public note of at most 200 characters."))
    return redirect("reports:incident", pk=incident.pk)


@require_POST
def incident_merge(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk, capability=Cap.DISPATCH)
    form = MergeForm(request.POST, candidates=nearby_open_incidents(incident))
    if not form.is_valid():
        messages.error(request, _("Choose a nearby open incident to merge with."))
        return redirect("reports:incident", pk=incident.pk)
    target, other = merge_target(incident, form.cleaned_data["other"])
    services.incidents_merge(target=target, others=[other], actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Incidents merged."))
    return redirect("reports:incident", pk=target.pk)


@require_POST
def report_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Split one report out of its incident into a new one."""
    report = get_report_for_user(request, pk)
    old = report.incident
    if old is not None and old.report_count <= 1:
        messages.error(request, _("This is the incident's only report."))
        return redirect("reports:incident", pk=old.pk)
    new = services.report_move(report=report, to=None, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The report is now a separate incident."))
    return redirect("reports:incident", pk=new.pk)
