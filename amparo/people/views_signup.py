"""Public volunteer sign-up pages: no login, no JavaScript needed, nothing echoed that
tells whether a number or email was already known."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.models import Network
from amparo.lib.addresses import client_address
from amparo.lib.phones import display_phone

from . import antiabuse
from .forms_signup import SignupForm
from .signup import (
    SessionFull,
    consent_text,
    email_confirmation_find,
    signup_confirm,
    signup_submit,
)

MAX_CHALLENGE = 400
MAX_NONCE = 32


def _network(slug: str) -> Network:
    return get_object_or_404(Network, slug=slug, is_active=True)


def _pow_error(reason: str) -> str:
    if reason == "expired":
        return _("This form was open for a long time. Please check your answers and send it again.")
    if reason == "too-fast":
        return _("Please take a moment to check your answers, then send the form again.")
    return _("We could not check that a person sent this form. Please send it again.")


def _too_many(request: HttpRequest, network: Network, wait: int) -> HttpResponse:
    response = render(
        request,
        "people/signup_limited.html",
        {
            "join_network": network,
            "minutes": max(1, (wait + 59) // 60),
            "hotline": display_phone(network.hotline_number) if network.hotline_number else "",
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _submitted(request: HttpRequest, network: Network, form: SignupForm) -> HttpResponse | None:
    """Handle a posted form: a response, or None to show the form again with its errors."""
    challenge = request.POST.get("pow_challenge", "")[:MAX_CHALLENGE]
    nonce = request.POST.get("pow_nonce", "")[:MAX_NONCE]
    check = antiabuse.challenge_check(network=network, challenge=challenge, nonce=nonce)
    address = client_address(request=request)
    if not (form.is_valid() and check.ok):
        wait = antiabuse.signup_rate_check(network=network, address=address, solved=check.solved)
        if wait:
            return _too_many(request, network, wait)
        if not check.ok:
            form.add_error(None, _pow_error(check.reason))
        return None
    data = form.to_data()
    contacts = [f"phone:{data.phone}"] if data.phone else []
    contacts += [f"email:{data.email}"] if data.email else []
    admission = antiabuse.signup_admit(
        network=network,
        address=address,
        solved=check.solved,
        challenge=challenge,
        contacts=contacts,
    )
    if admission.wait:
        return _too_many(request, network, admission.wait)
    if not admission.fresh:
        form.add_error(None, _pow_error("replayed"))
        return None
    try:
        signup_submit(network=network, data=data)
    except SessionFull:
        form.add_error("session", _("That session has just filled up. Please choose another."))
        return None
    # Said from what was typed, never from what the database knew.
    by_email = data.email and (data.confirm_by == "email" or not data.phone)
    done = reverse("signup_done", kwargs={"network_slug": network.slug})
    return redirect(f"{done}?by={'email' if by_email else 'sms'}")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, network_slug: str) -> HttpResponse:
    network = _network(network_slug)
    language = getattr(request, "LANGUAGE_CODE", "")
    if request.method == "POST":
        form = SignupForm(request.POST, network=network, language=language)
        response = _submitted(request, network, form)
        if response is not None:
            return response
    else:
        form = SignupForm(network=network, language=language)
    return render(
        request,
        "people/signup.html",
        {
            "join_network": network,
            "form": form,
            "consent_text": consent_text(network=network),
            "challenge": antiabuse.challenge_issue(network=network),
            "pow_bits": settings.SIGNUP_POW_BITS,
        },
    )


@login_not_required
@require_GET
def signup_done(request: HttpRequest, network_slug: str) -> HttpResponse:
    network = _network(network_slug)
    by = "email" if request.GET.get("by") == "email" else "sms"
    return render(request, "people/signup_done.html", {"join_network": network, "by": by})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm_view(request: HttpRequest, network_slug: str, token: str) -> HttpResponse:
    """The link in the confirmation email. GET only shows a button: mail scanners that
    open links must not confirm anyone; the person's POST does."""
    network = _network(network_slug)
    confirmation = email_confirmation_find(network=network, token=token)
    if confirmation is None:
        return render(
            request,
            "people/signup_confirm.html",
            {"join_network": network, "state": "invalid"},
            status=404,
        )
    state = "confirmed" if confirmation.confirmed_at else "pending"
    if request.method == "POST" and state == "pending":
        signup_confirm(confirmation=confirmation)
        state = "confirmed"
    return render(request, "people/signup_confirm.html", {"join_network": network, "state": state})
