"""The responder's magic link (public, no login): the place, who else is coming (a
count), and buttons Going / Not going / Arrived with an ETA."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from amparo.lib.geo import map_links
from amparo.reports.where import incident_place, incident_town

from .answers import answer_record, going_count, recipient_for_token, recipient_is_open
from .forms_respond import AnswerForm
from .models import AlertKind

#: call-outs whose recipients go to the incident's place (a member alert says the town:
#: members are told to stay safe, not sent to the scene)
SENT_TO_THE_PLACE = {AlertKind.SQUAD, AlertKind.VERIFICATION, AlertKind.LEGAL}


@login_not_required
@require_http_methods(["GET", "POST"])
def alert_answer(request: HttpRequest, token: str) -> HttpResponse:
    recipient = recipient_for_token(token)
    if recipient is None:
        raise Http404
    alert = recipient.alert
    translation.activate(recipient.language)
    request.LANGUAGE_CODE = recipient.language
    is_open = recipient_is_open(recipient)
    form = AnswerForm(request.POST or None)
    done = False
    if request.method == "POST" and is_open and form.is_valid():
        recipient = answer_record(
            recipient=recipient,
            answer=form.cleaned_data["answer"],
            via="link",
            eta=form.cleaned_data.get("eta"),
        )
        done = True
    town = incident_town(alert.incident) if alert.incident is not None else ""
    if not is_open:
        # Once the alert is over (ended, cancelled, expired) the link no longer shows
        # where the raid was: the town only.
        context = {
            "recipient": recipient,
            "alert": alert,
            "alert_network": alert.network,
            "is_open": False,
            "ended": True,
            "town": town,
            "form": form,
            "done": False,
        }
        response = render(request, "alerts/answer.html", context, status=410)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    is_legal = alert.kind == AlertKind.LEGAL and alert.facility is not None
    place = None
    facility_map: dict[str, str] = {}
    if is_legal and alert.facility is not None:
        facility_map = map_links(lat=alert.facility.latitude, lng=alert.facility.longitude)
    elif alert.incident is not None and alert.kind in SENT_TO_THE_PLACE:
        place = incident_place(alert.incident)
    context = {
        "recipient": recipient,
        "alert": alert,
        "alert_network": alert.network,
        "is_legal": is_legal,
        "facility": alert.facility,
        "facility_map": facility_map,
        "place": place,
        "town": town,
        "going": going_count(alert),
        "form": form,
        "is_open": is_open,
        "done": done,
    }
    response = render(request, "alerts/answer.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
