"""The dispatcher console (list, map, live feed) and the incident page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

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
from .console_map import console_map
from .forms_console import (
    MeetingPointForm,
    MergeForm,
    PublicNoteForm,
    StatusFilterForm,
    TransitionForm,
)
from .labels import event_text, report_details
from .models import Incident
from .where import incident_meeting_point_set


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
            "map": console_map(data["rows"]),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@capability_required(Cap.REPORTS_VIEW)
def console_feed(request: HttpRequest) -> JsonResponse:
    network = request_network(request)
    data = console_data(network=network, status=_feed_status(request), show=_feed_show(request))
    response = JsonResponse({**data, "map": console_map(data["rows"])})
    response["Cache-Control"] = "no-store, private"
    return response


def incident_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk)
    reports = list(incident_reports(incident))
    audit_read(actor=request.user, obj=incident, network=incident.network, reason="incident page")
    audit_reads(actor=request.user, objs=reports, network=incident.network, reason="incident")
    can_dispatch = has_capability(request, Cap.DISPATCH)
    candidates = nearby_open_incidents(incident)
    return render(
        request,
        "reports/incident.html",
        {
            "incident": incident,
            "reports": [
                (r, report_details(r.details or {}, incident.network.zone())) for r in reports
            ],
            "events": [
                (e, event_text(e)) for e in incident.events.select_related("actor", "person")
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
            "meeting_form": meeting_point_form(incident) if can_dispatch else None,
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
    elif not request.POST.get("to"):
        messages.error(request, _("Choose the new status."))
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


def meeting_point_form(incident: Incident, data: Any = None) -> MeetingPointForm:
    point = incident.meeting_point_point
    initial = {
        "text": incident.meeting_point,
        "point": f"{point['lat']}, {point['lng']}" if point else "",
    }
    return MeetingPointForm(data, initial=initial, prefix="meeting")


@require_http_methods(["GET", "POST"])
def incident_meeting_point(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispatcher sets, corrects or clears where responders meet (audited); the
    incident page holds the same form, this page is where a refused one comes back."""
    incident = get_incident_for_user(request, pk, capability=Cap.DISPATCH)
    back = "respond" if request.GET.get("from") == "respond" else "incident"
    form = meeting_point_form(incident, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        back = "respond" if request.POST.get("back") == "respond" else "incident"
        if form.is_valid():
            incident_meeting_point_set(
                incident=incident,
                text=form.cleaned_data["text"],
                point=form.cleaned_data["point"],
                actor=request.user,  # type: ignore[arg-type]
            )
            messages.success(
                request, _("Meeting point saved. Responders see it on their link page.")
            )
            if back == "respond":
                return redirect("alerts:respond", incident_pk=incident.pk)
            return redirect(
                reverse("reports:incident", kwargs={"pk": incident.pk}) + "#meeting-point"
            )
    # a refused form comes back with what was typed and the reason
    return render(
        request,
        "reports/meeting_point_page.html",
        {"incident": incident, "meeting_form": form, "back": back},
        status=400 if form.is_bound else 200,
    )


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
