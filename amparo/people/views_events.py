"""Events: a member's RSVP on the web (their dashboard lists what is coming up), and a
coordinator's invitation by text (from the check-in page of an event not yet started)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import has_capability
from amparo.accounts.models import User
from amparo.accounts.roles import Cap

from . import events
from .access import get_activity_for_user
from .identity import request_person
from .models import Person

#: whom an invitation goes to: an event's committee, or every member past sign-up
INVITE_STATUSES = [
    Person.Status.CONFIRMED,
    Person.Status.ORIENTED,
    Person.Status.TRAINED,
    Person.Status.ACTIVE,
]


@require_POST
def event_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed-in member's own answer: going (``going=1``) or not."""
    activity = get_activity_for_user(request, pk, capability=None, starts_at__gt=timezone.now())
    person = request_person(request)
    if person is None:
        raise Http404
    going = request.POST.get("going") == "1"
    try:
        rsvp = events.rsvp_set(
            activity=activity,
            person=person,
            going=going,
            via="web",
            actor=cast(User, request.user),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dashboard")
    if rsvp.status == rsvp.Status.GOING:
        messages.success(request, _("You are on the list."))
    elif rsvp.status == rsvp.Status.WAITING:
        messages.success(request, _("The event is full: you are on the waiting list."))
    else:
        messages.success(request, _("Thank you for telling us."))
    return redirect("dashboard")


@require_POST
def event_invite(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request, pk, capability=Cap.MEMBERS_MANAGE)
    who = request.POST.get("who", "")
    people = Person.objects.filter(network=activity.network)
    if who == "committee" and activity.committee_id:
        people = people.filter(committees__committee_id=activity.committee_id)
    elif who == "members":
        people = people.filter(status__in=INVITE_STATUSES)
    else:
        messages.error(request, _("Choose whom to invite."))
        return redirect("people:checkin", pk=activity.pk)
    try:
        sent = events.event_invite(
            activity=activity,
            people=list(people.exclude(status=Person.Status.REMOVED).distinct()),
            actor=cast(User, request.user),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitations sent: %(n)s.") % {"n": sent})
    return redirect("people:checkin", pk=activity.pk)


def may_invite(request: HttpRequest) -> bool:
    return has_capability(request, Cap.MEMBERS_MANAGE)
