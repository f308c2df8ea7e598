"""The "forgot password" form, bounded and telling nothing (issue 15.6).

- Per client address (``PASSWORD_RESET_RATE_LIMITS``: past it, 429 with the wait) and
  per account (``PASSWORD_RESET_MAIL_LIMITS``: past it no mail, the same page), counted
  under keyed hashes; never the login counters, so asking for links never locks the
  real person out.
- The same work for every email: the request only counts and enqueues
  :func:`password_reset_mail` with the email's blind index; the worker looks the
  account up. The answer's time does not say whether an account exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from huey.contrib.djhuey import db_task

from amparo.accounts.forms import ResetForm
from amparo.accounts.models import Membership, User
from amparo.accounts.services import password_set_link
from amparo.channels.outbox import outbox_write
from amparo.lib.addresses import client_address
from amparo.lib.crypto.blind import email_index, normalize_email
from amparo.people.antiabuse import rate_hit

PURPOSE = "password-reset"


def password_reset_request(*, request: HttpRequest, email: str) -> int:
    """Count one request and, within the limits, enqueue the mail. Returns 0, or the
    seconds this address must wait (the account's limit is never shown)."""
    wait = rate_hit(
        scope="password-reset-address",
        value=client_address(request=request),
        limits=settings.PASSWORD_RESET_RATE_LIMITS,
    )
    if wait:
        return wait
    key = email_index(normalize_email(email))
    if not rate_hit(
        scope="password-reset-account", value=key, limits=settings.PASSWORD_RESET_MAIL_LIMITS
    ):
        password_reset_mail(key, translation.get_language() or settings.LANGUAGE_CODE)
    return 0


def reset_user(key: str) -> User | None:
    """The account a reset link may be mailed to (``ResetForm.get_users``'s rules)."""
    user = User.objects.filter(email_index=key).first()
    if user is None:
        return None
    return next(iter(ResetForm().get_users(user.email)), None)


@db_task()
def password_reset_mail(key: str, language: str) -> bool:
    """In the worker: write the link for the account whose email has blind index ``key``."""
    user = reset_user(key)
    membership = (
        Membership.objects.filter(user=user, network__is_active=True)
        .select_related("network")
        .order_by("pk")
        .first()
        if user is not None
        else None
    )
    if user is None or membership is None:
        return False
    language = user.language or language
    with translation.override(language):
        body = render_to_string(
            "accounts/password_reset_email.txt", {"link": password_set_link(user=user)}
        )
    outbox_write(
        network=membership.network,
        channel="email",
        to=user.email,
        body=body,
        purpose=PURPOSE,
        language=language,
        expires_at=timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    return True


class ResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset.html"

    def form_valid(self, form: Any) -> HttpResponse:
        wait = password_reset_request(request=self.request, email=form.cleaned_data["email"])
        if wait:
            minutes = max(1, (wait + 59) // 60)
            response = render(
                self.request, "accounts/password_reset_wait.html", {"minutes": minutes}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return HttpResponseRedirect(reverse("password_reset_done"))
