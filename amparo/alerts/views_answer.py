"""The responder's magic link (public, no login): the place, who else is coming (a
count), and buttons Going / Not going / Arrived with an ETA."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from .answers import answer_record, going_count, recipient_for_token, recipient_is_open
from .forms_respond import AnswerForm
from .models import AlertKind
from .services import alert_place


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
    map_link = ""
    center = None
    if not is_open:
        # Once the alert is over the link no longer shows where the raid was.
        context = {
            "recipient": recipient,
            "alert": alert,
            "alert_network": alert.network,
            "is_open": False,
            "ended": True,
            "form": form,
            "done": False,
        }
        response = render(request, "alerts/answer.html", context, status=410)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    if alert.kind == AlertKind.LEGAL and alert.facility is not None:
        center = (alert.facility.latitude, alert.facility.longitude)
    elif alert.incident is not None and alert.incident.point:
        center = (alert.incident.point["lat"], alert.incident.point["lng"])
    if center is not None:
        lat, lng = round(center[0], 3), round(center[1], 3)  # coarse: ~100 m
        map_link = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=15/{lat}/{lng}"
    context = {
        "recipient": recipient,
        "alert": alert,
        "alert_network": alert.network,
        "is_legal": alert.kind == AlertKind.LEGAL,
        "facility": alert.facility,
        "place": alert_place(alert),
        "map_link": map_link,
        "going": going_count(alert),
        "form": form,
        "is_open": is_open,
        "done": done,
    }
    response = render(request, "alerts/answer.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
