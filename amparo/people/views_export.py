"""Exports of people under the two-person rule (export_requests.py): ask, a second
person approves or refuses, the requester downloads once. Cap.MEMBERS_EXPORT for all."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.access import capability_required, network_queryset, request_network
from amparo.accounts.models import User
from amparo.accounts.roles import Cap
from amparo.lib.crypto import DecryptionError

from .access import get_export_request_for_user, get_segment_for_user
from .export_files import export_file_take
from .export_requests import (
    DOWNLOAD_VALID,
    REQUEST_VALID,
    ExportRequestError,
    approval_context,
    export_request_claim,
    export_request_create,
    export_request_decide,
    export_request_done,
    export_request_filter,
    export_request_summary,
    export_requests_waiting,
)
from .exporting import (
    FORMATS,
    export_audit,
    export_count,
    export_filename,
    people_export,
    people_filter_from_query,
)
from .forms_import import ExportForm
from .models import ExportRequest
from .views_phonetree import phone_tree_response

MINE_SHOWN = 20

NAME_DROPPED = gettext_lazy(
    "A name cannot be part of an export, so the name was left out. Use the filters "
    "(roles, languages, towns…) to choose who is in it."
)


def _hours(delta: Any) -> int:
    return int(delta.total_seconds() // 3600)


@never_cache
@require_http_methods(["GET", "POST"])
@capability_required(Cap.MEMBERS_EXPORT)
def export(request: HttpRequest) -> HttpResponse:
    """GET: how many people the filter (GET parameters or ?segment=ID) holds; POST: ask
    for the file. A name (``q``) is never part of it: dropped, and the page says so."""
    network = request_network(request)
    segment = None
    if request.GET.get("segment"):
        segment = get_segment_for_user(
            request, request.GET["segment"], capability=Cap.MEMBERS_EXPORT
        )
    people_filter = people_filter_from_query(query=request.GET, segment=segment)
    name_given = bool(
        request.GET.get("q", "").strip()
        or request.POST.get("q", "").strip()
        or people_filter.q.strip()
    )
    people_filter.q = ""
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            export_request_create(
                network=network,
                actor=request.user,
                kind=form.cleaned_data["format"],
                people_filter=people_filter,
                segment=segment,
                reason=form.cleaned_data["reason"],
            )
        except ExportRequestError as exc:
            form.add_error(None, exc.message)
        else:
            if name_given:
                messages.warning(request, str(NAME_DROPPED))
            messages.success(
                request,
                _(
                    "Your request is waiting for a second person who can export people. "
                    "Once they approve it, you can download it here once."
                ),
            )
            return redirect("people:export_requests")
    if name_given:
        messages.warning(request, str(NAME_DROPPED))
    context = {
        "form": form,
        "segment": segment,
        "count": export_count(network=network, people_filter=people_filter),
        "filtered": not people_filter.is_empty() or segment is not None,
        "download_hours": _hours(DOWNLOAD_VALID),
        **approval_context(request, network),
    }
    return render(request, "people/export.html", context, status=400 if form.errors else 200)


@never_cache
@capability_required(Cap.MEMBERS_EXPORT)
def export_requests(request: HttpRequest) -> HttpResponse:
    """Requests waiting for this person's decision (others' requests: counts and
    filters, never names), and this person's own requests with their downloads."""
    network = request_network(request)
    now = timezone.now()
    waiting = [
        {"request": r, "summary": export_request_summary(r)}
        for r in export_requests_waiting(network=network, user=request.user).select_related(
            "segment", "network", "requested_by"
        )
    ]
    mine = [
        {
            "request": r,
            "summary": export_request_summary(r),
            "expired": r.is_expired(now)
            and r.status in (ExportRequest.Status.PENDING, ExportRequest.Status.APPROVED),
            "can_download": r.status == ExportRequest.Status.APPROVED
            and not r.is_expired(now)
            and r.file_state in (ExportRequest.FileState.NONE, ExportRequest.FileState.READY),
            "preparing": r.status == ExportRequest.Status.APPROVED
            and not r.is_expired(now)
            and r.file_state in ExportRequest.ACTIVE_FILE,
            "queued": r.file_state == ExportRequest.FileState.QUEUED,
            "prefix": f"export-{r.pk}",
        }
        for r in network_queryset(request, ExportRequest)
        .filter(requested_by=cast(User, request.user))
        .select_related("segment", "network")[:MINE_SHOWN]
    ]
    return render(
        request,
        "people/export_requests.html",
        {
            "waiting": waiting,
            "mine": mine,
            "active": any(item["preparing"] for item in mine),
            "request_hours": _hours(REQUEST_VALID),
            "download_hours": _hours(DOWNLOAD_VALID),
        },
    )


@require_POST
def export_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (``action=approve``) or refuse another person's request."""
    export = get_export_request_for_user(request, pk)
    action = request.POST.get("action", "")
    if action not in ("approve", "refuse"):
        messages.error(request, _("Choose to approve or to refuse."))
        return redirect("people:export_requests")
    try:
        export_request_decide(request=export, actor=request.user, approve=action == "approve")
    except ExportRequestError as exc:
        messages.error(request, exc.message)
    else:
        if action == "approve":
            messages.success(request, _("Approved. The person who asked can download it once."))
        else:
            messages.info(request, _("Refused. Nothing was exported."))
    return redirect("people:export_requests")


@require_POST
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The one download of an approved request, by the person who asked for it."""
    export = get_export_request_for_user(request, pk)
    try:
        export_request_claim(request=export, actor=request.user)
    except ExportRequestError as exc:
        messages.error(request, exc.message)
        return redirect("people:export_requests")
    if export.kind == ExportRequest.Kind.PHONE_TREE:
        response, rows = phone_tree_response(request, export)
        export_request_done(request=export, actor=request.user, rows=rows)
        return response
    if export.file_state == ExportRequest.FileState.READY:  # made by the worker
        try:
            content, rows = export_file_take(export), export.rows or 0
        except (OSError, DecryptionError):
            messages.error(
                request, _("This export could not be prepared. Ask again if it is still needed.")
            )
            return redirect("people:export_requests")
        export_audit(
            network=export.network,
            actor=request.user,
            file_format=export.kind,
            rows=rows,
            segment=export.segment,
        )
    else:
        exported = people_export(
            network=export.network,
            actor=request.user,
            people_filter=export_request_filter(export),
            file_format=export.kind,
            segment=export.segment,
        )
        content, rows = exported.content, exported.rows
    export_request_done(request=export, actor=request.user, rows=rows)
    response = HttpResponse(content, content_type=FORMATS[export.kind])
    filename = export_filename(export.network, export.kind)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET"])
def export_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """How far the worker is with an approved export, for the requester's progress
    bar (progress.js): counts only."""
    export = get_export_request_for_user(request, pk)
    if export.requested_by_id != request.user.pk:
        raise Http404
    return JsonResponse(
        {
            "status": export.file_state,
            "active": export.file_state in ExportRequest.ACTIVE_FILE,
            "done": export.file_done,
            "total": export.file_total,
            "percent": export.percent,
        }
    )
