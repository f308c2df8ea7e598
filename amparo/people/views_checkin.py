"""Activities and the fast check-in page (Cap.CHECKIN).

The check-in page is built for a phone at the door: type part of a name, tap the big
button, done. Every tap is its own POST (works without JavaScript) and is idempotent:
tapping twice checks someone in once. The name search is a POST too, answered directly:
a typed name is personal data and never goes in a URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    request_network,
    request_user,
)
from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.lib.forms import LocalDateTimeField, render_form

from . import events, trainings
from . import participation as svc
from .access import get_activity_for_user, get_person_for_user
from .forms_committees import PersonSearchForm
from .models import Activity, Committee, Person
from .views_events import may_invite

#: Check-ins listed on the page (the latest first); the count covers them all.
SHOWN = 100


class CommitteeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Activity.Kind.choices)
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=160,
        error_messages={"required": gettext_lazy("Give the activity a title.")},
    )
    starts_at = LocalDateTimeField(
        label=gettext_lazy("Starts at"),
        error_messages={
            "required": gettext_lazy("Say when it starts."),
            "invalid": gettext_lazy("Write a date and time, for example 2026-03-31 18:00."),
        },
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"),
        help_text=gettext_lazy("Leave empty for no limit. Past it, RSVPs join a waiting list."),
        min_value=1,
        max_value=100000,
        required=False,
        error_messages={"min_value": gettext_lazy("The capacity must be at least 1.")},
    )
    committee = CommitteeChoiceField(
        label=gettext_lazy("Committee"),
        queryset=Committee.objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = Committee.objects.filter(  # type: ignore[attr-defined]
            network=network
        )


def _checkin_url(activity: Activity, **params: Any) -> str:
    url = reverse("people:checkin", kwargs={"pk": activity.pk})
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


@svc.in_network_time
@capability_required(Cap.CHECKIN)
def activities(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    now = timezone.now()
    qs = svc.activities_with_counts(network=network)
    # today's and upcoming first (soonest first), then the recent past
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    current = list(qs.filter(starts_at__gte=start_of_today).order_by("starts_at")[:50])
    past = list(qs.filter(starts_at__lt=start_of_today).order_by("-starts_at")[:30])
    # Training sessions keep their own model but share the calendar.
    sessions = list(
        trainings.sessions_with_counts(network=network)
        .filter(starts_at__gte=start_of_today)
        .order_by("starts_at")[:50]
    )
    return render(
        request,
        "people/activities.html",
        {
            "current": current,
            "past": past,
            "sessions": sessions,
            "may_open_sessions": has_capability(request, Cap.TRAININGS),
        },
    )


@svc.in_network_time
@capability_required(Cap.CHECKIN)
def activity_create(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    initial = {"starts_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = ActivityForm(request.POST or None, network=network, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = svc.activity_create(
                network=network, actor=request_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Activity created. Check people in below."))
            return redirect("people:checkin", pk=activity.pk)
    return render_form(request, "people/activity_form.html", {"form": form})


@never_cache
@svc.in_network_time
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request, pk)
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    attendance = svc.activity_attendance(activity=activity)
    checked_in = {a.person_id for a in attendance}
    found, more = svc.person_search_capped(network=activity.network, q=q) if q else ([], False)
    done: Person | None = None
    done_id = request.GET.get("done", "")
    if done_id.isdigit() and int(done_id) in checked_in:
        done = next(a.person for a in attendance if a.person_id == int(done_id))
    return render(
        request,
        "people/checkin.html",
        {
            "activity": activity,
            "search": search,
            "q": q,
            "found": [(p, p.pk in checked_in) for p in found],
            "more": more,
            "shown": svc.NAME_SEARCH_SHOWN,
            "attendance": attendance[:SHOWN],
            "count": len(attendance),
            "done": done,
            "again": request.GET.get("again") == "1",
            "rsvps": events.rsvp_counts(activity),
            "upcoming": activity.starts_at > timezone.now(),
            "may_invite": may_invite(request),
        },
    )


@require_POST
def checkin_person(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request, pk)
    person = get_person_for_user(request, request.POST.get("person", ""), capability=Cap.CHECKIN)
    try:
        _attendance, created = svc.attendance_check_in(
            activity=activity, person=person, actor=request_user(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_checkin_url(activity))
    # The name is shown from the id on the next page, never stored in a cookie message.
    return redirect(_checkin_url(activity, done=person.pk, again=None if created else "1"))


@require_POST
def checkin_undo(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request, pk)
    person = get_person_for_user(request, request.POST.get("person", ""), capability=Cap.CHECKIN)
    if svc.attendance_undo(activity=activity, person=person, actor=request_user(request)):
        messages.success(request, _("Check-in undone."))
    else:
        messages.error(request, _("This person was not checked in."))
    return redirect(_checkin_url(activity))
