"""Every Twilio endpoint goes through :func:`twilio_webhook`.

It refuses (403) every request while no auth token is configured, refuses bodies over
``MAX_BODY`` (413) before anything parses them, and checks ``X-Twilio-Signature``
with the official :class:`RequestValidator` against ``PUBLIC_URL`` + the request's
path and query — never ``build_absolute_uri``: behind a proxy, what Django sees is
not the URL Twilio signed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

#: Twilio's webhook bodies are a few hundred bytes; anything near this is not Twilio.
MAX_BODY = 64 * 1024

View = Callable[..., HttpResponse]


class BadRequest(Exception):
    """A webhook parameter is missing or malformed: a 4xx, nothing changes."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def refuse(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    # The path and the reason only: never a parameter's value (numbers, message text).
    log.warning("twilio webhook %s: %s (%s)", request.path, exc.reason, exc.status)
    return HttpResponse(exc.reason, status=exc.status, content_type="text/plain")


def public_url(path: str) -> str:
    """The absolute URL Twilio uses for ``path`` (a path with its query)."""
    return settings.PUBLIC_URL.rstrip("/") + path


def signature_valid(request: HttpRequest, token: str) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not token:
        return False
    url = public_url(request.get_full_path())
    params = request.POST if request.method == "POST" else {}
    return bool(RequestValidator(token).validate(url, params, signature))


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY + 1


def twilio_webhook(view: View) -> View:
    """Public, size-limited, signature-checked, POST only; a view's BadRequest is its 4xx."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = settings.TWILIO_AUTH_TOKEN.strip()
        if not token:
            log.warning("twilio webhook refused: no TWILIO_AUTH_TOKEN configured")
            return HttpResponse("Twilio is not configured.", status=403, content_type="text/plain")
        if _content_length(request) > MAX_BODY:
            log.warning("twilio webhook refused: body too large")
            return HttpResponse("Request too large.", status=413, content_type="text/plain")
        if not signature_valid(request, token):
            log.warning("twilio webhook refused: bad or missing signature on %s", request.path)
            return HttpResponse("Invalid signature.", status=403, content_type="text/plain")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return refuse(request, exc)

    return login_not_required(csrf_exempt(wrapped))
