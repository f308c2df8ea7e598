"""The coordinator's panic page: ``amparo panic``'s wipe from a browser (docs/backups-and-panic.md).

Guarded three ways: ``Cap.NETWORK_MANAGE``; a second factor passed in the last five
minutes (a stolen open session is not enough); the network's short name typed exactly.
Offered only when this Amparo holds a single active network (it destroys every key)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import capability_required, request_network
from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.twofactor.session import verified_within

from .panic import audit_panic_start, panic_wipe

#: The second factor must have been passed this recently (seconds).
STEP_UP_SECONDS = 300


class PanicForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the network's short name to confirm"),
        max_length=60,
        error_messages={"required": _("Type the network's short name to confirm.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, slug: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slug = slug

    def clean_confirm(self) -> str:
        typed = str(self.cleaned_data["confirm"]).strip()
        if typed != self.slug:
            raise forms.ValidationError(
                _("That is not the network's short name. Nothing was wiped."), code="mismatch"
            )
        return typed


def only_network(network: Network) -> bool:
    """True when ``network`` is the one active network of this installation."""
    active = list(Network.objects.filter(is_active=True).values_list("pk", flat=True)[:2])
    return active == [network.pk]


def _step_up(request: HttpRequest) -> HttpResponse:
    target = reverse("twofactor:verify") + "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(target)


@never_cache
@require_http_methods(["GET", "POST"])
@capability_required(Cap.NETWORK_MANAGE)
def panic(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    if not only_network(network):
        # Explained before any step-up: nothing here can be done from a browser.
        return render(
            request,
            "core/panic.html",
            {"shared": True},
            status=409 if request.method == "POST" else 200,
        )
    if not verified_within(request, STEP_UP_SECONDS):
        return _step_up(request)
    form = PanicForm(request.POST if request.method == "POST" else None, slug=network.slug)
    if request.method == "POST" and form.is_valid():
        audit_panic_start(source="web", actor=request.user, network=network)
        # Audited before only: afterwards no process may use the index key that chains
        # the audit log (amparo.lib.crypto.keys.refuse_after_panic).
        result = panic_wipe()
        # Not logout(): its signals hash the address and write the audit log, and no
        # key may be used now. The session row is already gone; forget it here too.
        request.session.flush()
        request.user = AnonymousUser()
        request.network = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        return render(
            request,
            "core/panic_done.html",
            {"key_in_environment": bool(result.in_environment or result.unshredded)},
        )
    return render(
        request,
        "core/panic.html",
        {"form": form, "slug": network.slug},
        status=400 if form.errors else 200,
    )
