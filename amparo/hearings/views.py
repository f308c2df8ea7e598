"""The hearings pages: the calendar, a hearing (sign up, the outcome), a new hearing on
a case. Thin: the work is in services.py. Names only where the case may be seen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import has_capability, request_user
from amparo.accounts.roles import Cap
from amparo.cases.access import get_case_for_user
from amparo.people.calendar import feed_token
from amparo.people.identity import request_person

from . import services
from .access import case_ids_seen, get_hearing_for_user, hearings_for
from .forms import HearingForm, OutcomeForm
from .models import Accompaniment

GOING = Q(accompaniments__status=Accompaniment.Status.GOING)


def _errors(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def hearing_list(request: HttpRequest) -> HttpResponse:
    """The next 60 days' hearings (and the last week's, for their outcomes)."""
    now, me = timezone.now(), request_person(request)
    mine = Accompaniment.objects.filter(person=me, hearing=OuterRef("pk")).values("status")
    hearings = (
        hearings_for(request)
        .filter(starts_at__gte=now - timedelta(days=7), starts_at__lt=now + timedelta(days=60))
        .annotate(going_count=Count("accompaniments", filter=GOING), my_status=Subquery(mine[:1]))
        .order_by("starts_at", "id")
    )
    feed = {"pk": me.pk, "token": feed_token(person=me)} if me else None
    context = {"hearings": hearings, "seen": case_ids_seen(request), "feed": feed, "now": now}
    return render(request, "hearings/list.html", context)


def _may_record(request: HttpRequest, hearing: Any, me: Any) -> bool:
    """An accompanier going to it, or the case's team (coordinators)."""
    mine = hearing.accompaniments.filter(person=me, status=Accompaniment.Status.GOING)
    return (me is not None and mine.exists()) or hearing.case_id in case_ids_seen(request)


def hearing_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = get_hearing_for_user(request, pk)
    me = request_person(request)
    next_date = timezone.localtime(hearing.starts_at) + timedelta(days=28)
    context = {
        "hearing": hearing,
        "seen": hearing.case_id in case_ids_seen(request),
        "going": services.going(hearing),
        "mine": hearing.accompaniments.filter(person=me).first() if me else None,
        "can_go": me is not None and has_capability(request, Cap.ACCOMPANY),
        "unlinked": me is None,  # said why there is no "I will go" button
        "past": hearing.starts_at <= timezone.now(),
        "can_record": _may_record(request, hearing, me),
        "outcome_form": OutcomeForm(initial={"next_date": next_date}),
    }
    return render(request, "hearings/hearing.html", context)


def hearing_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = get_case_for_user(request, case_pk)
    form = HearingForm(request.POST or None, initial={"wanted": 2, "language": case.language})
    if request.method == "POST" and form.is_valid():
        try:
            hearing = services.hearing_add(
                case=case, actor=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Hearing added; the accompaniers were asked by text."))
            return redirect("hearings:hearing", pk=hearing.pk)
    return render(request, "hearings/new.html", {"case": case, "form": form})


@require_POST
def hearing_accompany(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = get_hearing_for_user(request, pk)
    me = request_person(request)
    if me is None or not has_capability(request, Cap.ACCOMPANY):
        messages.error(request, _("Your login is not linked to a person of this network."))
        return redirect("hearings:hearing", pk=pk)
    try:
        services.accompany(
            hearing=hearing,
            person=me,
            go=request.POST.get("go") == "1",
            via="web",
            actor=request_user(request),
        )
    except ValidationError as error:
        _errors(request, error)
    return redirect("hearings:hearing", pk=pk)


@require_POST
def hearing_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = get_hearing_for_user(request, pk)
    me = request_person(request)
    if not _may_record(request, hearing, me):
        messages.error(request, _("Only an accompanier or the case team records the outcome."))
        return redirect("hearings:hearing", pk=pk)
    form = OutcomeForm(request.POST)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    try:
        services.hearing_outcome(
            hearing=hearing,
            outcome=data.get("outcome", ""),
            next_at=data.get("next_date") if data.get("outcome") == "continued" else None,
            person=me,
            actor=request_user(request),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The outcome is recorded."))
    return redirect("hearings:hearing", pk=pk)
