"""Training sessions: the list by type, a new session, sign-ups and attendance
(all Cap.TRAININGS)."""

from __future__ import annotations

from datetime import timedelta

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
    network_queryset,
    request_network,
    request_user,
)
from amparo.accounts.roles import Cap
from amparo.lib.forms import render_form

from . import trainings as svc
from .access import get_person_for_user, get_session_for_user, get_signup_for_user
from .forms_committees import name_search
from .forms_trainings import AttendanceForm, SessionForm, SignupForm
from .models import TrainingType
from .participation import in_network_time

PAST_SHOWN = 30


@in_network_time
@capability_required(Cap.TRAININGS)
def trainings(request: HttpRequest) -> HttpResponse:
    sessions = svc.sessions_with_counts(network=request_network(request))
    types = list(network_queryset(request, TrainingType))
    chosen = next((t for t in types if t.slug == request.GET.get("type")), None)
    if chosen is not None:
        sessions = sessions.filter(training_type=chosen)
    # A session stays "upcoming" for the day it happens, so attendance is easy to find.
    cutoff = timezone.now() - timedelta(hours=12)
    upcoming = list(sessions.filter(starts_at__gte=cutoff).order_by("starts_at"))
    past = list(sessions.filter(starts_at__lt=cutoff).order_by("-starts_at")[:PAST_SHOWN])
    return render(
        request,
        "people/trainings.html",
        {"types": types, "chosen": chosen, "upcoming": upcoming, "past": past},
    )


@in_network_time
@capability_required(Cap.TRAININGS)
def session_create(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = SessionForm(
        request.POST or None,
        network=network,
        initial={"language": (network.languages or ["es"])[0]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = svc.session_create(
                network=network, actor=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Session created."))
            return redirect("people:training_session", pk=session.pk)
    return render_form(request, "people/training_form.html", {"form": form})


@never_cache
@in_network_time
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk)
    signups = svc.session_signups(session=session)
    taken = sum(1 for s in signups if s.status in svc.HOLDING)
    holding = {s.person_id for s in signups if s.status in svc.HOLDING}
    return render(
        request,
        "people/training_session.html",
        {
            "session": session,
            "signups": signups,
            "taken": taken,
            "full": taken >= session.capacity,
            "started": session.starts_at <= timezone.now(),
            **name_search(request, session.network, holding),
        },
    )


@require_POST
def signup_create(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk)
    form = SignupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return redirect("people:training_session", pk=session.pk)
    person = get_person_for_user(request, form.cleaned_data["person"], capability=Cap.TRAININGS)
    try:
        _signup, created = svc.session_sign_up(
            session=session, person=person, actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Signed up.") if created else _("Already signed up."))
    return redirect("people:training_session", pk=session.pk)


@require_POST
def signup_status(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_signup_for_user(request, pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown attendance status."))
    else:
        try:
            svc.signup_set_status(
                signup=signup, status=form.cleaned_data["status"], actor=request_user(request)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
    url = reverse("people:training_session", kwargs={"pk": signup.session_id})
    return redirect(f"{url}#signup-{signup.pk}")
