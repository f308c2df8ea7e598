"""The "Logins" page (/accounts/logins/): accounts of the network, roles, deactivation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .access import (
    capability_required,
    get_membership_for_user,
    has_capability,
    request_network,
    request_user,
)
from .audit import audit_record
from .forms import LoginAddForm
from .logins import PAGE_SIZE, assignable_roles, login_rows, logins_queryset
from .models import AuditEvent, User
from .roles import Cap
from .services import (
    login_add,
    membership_activate,
    membership_deactivate,
    membership_set_roles,
    password_link_days,
)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the list, on the page the form was on."""
    url = reverse("logins:list")
    page = request.POST.get("page", "")
    if page.isdigit():
        url += f"?page={page}"
    return HttpResponseRedirect(url)


@never_cache
@require_GET
@capability_required(Cap.NETWORK_MANAGE)
def logins(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    paginator = Paginator(logins_queryset(network), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = login_rows(list(page.object_list))
    audit_record(
        action=AuditEvent.Action.READ,
        actor=request.user,
        network=network,
        note=f"logins page={page.number} rows={len(rows)}",
    )
    context: dict[str, Any] = {
        "rows": rows,
        "page": page,
        "roles": assignable_roles(),
        "me": request.user.pk,
        "can_reset_factors": has_capability(request, Cap.MEMBERS_MANAGE),
        "here": request.get_full_path(),
    }
    return render(request, "accounts/logins.html", context)


@require_POST
def logins_roles(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    known = {role.slug for role in assignable_roles()}
    wanted = request.POST.getlist("roles")
    if any(slug not in known for slug in wanted):
        messages.error(request, _("One of the roles chosen does not exist. Nothing was changed."))
        return _back(request)
    try:
        revoked = membership_set_roles(
            membership=membership, roles=wanted, by=request_user(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    if revoked:
        messages.success(
            request,
            ngettext(
                "Roles saved. The account was logged out everywhere (%(count)s open session).",
                "Roles saved. The account was logged out everywhere (%(count)s open sessions).",
                revoked,
            )
            % {"count": revoked},
        )
    else:
        messages.success(request, _("Roles saved."))
    return _back(request)


@require_POST
def logins_deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot turn off your own account."))
        return _back(request)
    try:
        # one transaction: the membership ends, the account too if this was its last
        # network, and every open session of the person
        revoked = membership_deactivate(membership=membership, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    messages.success(
        request,
        ngettext(
            "The account can no longer use this network, and was logged out everywhere "
            "(%(count)s open session).",
            "The account can no longer use this network, and was logged out everywhere "
            "(%(count)s open sessions).",
            revoked,
        )
        % {"count": revoked},
    )
    return _back(request)


@require_POST
def logins_activate(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    if not membership_activate(membership=membership, by=request_user(request)):
        return _back(request)
    user = membership.user
    if user.is_active:
        messages.success(request, _("The account can use this network again."))
    elif user.deactivation_reason == User.Deactivation.SUSPENDED:
        # Which network suspended the person is not said: it is another network's business.
        messages.warning(
            request,
            _(
                "The membership is back on, but the account stays turned off: it was "
                "suspended in another network. Only a coordinator of that network, or the "
                "operator of this server, can turn it back on."
            ),
        )
    else:
        messages.warning(
            request,
            _(
                "The membership is back on, but the account stays turned off: it was turned "
                "off for the whole server, not from this network. Only the operator of this "
                "server can turn it back on."
            ),
        )
    return _back(request)


def _languages(network: Any) -> list[tuple[str, str]]:
    names = {code: str(name) for code, name in settings.LANGUAGES}
    return [(c, names[c]) for c in network.languages if c in names] or list(names.items())


@never_cache
@capability_required(Cap.NETWORK_MANAGE)
def logins_add(request: HttpRequest) -> HttpResponse:
    """Add a login: a new account and the one-time link to give the person (an email
    the server already has is for its operator's ``amparo add-login``)."""
    network = request_network(request)
    form = LoginAddForm(
        request.POST or None, roles=assignable_roles(), languages=_languages(network)
    )
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            _membership, link = login_add(
                network=network,
                email=email,
                roles=form.cleaned_data["roles"],
                language=form.cleaned_data["language"],
                by=request_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            from amparo.twofactor.views import qr_svg

            context = {
                "email": email,
                "link": link,
                "qr": qr_svg(link, title=_("QR code of the link")),
                "valid_days": password_link_days(),
            }
            return render(request, "accounts/logins_added.html", context)
    return render(
        request, "accounts/logins_add.html", {"form": form}, status=400 if form.errors else 200
    )
