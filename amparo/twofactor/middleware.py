"""The two-factor gate: a password alone opens nothing that shows people's data.

A logged-in account that must pass a second factor and has not in this session is
refused every view except public ones, the two-factor pages (:func:`two_factor_exempt`)
and logging out: a GET goes to verify (or set-up) with ``next``, anything else gets
403. Decided in ``process_view``, per view not per URL prefix, so a new page is covered
without anyone remembering to list it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .policy import has_second_factor, second_factor_asked
from .session import is_verified

F = TypeVar("F", bound=Callable[..., Any])

EXEMPT_ATTRIBUTE = "two_factor_exempt"


def two_factor_exempt(view: F) -> F:
    """Mark a view the gate lets through before the second factor; apply it outermost."""
    setattr(view, EXEMPT_ATTRIBUTE, True)
    return view


def gate_lets_through(view_func: Any) -> bool:
    """Views any logged-in session may reach without a second factor."""
    if getattr(view_func, "login_required", True) is False:  # public pages
        return True
    if getattr(view_func, EXEMPT_ATTRIBUTE, False):
        return True
    view_class = getattr(view_func, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, LogoutView)


def safe_next(request: HttpRequest, candidate: str | None, default: str = "") -> str:
    """``candidate`` if it is a path on this site, else ``default`` (or the dashboard)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("dashboard")


def verify_url(request: HttpRequest, next_url: str) -> str:
    """Where the gate sends a GET: the verify page, or set-up for an account with no
    second factor yet; ``next`` is kept only if it is safe."""
    name = "twofactor:verify" if has_second_factor(request.user) else "twofactor:setup"
    target = safe_next(request, next_url)
    return reverse(name) + "?" + urlencode({"next": target})


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        request.two_factor_verified = authenticated and is_verified(request)  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(request, "two_factor_verified", False):
            return None
        if gate_lets_through(view_func):
            return None
        if not second_factor_asked(user):
            return None
        if request.method in ("GET", "HEAD"):
            return HttpResponseRedirect(verify_url(request, request.get_full_path()))
        return render(
            request,
            "twofactor/required.html",
            {"verify_url": verify_url(request, reverse("dashboard"))},
            status=403,
        )
