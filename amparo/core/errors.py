"""Error pages that never echo the request (no paths, no values)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from amparo.reports.views_public import report_form_refused


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one place a refusal becomes a response: a missing capability says so, a
    service's refusal (accounts.access.Refused) says its own message."""
    message = getattr(exception, "message", "")
    return render(request, "core/403.html", {"message": message}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: the public report form comes back as typed; any other
    page says what happened and what to do, in the person's language."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.url_name == "report_form" and request.method == "POST":
        return report_form_refused(request, **match.kwargs)
    message = _(
        "This form could not be checked: the page may have been open for a long time, or "
        "your browser did not keep a cookie. Go back, reload the page and send it again."
    )
    return render(request, "core/403.html", {"message": message}, status=403)
