"""After a panic wipe, every request (webhooks included) gets the plain "keys are gone"
page (503; ``/healthz`` too, with the reason): docs/backups-and-panic.md.

Early in the stack: after the static files (the page keeps its stylesheet), before the
session and everything that reads the keys. The marker is looked for at most once a
second per process (``keys.panicked``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from amparo.lib.crypto.keys import panicked

#: What /healthz says after a panic (for machines and operators; not translated).
HEALTH_REASON = "panic wipe: this server's keys were destroyed; it serves nothing"


def keys_gone_response(request: HttpRequest) -> HttpResponse:
    if request.path_info == "/healthz":
        response: HttpResponse = JsonResponse({"ok": False, "reason": HEALTH_REASON}, status=503)
    else:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            page = render_to_string("core/keys_gone.html", {"LANG": translation.get_language()})
        response = HttpResponse(page, status=503)
        response["Content-Language"] = language
    add_never_cache_headers(response)
    # Logged once, by the wipe; not a "Service Unavailable" error line per request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class PanicMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if panicked():
            return keys_gone_response(request)
        return self.get_response(request)
