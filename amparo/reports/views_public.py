"""The public report form (no login, no JavaScript needed) and the responders' form."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.access import request_network, request_user
from amparo.accounts.models import Network
from amparo.people import antiabuse
from amparo.people.identity import person_for_user

from .flood import flood_active, report_pow_bits
from .forms_public import SIZE_CHOICES, UNIFORM_CHOICES, WHEN_CHOICES, ReportForm
from .models import Report, Source
from .services import ReportInput
from .sms import SMS_BODY_MAX, sms_keyword
from .submit import Submitted, photo_prepare, report_part, report_public, report_with_photo

SESSION_KEY = "report_done"


def _network(slug: str) -> Network:
    return get_object_or_404(Network, slug=slug, is_active=True)


def _language(request: HttpRequest) -> str:
    code = (getattr(request, "LANGUAGE_CODE", "") or "es")[:2]
    return code if code in ("en", "es") else "es"


def _done(request: HttpRequest, network: Network, result: Submitted) -> HttpResponse:
    """To the page that shows the report back; what it shows travels in a signed cookie
    (a report's number and whether its photo was kept): no session row written per post."""
    response = redirect("report_done", network=network.slug)
    state = {"id": result.report.pk, "photo_error": result.photo_error}
    state |= {"photo_saved": result.photo_saved, "part": result.part}
    response.set_signed_cookie(
        SESSION_KEY,
        json.dumps(state),
        salt=SESSION_KEY,
        max_age=3600,
        path=reverse("report_done", kwargs={"network": network.slug}),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _form_page(request: HttpRequest, network: Network, form: ReportForm, **extra: Any) -> Any:
    status = extra.pop("status", 200)
    return render(
        request,
        extra.pop("template", "reports/public.html"),
        {
            "report_network": network,
            "form": form,
            **antiabuse.pow_context(network=network, bits=report_pow_bits(network=network)),
            "hotline": antiabuse.hotline_shown(network),
            **extra,
        },
        status=status,
    )


@login_not_required
@never_cache
@require_GET
def report_start(request: HttpRequest) -> HttpResponse:
    """``/report/``: the form itself where the server holds one network, else a chooser."""
    networks = list(Network.objects.filter(is_active=True).order_by("name"))
    if len(networks) == 1:
        return redirect("report_form", network=networks[0].slug)
    return render(request, "reports/choose.html", {"networks": networks})


def _photo_dropped(request: HttpRequest) -> bool:
    """A photo came with a post that is shown again: a browser cannot be given it back."""
    return bool(getattr(request.FILES.get("photo"), "name", ""))


def _sms_body(request: HttpRequest, form: ReportForm) -> str:
    """The text to put in an ``sms:`` link: the keyword, then what the person typed."""
    typed = " ".join(
        (form.data.get(key) or "").strip() for key in ("activity", "where", "equipment")
    )
    return f"{sms_keyword(_language(request))} {' '.join(typed.split())}"[:SMS_BODY_MAX]


def _limited(request: HttpRequest, net: Network, wait: int, form: ReportForm) -> HttpResponse:
    """Past a limit (429): said in the person's language, the form shown back as typed
    (to send later or copy), and the other ways to report: the hotline, a text."""
    return antiabuse.too_many(
        request,
        net,
        wait,
        template="reports/public_limited.html",
        as_name="report_network",
        context={
            "form": form,
            **antiabuse.pow_context(network=net, bits=report_pow_bits(network=net)),
            "photo_dropped": _photo_dropped(request),
            "sms_keyword": sms_keyword(_language(request)),
            "sms_body": _sms_body(request, form),
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
    flooding = flood_active(network=net)  # read once a post (the work asked, the limits)
    bits = report_pow_bits(network=net, flood=flooding)
    post = antiabuse.posted(request=request, network=net, min_bits=bits)
    check = post.check
    photo_dropped = _photo_dropped(request)
    if check.reason == "too-fast":
        # Without JavaScript, sent before the minimum time: shown again as typed, with
        # the same challenge (the time already spent counts); never counted as a post.
        form.is_valid()
        form.add_error(None, too_fast_message())
        return _form_page(request, net, form, challenge=post.challenge, photo_dropped=photo_dropped)
    if not form.is_valid() or not check.ok:
        if not check.ok:
            form.add_error(None, antiabuse.pow_error(check.reason))
        return _form_page(request, net, form, photo_dropped=photo_dropped)
    # Only a post that would be saved counts toward the limits.
    wait, result = report_public(
        network=net,
        post=post,
        data=ReportInput(
            details=form.details(),
            language=_language(request),
            place=form.cleaned_data.get("place"),
            reporter_phone=form.cleaned_data.get("callback", ""),
            low_trust=not check.solved,
            source_address=post.address,
        ),
        upload=request.FILES.get("photo"),
        flood_on=flooding,
    )
    if wait:
        return _limited(request, net, wait, form)
    if result is None:
        form.add_error(None, antiabuse.pow_error("replayed"))
        return _form_page(request, net, form, photo_dropped=photo_dropped)
    return _done(request, net, result)


def report_form_refused(request: HttpRequest, network: str) -> HttpResponse:
    """The form's post refused by the CSRF check (``settings.CSRF_FAILURE_VIEW``): shown
    back as typed, saying why; nothing saved, nothing counted."""
    net = _network(network)
    form = ReportForm(request.POST, network=net)
    form.is_valid()
    form.add_error(
        None,
        _(
            "Your report has not been sent yet: your browser did not send back a check "
            "this page needs (a cookie). Everything you typed is still here: please send "
            "it again. If it is refused again, call the hotline or send a text message."
        ),
    )
    return _form_page(request, net, form, photo_dropped=_photo_dropped(request), status=403)


def too_fast_message() -> str:
    return _(
        "Your report has not been sent yet: it came back too quickly for us to tell that "
        "a person sent it. Everything you typed is still here. Please wait a few seconds, "
        "check it, and send it again."
    )


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
    signed = request.get_signed_cookie(SESSION_KEY, "", salt=SESSION_KEY, max_age=3600)
    state = json.loads(signed) if signed else {}
    report = Report.objects.filter(pk=state.get("id"), network=net).first() if state else None
    return render(
        request,
        "reports/report_done.html",
        {
            "report_network": net,
            "rows": _labels(report_part(report, state.get("part"))) if report else [],
            "town": report.place.name if report and report.place else "",
            "photo_error": state.get("photo_error", ""),
            "photo_saved": state.get("photo_saved", False),
            "again": reverse("report_form", kwargs={"network": net.slug}),
            "hotline": antiabuse.hotline_shown(net),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def report_responder(request: HttpRequest) -> HttpResponse:
    """A member on the scene reports as themselves (login; any member of the network)."""
    net = request_network(request)  # a member of it: the network is the membership's
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
            reporter_person=person_for_user(network=net, user=request_user(request)),
            reporter_user=request_user(request),
        ),
        photo=photo_prepare(request.FILES.get("photo")),
    )
    return _done(request, net, result)
