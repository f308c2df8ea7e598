"""The coordinator's page of unusual reading, with the "suspend account" action."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .access import (
    capability_required,
    get_membership_for_user,
    has_capability,
    request_network,
    request_user,
)
from .reading import DEFAULT_MINUTES, DEFAULT_READS, account_suspend, unusual_readers
from .roles import Cap


class ThresholdForm(forms.Form):
    reads = forms.IntegerField(
        label=gettext_lazy("More than this many records"),
        min_value=1,
        max_value=10000,
        initial=DEFAULT_READS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Within this many minutes"),
        min_value=1,
        max_value=24 * 60,
        initial=DEFAULT_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


@never_cache
@require_GET
@capability_required(Cap.AUDIT_VIEW)
def unusual_reading(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    data = request.GET if request.GET else {"reads": DEFAULT_READS, "minutes": DEFAULT_MINUTES}
    form = ThresholdForm(data)
    if not form.is_valid():
        return render(
            request, "accounts/unusual_reading.html", {"form": form, "readers": None}, status=400
        )
    readers = unusual_readers(
        network, reads=form.cleaned_data["reads"], minutes=form.cleaned_data["minutes"]
    )
    return render(
        request,
        "accounts/unusual_reading.html",
        {
            "form": form,
            "readers": readers,
            "can_suspend": has_capability(request, Cap.NETWORK_MANAGE),
            "me": request.user.pk,
        },
    )


@require_POST
def suspend(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_user(request, membership_id)
    back = reverse("audit:unusual_reading")
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot suspend your own account."))
        return HttpResponseRedirect(back)
    try:
        revoked = account_suspend(
            membership=membership, by=request_user(request), reason="unusual-reading"
        )
    except ValidationError as exc:  # the network's last active manager
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _("Account suspended and logged out everywhere (%(count)s open sessions ended).")
        % {"count": revoked},
    )
    return HttpResponseRedirect(back)
