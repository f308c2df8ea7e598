"""Public volunteer sign-up pages: no login, no JavaScript needed, nothing echoed that
tells whether a number or email was already known."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.models import Network

from . import antiabuse
from .forms_signup import SignupForm
from .record import signup_priorities
from .signup import (
    consent_text,
    email_confirmation_find,
    signup_confirm,
    signup_public,
)
from .surge import surge_message


def _network(slug: str) -> Network:
    return get_object_or_404(Network, slug=slug, is_active=True)


def _too_many(request: HttpRequest, network: Network, wait: int) -> HttpResponse:
    return antiabuse.too_many(
        request, network, wait, template="people/signup_limited.html", as_name="join_network"
    )


def _submitted(request: HttpRequest, network: Network, form: SignupForm) -> HttpResponse | None:
    """Handle a posted form: a response, or None to show the form again with its errors."""
    post = antiabuse.posted(request=request, network=network)
    check = post.check
    if not (form.is_valid() and check.ok):
        wait = antiabuse.signup_rate_check(
            network=network, address=post.address, solved=check.solved
        )
        if wait:
            return _too_many(request, network, wait)
        if not check.ok:
            form.add_error(None, antiabuse.pow_error(check.reason))
        return None
    data = form.to_data()
    admission, full = signup_public(network=network, post=post, data=data)
    if admission.wait:
        return _too_many(request, network, admission.wait)
    if not admission.fresh:
        form.add_error(None, antiabuse.pow_error("replayed"))
        return None
    if full:
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
            "surge_message": surge_message(network, language),
            "priorities": signup_priorities(network, language),
            **antiabuse.pow_context(network=network),
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
