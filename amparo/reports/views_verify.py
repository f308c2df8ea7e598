"""Asking for verification (dispatchers), the verifier's magic-link page and the public
status page (both public: no login; the token is random and the slug is not personal)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.models import Network, User
from amparo.accounts.roles import Cap
from amparo.people.identity import request_person

from .access import get_incident_for_user, get_verification_request_for_user
from .forms_verify import AnswerForm, RequestForm
from .models import VerificationRequest
from .photos import PhotoRefused, photo_clean, photo_read
from .services import IncidentTransitionError
from .verification import (
    VerificationClosed,
    request_for_token,
    status_entries,
    verification_answer,
    verification_request,
    waiting_for,
)
from .where import incident_place, incident_town


@require_POST
def verify_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispatcher asks the nearest trained verifiers to check an incident."""
    incident = get_incident_for_user(request, pk, capability=Cap.DISPATCH)
    form = RequestForm(request.POST or None)
    count, km = 3, 25
    if form.is_valid():
        count, km = form.cleaned_data["count"], form.cleaned_data["within_km"]
    error = ""
    result = None
    try:
        result = verification_request(
            incident=incident,
            actor=request.user if isinstance(request.user, User) else None,
            count=count,
            within_km=km,
        )
    except IncidentTransitionError:
        error = "transition"
    incident.refresh_from_db()
    return render(
        request,
        "reports/verify_requested.html",
        {"incident": incident, "result": result, "error": error},
        status=200 if result is not None and result.found else 409 if error else 200,
    )


def _use_verifier_language(request: HttpRequest, language: str) -> None:
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(language)
        request.LANGUAGE_CODE = language


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_link(request: HttpRequest, network: str, token: str) -> HttpResponse:
    """The magic link a verifier got by SMS: where and what, three answers, note, photo."""
    vr = request_for_token(token)
    if vr is None or vr.incident.network.slug != network:
        raise Http404
    _use_verifier_language(request, vr.verifier.language)
    return _answer_page(request, vr)


@require_http_methods(["GET", "POST"])
def verify_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """The same page for a signed-in verifier, from their dashboard: their own requests."""
    vr = get_verification_request_for_user(
        request, pk, pk__in=waiting_for(request_person(request)).values("pk")
    )
    return _answer_page(request, vr)


def _answer_page(request: HttpRequest, vr: VerificationRequest) -> HttpResponse:
    """Where and what, three answers, note, photo; the answer settles the incident."""
    incident = vr.incident
    closed = ""
    if vr.answered_at:
        closed = "answered"
    elif vr.expires_at <= timezone.now():
        closed = "expired"
    form = AnswerForm()
    done = False
    if request.method == "POST" and not closed:
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            photo = None
            upload = form.cleaned_data.get("photo")
            try:
                raw = photo_read(upload) if upload else None
                if raw is not None:
                    photo = photo_clean(raw)
            except PhotoRefused as refused:
                form.add_error("photo", refused.message)
            if not form.errors:
                try:
                    verification_answer(
                        request=vr,
                        answer=form.cleaned_data["answer"],
                        note=form.cleaned_data["note"],
                        photo=photo,
                    )
                    done = True
                except VerificationClosed as refused:
                    closed = "refused"
                    form.add_error(None, refused.message)
                except IncidentTransitionError:
                    done = True  # recorded; the incident had moved on meanwhile
    # The place, the report's words and a callback number only while the request is
    # open; afterwards the page names the town and nothing else (threat model).
    is_open = not closed and not done
    context = {
        "vr": vr,
        "incident_network": incident.network,
        "place": incident_place(incident, for_verifier=True) if is_open else None,
        "town": incident_town(incident),
        "form": form,
        "closed": closed,
        "done": done,
    }
    status = 410 if closed in ("answered", "expired") and request.method == "POST" else 200
    response = render(request, "reports/verify_link.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@cache_control(public=True, max_age=30)
def status_page(request: HttpRequest, network: str) -> HttpResponse:
    """Confirmed incidents and false-alarm notes of the last 48 hours: town and time only."""
    net = get_object_or_404(Network, slug=network, is_active=True)
    entries = status_entries(network=net)
    return render(
        request,
        "reports/status.html",
        {"status_network": net, "entries": entries, "zone": net.zone()},
    )
