"""The hearings pages: the calendar, a hearing (sign up, the outcome), a new hearing on
a case. Thin: the work is in services.py. Names only where the case may be seen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    now = timezone.now()
    hearings = list(
        hearings_for(request)
        .filter(starts_at__gte=now - timedelta(days=7), starts_at__lt=now + timedelta(days=60))
        .annotate(going_count=Count("accompaniments", filter=GOING))
        .order_by("starts_at", "id")
    )
    me = request_person(request)
    mine = (
        dict(
            Accompaniment.objects.filter(person=me, hearing__in=hearings).values_list(
                "hearing_id", "status"
            )
        )
        if me
        else {}
    )
    for hearing in hearings:
        hearing.my_status = mine.get(hearing.pk, "")  # type: ignore[attr-defined]
    feed_url = (
        request.build_absolute_uri(
            reverse("people:calendar", kwargs={"pk": me.pk, "token": feed_token(person=me)})
        )
        if me
        else ""
    )
    return render(
        request,
        "hearings/list.html",
        {
            "hearings": hearings,
            "seen": case_ids_seen(request),
            "feed_url": feed_url,
            "now": now,
        },
    )


def hearing_view(request: HttpRequest, pk: int) -> HttpResponse:
    hearing = get_hearing_for_user(request, pk)
    me = request_person(request)
    mine = hearing.accompaniments.filter(person=me).first() if me else None
    return render(
        request,
        "hearings/hearing.html",
        {
            "hearing": hearing,
            "seen": hearing.case_id in case_ids_seen(request),
            "going": services.going(hearing),
            "mine": mine,
            "can_go": me is not None and has_capability(request, Cap.ACCOMPANY),
            "past": hearing.starts_at <= timezone.now(),
            "can_record": mine is not None
            and mine.status == Accompaniment.Status.GOING
            or hearing.case_id in case_ids_seen(request),
            "outcome_form": OutcomeForm(
                initial={"next_date": timezone.localtime(hearing.starts_at) + timedelta(days=28)}
            ),
        },
    )


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
    going = (
        me is not None
        and hearing.accompaniments.filter(person=me, status=Accompaniment.Status.GOING).exists()
    )
    if not going and hearing.case_id not in case_ids_seen(request):
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
