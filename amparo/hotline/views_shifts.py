"""Hotline schedule pages: the two-week view, one shift, rotations (Cap.HOTLINE_SCHEDULE),
coverage gaps, "on now", my shifts and swaps (Cap.HOTLINE), and the iCal feed (public,
signed URL)."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    network_queryset,
    request_network,
    request_user,
)
from amparo.accounts.roles import Cap
from amparo.lib.forms import render_form
from amparo.people import calendar as calendar_svc
from amparo.people.access import get_person_for_user
from amparo.people.identity import request_person
from amparo.people.participation import in_network_time, network_zone

from .access import (
    get_assignment_for_user,
    get_rotation_for_user,
    get_shift_for_user,
    get_swap_for_user,
)
from .forms_shifts import AssignForm, GenerateForm, RotationForm
from .models import Shift, ShiftRole, ShiftRotation, SwapRequest
from .shifts import coverage as cover_svc
from .shifts import feeds as feed_svc
from .shifts import rotations as rotation_svc
from .shifts import swaps as swap_svc

WEEK_DAYS = 14


# --- the schedule ---------------------------------------------------------------------


@never_cache
@in_network_time
@capability_required(Cap.HOTLINE)
def shifts(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    zone = network_zone(network)
    now = timezone.now()
    rows = list(
        network_queryset(request, Shift)
        .filter(ends_at__gt=now, starts_at__lt=now + timedelta(days=WEEK_DAYS))
        .prefetch_related("assignments__person")
        .order_by("starts_at")
    )
    days = [
        (day, list(items))
        for day, items in groupby(rows, key=lambda s: s.starts_at.astimezone(zone).date())
    ]
    me = request_person(request)
    return render(
        request,
        "hotline/shifts.html",
        {
            "days": days,
            "me": me,
            "can_edit": has_capability(request, Cap.HOTLINE_SCHEDULE),
            "now": now,
        },
    )


@never_cache
@in_network_time
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    can_edit = has_capability(request, Cap.HOTLINE_SCHEDULE)
    assignments = list(shift.assignments.select_related("person").order_by("role", "id"))
    swaps = list(
        SwapRequest.objects.filter(
            assignment__shift=shift, status=SwapRequest.Status.OPEN
        ).select_related("assignment")
    )
    form = AssignForm(network=shift.network) if can_edit else None
    return render(
        request,
        "hotline/shift_detail.html",
        {
            "shift": shift,
            "assignments": assignments,
            "swaps": swaps,
            "form": form,
            "can_edit": can_edit,
            "me": request_person(request),
            "over": shift.ends_at <= timezone.now(),
        },
    )


@require_POST
def shift_assign(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk, capability=Cap.HOTLINE_SCHEDULE)
    form = AssignForm(request.POST, network=shift.network)
    if not form.is_valid():
        messages.error(request, _("Choose a person of this network."))
        return redirect("hotline:shift", pk=shift.pk)
    person = get_person_for_user(
        request, form.cleaned_data["person"], capability=Cap.HOTLINE_SCHEDULE
    )
    try:
        rotation_svc.shift_assign(
            shift=shift, person=person, role=form.cleaned_data["role"], actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Added to the shift."))
    return redirect("hotline:shift", pk=shift.pk)


@require_POST
def shift_unassign(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_user(request, pk, capability=Cap.HOTLINE_SCHEDULE)
    shift_pk = assignment.shift_id
    rotation_svc.shift_unassign(assignment=assignment, actor=request_user(request))
    messages.success(request, _("Removed from the shift."))
    return redirect("hotline:shift", pk=shift_pk)


# --- rotations --------------------------------------------------------------------------


@in_network_time
@capability_required(Cap.HOTLINE_SCHEDULE)
def rotations(request: HttpRequest) -> HttpResponse:
    items = list(
        network_queryset(request, ShiftRotation)
        .prefetch_related("members__person")
        .order_by("weekday", "start_time")
    )
    return render(
        request, "hotline/rotations.html", {"rotations": items, "generate": GenerateForm()}
    )


def _rotation_form_page(request: HttpRequest, rotation: ShiftRotation | None) -> HttpResponse:
    network = request_network(request)
    initial = {}
    if rotation is not None:
        members = list(rotation.members.all())
        initial = {
            "name": rotation.name,
            "weekday": rotation.weekday,
            "start_time": rotation.start_time,
            "end_time": rotation.end_time,
            "languages_required": rotation.languages_required,
            "primaries": [m.person_id for m in members if m.role == ShiftRole.PRIMARY],
            "backups": [m.person_id for m in members if m.role == ShiftRole.BACKUP],
            "is_active": rotation.is_active,
        }
    else:
        initial = {"languages_required": cover_svc.baseline_languages(network), "is_active": True}
    form = RotationForm(request.POST or None, network=network, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common: dict[str, Any] = {
            "weekday": data["weekday"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
            "name": data["name"],
            "languages_required": data["languages_required"],
            "primaries": data["primary_people"],
            "backups": data["backup_people"],
            "actor": request_user(request),
        }
        try:
            if rotation is None:
                rotation_svc.rotation_create(network=network, **common)
            else:
                rotation_svc.rotation_update(
                    rotation=rotation, is_active=data["is_active"], **common
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Rotation saved."))
            return redirect("hotline:rotations")
    return render_form(request, "hotline/rotation_form.html", {"form": form, "rotation": rotation})


@capability_required(Cap.HOTLINE_SCHEDULE)
def rotation_new(request: HttpRequest) -> HttpResponse:
    return _rotation_form_page(request, None)


def rotation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rotation = get_rotation_for_user(request, pk)
    return _rotation_form_page(request, rotation)


@require_POST
@in_network_time
@capability_required(Cap.HOTLINE_SCHEDULE)
def generate(request: HttpRequest) -> HttpResponse:
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a start date and a number of days."))
        return redirect("hotline:rotations")
    count = rotation_svc.shifts_generate(
        network=request_network(request),
        start_date=form.cleaned_data["start_date"],
        days=form.cleaned_data["days"],
    )
    messages.success(request, _("Shifts created: %(count)s.") % {"count": count})
    return redirect("hotline:shifts")


# --- coverage and on now ------------------------------------------------------------------


@never_cache
@in_network_time
@capability_required(Cap.HOTLINE_SCHEDULE)
def coverage(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    gaps = cover_svc.coverage_gaps(network=network)  # from now, COVERAGE_DAYS ahead
    by_language = [
        (language, list(items)) for language, items in groupby(gaps, key=lambda g: g.language)
    ]
    return render(
        request,
        "hotline/coverage.html",
        {"by_language": by_language, "days": cover_svc.COVERAGE_DAYS, "zone": network.time_zone},
    )


@never_cache
@in_network_time
@capability_required(Cap.HOTLINE)
def on_now(request: HttpRequest) -> HttpResponse:
    panel = cover_svc.on_now(network=request_network(request))
    return render(
        request,
        "hotline/on_now.html",
        {"panel": panel, "can_edit": has_capability(request, Cap.HOTLINE_SCHEDULE)},
    )


# --- my shifts, swaps ------------------------------------------------------------------


@never_cache
@in_network_time
@capability_required(Cap.HOTLINE)
def mine(request: HttpRequest) -> HttpResponse:
    me = request_person(request)
    assignments = feed_svc.person_assignments(person=me) if me is not None else []
    open_swaps = (
        SwapRequest.objects.filter(
            assignment__in=assignments, status=SwapRequest.Status.OPEN
        ).values_list("assignment_id", flat=True)
        if assignments
        else []
    )
    feed_url = ""
    if me is not None:
        feed_url = request.build_absolute_uri(
            reverse(
                "hotline:ical", kwargs={"pk": me.pk, "token": calendar_svc.feed_token(person=me)}
            )
        )
    covers: list[SwapRequest] = []
    if me is not None:
        candidates = (
            SwapRequest.objects.filter(
                assignment__shift__network=me.network,
                status=SwapRequest.Status.OPEN,
                assignment__shift__ends_at__gt=timezone.now(),
            )
            .exclude(requested_by=me)
            .select_related("assignment__shift__network")
            .prefetch_related("assignment__shift__assignments")
            .order_by("assignment__shift__starts_at")[:50]
        )
        covers = [s for s in candidates if not swap_svc._eligible(s.assignment.shift, me)]
    return render(
        request,
        "hotline/shift_mine.html",
        {
            "me": me,
            "assignments": assignments,
            "open_swaps": set(open_swaps),
            "feed_url": feed_url,
            "covers": covers,
            "can_edit": has_capability(request, Cap.HOTLINE_SCHEDULE),
        },
    )


@require_POST
def swap_request(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_assignment_for_user(request, pk)
    try:
        swap, texted = swap_svc.swap_request_create(
            assignment=assignment, person=request_person(request), actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("hotline:mine")
    messages.success(
        request,
        _("Cover requested (code %(code)s). People texted: %(count)s.")
        % {"code": swap.code, "count": texted},
    )
    return redirect("hotline:swap", pk=swap.pk)


@never_cache
@in_network_time
def swap(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_swap_for_user(request, pk)
    me = request_person(request)
    if request.method == "POST":
        if me is None:
            messages.error(request, _("Your login is not linked to a person of this network."))
        else:
            try:
                swap_svc.swap_take(swap=item, person=me, actor=request_user(request))
            except swap_svc.SwapRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("The shift is yours. Thank you!"))
                return redirect("hotline:mine")
        return redirect("hotline:swap", pk=item.pk)
    shift = item.assignment.shift
    mine_request = me is not None and item.requested_by_id == me.pk
    can_take = (
        me is not None
        and not mine_request
        and item.status == SwapRequest.Status.OPEN
        and not swap_svc._eligible(shift, me)
    )
    return render(
        request,
        "hotline/shift_swap.html",
        {"swap": item, "shift": shift, "mine": mine_request, "can_take": can_take},
    )


@require_POST
def swap_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_swap_for_user(request, pk)
    try:
        swap_svc.swap_cancel(swap=item, person=request_person(request), actor=request_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request cancelled."))
    return redirect("hotline:mine")
