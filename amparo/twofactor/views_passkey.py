"""JSON endpoints of the passkey ceremonies (amparo/static/amparo/passkey.js calls them).

POST only, CSRF-checked (X-CSRFToken header), bodies of at most 16 KB; the answer is
``{"ok": true, …}`` or ``{"ok": false, "error": code, "message": sentence}``. Exempt from
the two-factor gate (they are how a session passes it): each checks what it may do."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import passkeys
from .middleware import two_factor_exempt
from .passkeys import PasskeyError
from .policy import has_second_factor
from .session import is_verified, mark_verified, verified_within

MAX_BODY = 16 * 1024
STEP_UP_SECONDS = 300

STATUS = {"too_large": 413, "locked": 429, "step_up": 403, "unavailable": 503}


def _error(error: PasskeyError, **extra: Any) -> JsonResponse:
    body = {"ok": False, "error": error.code, "message": error.message, **extra}
    return JsonResponse(body, status=STATUS.get(error.code, 400))


def _read_json(request: HttpRequest) -> dict[str, Any]:
    too_large = PasskeyError(
        "too_large", _("The request is too large (at most 16 KB). Please try again.")
    )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise too_large
    body = request.body
    if len(body) > MAX_BODY:
        raise too_large
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise PasskeyError(
            "malformed", _("The request could not be read. Please try again.")
        ) from exc
    if not isinstance(data, dict):
        raise PasskeyError("malformed", _("The request could not be read. Please try again."))
    return data


def _safe_next(request: HttpRequest, value: Any) -> str:
    if (
        isinstance(value, str)
        and value
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return ""


def _reverse_or(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(fallback)


def _may_register(request: HttpRequest) -> None:
    """A first factor may be added right after the password (forced set-up); one more needs a
    second factor in the last five minutes, or a stolen password could add a passkey."""
    if not has_second_factor(request.user) or verified_within(request, STEP_UP_SECONDS):
        return
    raise PasskeyError(
        "step_up",
        _(
            "For your safety, confirm it is you with your second factor again, then add the passkey."
        ),
    )


def _register_error(request: HttpRequest, error: PasskeyError, next_url: str) -> JsonResponse:
    if error.code == "step_up":
        back = next_url or _reverse_or("twofactor:manage", "dashboard")
        return _error(error, redirect=reverse("twofactor:verify") + "?next=" + quote(back))
    return _error(error)


@two_factor_exempt
@never_cache
@require_POST
def register_options(request: HttpRequest) -> JsonResponse:
    next_url = ""
    try:
        data = _read_json(request)
        next_url = _safe_next(request, data.get("next"))
        _may_register(request)
        options = passkeys.registration_options(
            user=request.user,  # type: ignore[arg-type]
            network=getattr(request, "network", None),
            session=request.session,
        )
    except PasskeyError as error:
        return _register_error(request, error, next_url)
    return JsonResponse({"ok": True, "options": json.loads(options)})


@two_factor_exempt
@never_cache
@require_POST
def register(request: HttpRequest) -> JsonResponse:
    next_url = ""
    try:
        data = _read_json(request)
        next_url = _safe_next(request, data.get("next"))
        _may_register(request)
        first_factor = not is_verified(request)
        passkeys.passkey_register(
            user=request.user,  # type: ignore[arg-type]
            network=getattr(request, "network", None),
            session=request.session,
            credential=data.get("credential"),
            label=data.get("label", ""),
        )
    except PasskeyError as error:
        return _register_error(request, error, next_url)
    if first_factor:
        # Forced set-up: the passkey just made is the factor proven; recovery codes next.
        mark_verified(request, "passkey")
        codes = _reverse_or("twofactor:recovery_codes", "dashboard")
        if next_url:
            codes += "?" + urlencode({"next": next_url})
        return JsonResponse({"ok": True, "redirect": codes})
    return JsonResponse({"ok": True, "redirect": next_url})


@two_factor_exempt
@never_cache
@require_POST
def authenticate_options(request: HttpRequest) -> JsonResponse:
    try:
        _read_json(request)
        options = passkeys.authentication_options(
            user=request.user,  # type: ignore[arg-type]
            session=request.session,
        )
    except PasskeyError as error:
        return _error(error)
    return JsonResponse({"ok": True, "options": json.loads(options)})


@two_factor_exempt
@never_cache
@require_POST
def authenticate(request: HttpRequest) -> JsonResponse:
    network = getattr(request, "network", None)
    try:
        data = _read_json(request)
    except PasskeyError as error:
        return _error(
            passkeys.authentication_failed(
                user=request.user,  # type: ignore[arg-type]
                network=network,
                error=error,
            )
        )
    try:
        passkeys.passkey_authenticate(
            user=request.user,  # type: ignore[arg-type]
            network=network,
            session=request.session,
            credential=data.get("credential"),
        )
    except PasskeyError as error:
        return _error(error)
    mark_verified(request, "passkey")
    target = _safe_next(request, data.get("next")) or reverse("dashboard")
    return JsonResponse({"ok": True, "redirect": target})
