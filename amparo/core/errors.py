"""Error pages that never echo the request (no paths, no values)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one place a refusal becomes a response: a missing capability says so, a
    service's refusal (accounts.access.Refused) says its own message."""
    message = getattr(exception, "message", "")
    return render(request, "core/403.html", {"message": message}, status=403)
