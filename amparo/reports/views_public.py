"""The public report form (no login, no JavaScript needed) and the responders' form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.access import request_user
from amparo.accounts.models import Network
from amparo.lib.addresses import client_address
from amparo.lib.phones import display_phone
from amparo.people import antiabuse

from .forms_public import SIZE_CHOICES, UNIFORM_CHOICES, WHEN_CHOICES, ReportForm
from .models import Report, Source
from .photos import MAX_BYTES
from .services import ReportInput
from .submit import Submitted, report_rate_check, report_with_photo, responder_person

MAX_CHALLENGE = 400
MAX_NONCE = 32
SESSION_KEY = "report_done"


def _network(slug: str) -> Network:
    return get_object_or_404(Network, slug=slug, is_active=True)


def _language(request: HttpRequest) -> str:
    code = (getattr(request, "LANGUAGE_CODE", "") or "es")[:2]
    return code if code in ("en", "es") else "es"


def _photo_bytes(request: HttpRequest) -> bytes | None:
    upload = request.FILES.get("photo")
    if upload is None:
        return None
    if upload.size is not None and upload.size > MAX_BYTES:
        return b"\0" * (MAX_BYTES + 1)  # refused by size without reading it all
    return upload.read(MAX_BYTES + 1)


def _pow_error(reason: str) -> str:
    if reason == "expired":
        return _("This form was open for a long time. Please check your answers and send it again.")
    if reason == "too-fast":
        return _("Please take a moment to check your answers, then send the form again.")
    return _("We could not check that a person sent this form. Please send it again.")


def _too_many(request: HttpRequest, network: Network, wait: int) -> HttpResponse:
    response = render(
        request,
        "reports/public_limited.html",
        {
            "report_network": network,
            "minutes": max(1, (wait + 59) // 60),
            "hotline": display_phone(network.hotline_number) if network.hotline_number else "",
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _done(request: HttpRequest, network: Network, result: Submitted) -> HttpResponse:
    request.session[SESSION_KEY] = {
        "id": result.report.pk,
        "photo_error": result.photo_error,
        "photo_saved": result.photo_saved,
    }
    return redirect("report_done", network=network.slug)


def _form_page(request: HttpRequest, network: Network, form: ReportForm, **extra: Any) -> Any:
    return render(
        request,
        extra.pop("template", "reports/public.html"),
        {
            "report_network": network,
            "form": form,
            "challenge": antiabuse.challenge_issue(network=network),
            "pow_bits": settings.SIGNUP_POW_BITS,
            "hotline": display_phone(network.hotline_number) if network.hotline_number else "",
            **extra,
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, network: str) -> HttpResponse:
    net = _network(network)
    if request.method != "POST":
        return _form_page(request, net, ReportForm(network=net))
    form = ReportForm(request.POST, network=net)
    challenge = request.POST.get("pow_challenge", "")[:MAX_CHALLENGE]
    nonce = request.POST.get("pow_nonce", "")[:MAX_NONCE]
    check = antiabuse.challenge_check(network=net, challenge=challenge, nonce=nonce)
    address = client_address(request=request)
    wait = report_rate_check(network=net, address=address, solved=check.solved)
    if wait:
        return _too_many(request, net, wait)
    if not form.is_valid() or not check.ok:
        if form.is_bound and not check.ok:
            form.add_error(None, _pow_error(check.reason))
        return _form_page(request, net, form)
    if not antiabuse.challenge_spend(challenge=challenge):
        form.add_error(None, _pow_error("replayed"))
        return _form_page(request, net, form)
    result = report_with_photo(
        network=net,
        source=Source.WEB,
        data=ReportInput(
            details=form.details(),
            language=_language(request),
            place=form.cleaned_data.get("place"),
            reporter_phone=form.cleaned_data.get("callback", ""),
            low_trust=not check.solved,
        ),
        photo=_photo_bytes(request),
    )
    return _done(request, net, result)


def _labels(details: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) pairs to show back, as text (autoescaped in the template)."""
    choices = {
        "size": dict(SIZE_CHOICES),
        "uniform": dict(UNIFORM_CHOICES),
        "time": dict(WHEN_CHOICES),
    }
    names = {
        "activity": _("What is happening?"),
        "where": _("Workplace or address"),
        "size": _("How many agents?"),
        "uniform": _("Which agency or uniform?"),
        "time": _("When?"),
        "equipment": _("Vehicles (how many, what kind)"),
        "text": _("Message"),
    }
    rows = []
    for key, name in names.items():
        value = details.get(key)
        if value:
            shown = choices.get(key, {}).get(value, value)
            rows.append((str(name), str(shown)))
    return rows


@login_not_required
@never_cache
@require_GET
def report_done(request: HttpRequest, network: str) -> HttpResponse:
    net = _network(network)
    state = request.session.get(SESSION_KEY) or {}
    report = Report.objects.filter(pk=state.get("id"), network=net).first() if state else None
    return render(
        request,
        "reports/report_done.html",
        {
            "report_network": net,
            "rows": _labels(report.details) if report else [],
            "town": report.place.name if report and report.place else "",
            "photo_error": state.get("photo_error", ""),
            "photo_saved": state.get("photo_saved", False),
            "again": reverse("report_form", kwargs={"network": net.slug}),
            "hotline": display_phone(net.hotline_number) if net.hotline_number else "",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def report_responder(request: HttpRequest) -> HttpResponse:
    """A member on the scene reports as themselves (login; any member of the network)."""
    net = getattr(request, "network", None)
    membership = getattr(request, "membership", None)
    if net is None:
        raise Http404
    if membership is None:
        raise PermissionDenied
    if request.method != "POST":
        form = ReportForm(network=net, with_callback=False)
        return _form_page(request, net, form, template="reports/responder.html")
    form = ReportForm(request.POST, network=net, with_callback=False)
    if not form.is_valid():
        return _form_page(request, net, form, template="reports/responder.html")
    result = report_with_photo(
        network=net,
        source=Source.RESPONDER,
        data=ReportInput(
            details=form.details(),
            language=_language(request),
            place=form.cleaned_data.get("place"),
            reporter_person=responder_person(network=net, user=request_user(request)),
            reporter_user=request_user(request),
        ),
        photo=_photo_bytes(request),
    )
    return _done(request, net, result)
