"""Pages of the second step: verify (after the password), set-up (forced the first time),
recovery codes, the person's own factors, and a coordinator's reset for someone else.

Views parse, authorise, call one service, render (DESIGN.md "Where logic lives")."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

import qrcode
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.access import capability_required, request_network
from amparo.accounts.models import Membership, Network, User
from amparo.accounts.roles import Cap
from amparo.accounts.services import password_link_days

from . import services
from .middleware import safe_next, two_factor_exempt
from .models import Passkey, TOTPDevice
from .passkeys import passkeys_available
from .policy import has_second_factor, requires_two_factor
from .session import mark_verified, verified_within

#: Removing a factor, adding one next to an existing one, new recovery codes and a
#: coordinator's reset need a second factor passed this recently.
STEP_UP_SECONDS = 10 * 60
#: The session remembers which not-yet-confirmed device this browser was shown.
PENDING_DEVICE = "amparo_2fa_pending_totp"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code from your app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class RecoveryForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Recovery code"),
        max_length=40,
        help_text=gettext_lazy("One of the ten codes you saved, like 4k7q-m2xd-9wze."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _with_next(name: str, next_url: str, **extra: str) -> str:
    return reverse(name) + "?" + urlencode({**extra, "next": next_url})


def step_up_redirect(request: HttpRequest, come_back_to: str) -> HttpResponseRedirect:
    """Send the person through the verify page, then back to ``come_back_to``."""
    messages.info(request, _("For this, confirm it is you with your second factor again."))
    return HttpResponseRedirect(_with_next("twofactor:verify", safe_next(request, come_back_to)))


def qr_svg(text: str, *, title: str, title_id: str = "qr-title") -> SafeString:
    """A QR code as inline SVG built from the code's modules (no image file, no data:
    URL; the Content-Security-Policy needs nothing new). Dark squares on a white
    background, whatever the page's colours."""
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    squares = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    svg = format_html(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}" shape-rendering="crispEdges"><title id="{}">{}</title>'
        '<rect width="{}" height="{}" fill="#fff"/><path d="{}" fill="#000"/></svg>',
        size,
        size,
        title_id,
        title_id,
        title,
        size,
        size,
        squares,
    )
    return mark_safe(svg)  # noqa: S308 - built from numbers and an escaped title


def group_secret(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, network: Network | None) -> str:
    """otpauth:// for the app: issuer "Amparo", the account named after the network
    (never the email, which an app may back up to a cloud)."""
    import pyotp

    account = network.name if network is not None else "Amparo"
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="Amparo")


# --- verify ---------------------------------------------------------------------------


@two_factor_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    next_url = _next(request)
    if not has_second_factor(user):
        return HttpResponseRedirect(_with_next("twofactor:setup", next_url))
    recovery = (request.POST.get("method") or request.GET.get("method")) == "recovery"
    form_class = RecoveryForm if recovery else CodeForm
    form = form_class(request.POST or None)
    error = ""
    status = 200
    locked = services.locked_until(user)
    if request.method == "POST":
        outcome = services.second_factor_verify(
            user=user,
            code=request.POST.get("code", ""),
            recovery=recovery,
            network=getattr(request, "network", None),
        )
        if outcome.ok:
            mark_verified(request, outcome.method)
            if outcome.method == "recovery":
                left = outcome.recovery_left or 0
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code. %(count)s recovery code is left.",
                        "You used a recovery code. %(count)s recovery codes are left.",
                        left,
                    )
                    % {"count": left},
                )
            return HttpResponseRedirect(next_url)
        status = 400
        locked = outcome.locked_until or services.locked_until(user)
        if locked is not None:
            error = ""
        elif outcome.empty:
            error = _("Type the code first.")
        elif recovery:
            error = _("That recovery code is not right, or it was already used.")
        else:
            error = _(
                "That code is not right, or it was already used. Wait for the next code "
                "in your app and try again."
            )
        form = form_class()
    return render(
        request,
        "twofactor/verify.html",
        {
            "form": form,
            "error": error,
            "locked_until": locked,
            "recovery": recovery,
            "next": next_url,
            "code_url": _with_next("twofactor:verify", next_url),
            "recovery_url": _with_next("twofactor:verify", next_url, method="recovery"),
        },
        status=status,
    )


# --- set-up ---------------------------------------------------------------------------


def _new_codes_page(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    return render(request, "twofactor/recovery_codes_new.html", {"codes": codes, "next": next_url})


@two_factor_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    next_url = _next(request)
    first_time = not has_second_factor(user)
    if not first_time and not verified_within(request, STEP_UP_SECONDS):
        # someone with only the password must not add a factor of their own
        return step_up_redirect(request, _with_next("twofactor:setup", next_url))
    network = getattr(request, "network", None)
    device = services.totp_enrol_start(user=user, reuse_pk=request.session.get(PENDING_DEVICE))
    request.session[PENDING_DEVICE] = device.pk
    form = CodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if services.totp_enrol_confirm(
            device=device, code=request.POST.get("code", ""), network=network
        ):
            request.session.pop(PENDING_DEVICE, None)
            mark_verified(request, "totp")
            if not services.recovery_codes_exist(user):
                codes = services.recovery_codes_generate(user=user, network=network)
                return _new_codes_page(request, codes, next_url)
            messages.success(request, _("Authenticator app added."))
            return HttpResponseRedirect(reverse("twofactor:manage"))
        error = _(
            "That code is not right. Check that the app shows Amparo, then type the six "
            "digits it shows now."
        )
        status = 400
        form = CodeForm()
    uri = provisioning_uri(device.secret, network)
    return render(
        request,
        "twofactor/setup.html",
        {
            "form": form,
            "error": error,
            "first_time": first_time,
            "requires": requires_two_factor(user),
            "qr": qr_svg(uri, title=_("QR code for your authenticator app")),
            "secret_grouped": group_secret(device.secret),
            "next": next_url,
            "passkeys_on": passkeys_available(),
        },
        status=status,
    )


# --- recovery codes -------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many codes are left, and a new set. The first visit after the first factor
    (a passkey's set-up lands here) makes the first set."""
    user = cast(User, request.user)
    next_url = _next(request)
    if not has_second_factor(user):
        return HttpResponseRedirect(_with_next("twofactor:setup", next_url))
    make_new = request.method == "POST" or not services.recovery_codes_exist(user)
    if make_new:
        if not verified_within(request, STEP_UP_SECONDS):
            return step_up_redirect(request, _with_next("twofactor:recovery_codes", next_url))
        codes = services.recovery_codes_generate(
            user=user, network=getattr(request, "network", None)
        )
        return _new_codes_page(request, codes, next_url)
    return render(
        request,
        "twofactor/recovery_codes.html",
        {"left": services.recovery_codes_left(user), "next": next_url},
    )


# --- the person's own factors --------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def manage(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    # through the user: each row knows its user (whose key seals it) without a query
    apps = list(user.totp_devices.filter(confirmed=True).order_by("created_at", "pk"))
    passkeys = list(user.passkeys.order_by("created_at", "pk"))
    requires = requires_two_factor(user)
    factors = len(apps) + len(passkeys)
    return render(
        request,
        "twofactor/manage.html",
        {
            "apps": apps,
            "passkeys": passkeys,
            "factors": factors,
            "requires": requires,
            "can_remove": factors > 1 or not requires,
            "left": services.recovery_codes_left(user),
            "has_codes": services.recovery_codes_exist(user),
            "next": reverse("twofactor:manage"),
            "passkeys_on": passkeys_available(),
        },
    )


@require_POST
def remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    back = reverse("twofactor:manage")
    rows: dict[str, Any] = {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True),
        "passkey": Passkey.objects.filter(user=user),
    }
    if kind not in rows or not rows[kind].filter(pk=pk).exists():
        raise Http404
    if not verified_within(request, STEP_UP_SECONDS):
        return step_up_redirect(request, back)
    try:
        removed = services.factor_remove(
            user=user, kind=kind, pk=pk, network=getattr(request, "network", None)
        )
    except services.LastFactorError:
        messages.error(
            request,
            _(
                "This is your only second factor, and your roles need one. Add another "
                "(an app or a passkey) before you remove this one."
            ),
        )
        return HttpResponseRedirect(back)
    if not removed:
        raise Http404
    messages.success(request, _("Removed."))
    return HttpResponseRedirect(back)


# --- a coordinator's reset -----------------------------------------------------------


def _reset_refused_page(request: HttpRequest, reason: str, back: str) -> HttpResponse:
    if reason == "other_network":
        message = _(
            "Nothing was changed. This person also belongs to another network, and two-step "
            "sign-in is the same in every network, so a coordinator of one network cannot "
            "reset it. Ask the server's operator."
        )
    else:
        message = _(
            "Nothing was changed. This person can do things in this network that you "
            "cannot, so you cannot reset their two-step sign-in. Ask a coordinator who has "
            "all of their permissions, or the server's operator."
        )
    return render(
        request, "twofactor/reset_refused.html", {"message": message, "back": back}, status=403
    )


@never_cache
@require_POST
@capability_required(Cap.MEMBERS_MANAGE)
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Clear a member's factors and password (``members.manage``) and show the coordinator,
    once, the password-set link: in no URL, redirect, cache, log or audit row."""
    network = request_network(request)
    membership = (
        Membership.objects.filter(network=network, user_id=user_id).select_related("user").first()
    )
    if membership is None:
        raise Http404
    back = safe_next(request, request.POST.get("next"))
    if membership.user_id == request.user.pk:
        messages.error(request, _("Use your own two-step sign-in page to change your factors."))
        return HttpResponseRedirect(back)
    if not verified_within(request, STEP_UP_SECONDS):
        return step_up_redirect(request, back)
    try:
        result = services.two_factor_reset(target=membership.user, by=request.user, network=network)
    except services.ResetRefused as refused:
        return _reset_refused_page(request, refused.reason, back)
    valid_days = password_link_days()
    return render(
        request,
        "twofactor/reset_done.html",
        {
            "sessions": result.sessions,
            "link": result.password_link,
            "qr": qr_svg(result.password_link, title=_("QR code of the link")),
            "valid_days": valid_days,
            "back": back,
        },
    )
