"""Object access: every object a view touches comes through here.

Objects of another network answer 404 (never 403, which would confirm they
exist); a missing capability in one's own network answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from .models import Network, User

M = TypeVar("M", bound=models.Model)


def request_user(request: HttpRequest) -> User:
    """The signed-in user (every URL but the allowlisted ones requires a login)."""
    return cast(User, request.user)


def request_network(request: HttpRequest) -> Network:
    network = getattr(request, "network", None)
    if network is None:
        raise Http404
    return network


def has_capability(request: HttpRequest, capability: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and capability in membership.capabilities()


def require_capability(request: HttpRequest, capability: str) -> None:
    request_network(request)
    if not has_capability(request, capability):
        raise PermissionDenied


def capability_required(capability: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require_capability(request, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def network_queryset(
    request: HttpRequest,
    source: type[M] | models.QuerySet[M],
    *,
    capability: str | None = None,
    network_field: str = "network",
) -> models.QuerySet[M]:
    """The rows of ``source`` that belong to the request's network."""
    network = request_network(request)
    if capability:
        require_capability(request, capability)
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    return qs.filter(**{network_field: network})


def get_for_request(
    request: HttpRequest,
    source: type[M] | models.QuerySet[M],
    *,
    capability: str | None = None,
    network_field: str = "network",
    **lookup: Any,
) -> M:
    """One object of the request's network, or 404 — whether it is missing or someone else's."""
    qs = network_queryset(request, source, capability=capability, network_field=network_field)
    try:
        return qs.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
