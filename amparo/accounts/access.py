"""Access: the one way a view checks who may see or change what.

- A page without an object (a list, a form that creates one) is guarded by
  ``@capability_required(cap, …)``: 403 unless the member holds one of them.
- Every object a view touches comes through a getter built with :func:`getter`
  and named beside its app (``alerts/access.py: get_alert_for_user`` …). A row that is
  missing, of another network, or (need-to-know, ``all_cap``/``own``:
  accounts/needtoknow.py) not this member's to see answers 404: the page never
  confirms that it exists. A missing capability in one's own network answers 403.
- Lists: :func:`network_queryset`, and :func:`visible` for need-to-know records.
- A service says no with a :class:`Refused` (its own subclass); a view that shows the
  message in its own page catches it, any other becomes the 403 page saying it
  (``amparo.core.errors.forbidden``, the one place refusals turn into a response).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest

from .models import Membership, Network, User
from .needtoknow import assigned_ids
from .roles import Cap

M = TypeVar("M", bound=models.Model)
M_co = TypeVar("M_co", bound=models.Model, covariant=True)

#: one capability, or several of which any one will do
Capability = str | tuple[str, ...]


class Refused(PermissionDenied):
    """A service refusing: ``message`` (translated, or lazily translated) says why, for
    the person. Subclasses name the refusal and may give a default ``message``."""

    message: Any = ""

    def __init__(self, message: Any = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


def request_user(request: HttpRequest) -> User:
    """The signed-in user (every URL but the allowlisted ones requires a login)."""
    return cast(User, request.user)


def request_network(request: HttpRequest) -> Network:
    network = getattr(request, "network", None)
    if network is None:
        raise Http404
    return network


def has_capability(request: HttpRequest, capability: Capability) -> bool:
    membership = getattr(request, "membership", None)
    wanted = (capability,) if isinstance(capability, str) else capability
    return membership is not None and not membership.capabilities().isdisjoint(wanted)


def members_with_capability(network: Any, capability: str, *, user: Any = None) -> list[Membership]:
    """The active memberships of active accounts in ``network`` (``user``'s only, when
    given) whose roles hold ``capability``, with their user."""
    memberships = Membership.objects.filter(network=network, is_active=True, user__is_active=True)
    if user is not None:
        memberships = memberships.filter(user=user)
    memberships = memberships.select_related("user").prefetch_related("roles")
    return [m for m in memberships if capability in m.capabilities()]


def capability_required(*capabilities: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for members holding any one of ``capabilities``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            request_network(request)
            if not has_capability(request, capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def network_queryset(
    request: HttpRequest,
    source: type[M] | models.QuerySet[M],
    *,
    network_field: str = "network",
) -> models.QuerySet[M]:
    """The rows of ``source`` that belong to the request's network."""
    network = request_network(request)
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    return qs.filter(**{network_field: network})


def visible(
    request: HttpRequest,
    source: type[M] | models.QuerySet[M],
    *,
    all_cap: str | None,
    own: str | None = None,
    network_field: str = "network",
) -> models.QuerySet[M]:
    """The rows of ``source`` in the request's network that this member may see: all of
    them with ``all_cap`` (or when there is none: no need-to-know); otherwise those whose
    ``own`` field is the user (when given) and those assigned to the user, not expired
    nor revoked."""
    qs = network_queryset(request, source, network_field=network_field)
    if all_cap is None or has_capability(request, all_cap):
        return qs
    user = request_user(request)
    allowed = Q(pk__in=assigned_ids(user, qs.model, request_network(request)))
    if own:
        allowed |= Q(**{own: user})
    return qs.filter(allowed)


class Getter(Protocol[M_co]):
    def __call__(
        self, request: HttpRequest, pk: Any, *, capability: Capability | None = ..., **where: Any
    ) -> M_co: ...


def getter(
    source: type[M] | models.QuerySet[M],
    *,
    capability: Capability | None,
    allow: Callable[[HttpRequest, M], bool] | None = None,
    all_cap: str | None = None,
    own: str | None = None,
    network_field: str = "network",
) -> Getter[M]:
    """``get_<thing>_for_user(request, pk, capability=…)`` for one kind of row: its
    queryset, its network, its need-to-know rule (``all_cap``, ``own``: see
    :func:`visible`), and what its page needs: ``capability``, or else ``allow(request,
    row)`` (a committee's own chair). A view may ask for another capability instead (the
    one of the change it makes): then that capability alone will do.

    The getter answers 403 without the capability, before any lookup (the same answer
    whatever the id), and 404 when the row is missing, another network's, or not this
    member's to see."""
    default = capability

    def get(
        request: HttpRequest, pk: Any, *, capability: Capability | None = default, **where: Any
    ) -> M:
        held = capability is None or has_capability(request, capability)
        rule = allow if capability == default else None
        if not held and rule is None:
            request_network(request)
            raise PermissionDenied
        qs = visible(request, source, all_cap=all_cap, own=own, network_field=network_field)
        try:
            row = qs.get(pk=pk, **where)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise Http404 from None
        if not held and not (rule is not None and rule(request, row)):
            raise PermissionDenied
        return row

    return get


get_membership_for_user = getter(
    Membership.objects.select_related("user", "network"), capability=Cap.NETWORK_MANAGE
)
