"""The directory of ICE holding facilities and field offices (coordinators edit it)."""

from __future__ import annotations

from django import forms
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import capability_required, network_queryset, request_network
from amparo.accounts.roles import Cap

from .access import get_facility_for_user
from .facilities import FIELDS, facility_save
from .models import Facility


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = list(FIELDS)

    def clean_latitude(self) -> float:
        value = float(self.cleaned_data["latitude"])
        if not -90 <= value <= 90:
            raise forms.ValidationError("-90 … 90")
        return value

    def clean_longitude(self) -> float:
        value = float(self.cleaned_data["longitude"])
        if not -180 <= value <= 180:
            raise forms.ValidationError("-180 … 180")
        return value


@capability_required(Cap.NETWORK_MANAGE)
def facilities(request: HttpRequest) -> HttpResponse:
    items = network_queryset(request, Facility).order_by("-is_active", "kind", "name")
    return render(request, "alerts/facilities.html", {"facilities": items})


@require_http_methods(["GET", "POST"])
@capability_required(Cap.NETWORK_MANAGE)
def facility(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_facility_for_user(request, pk) if pk is not None else None
    # the form edits a copy: the row changes only through the service
    initial = model_to_dict(instance, fields=FIELDS) if instance is not None else None
    form = FacilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        facility_save(
            network=request_network(request),
            facility=instance,
            data=form.cleaned_data,
            actor=request.user,
        )
        return redirect("alerts:facilities")
    return render(request, "alerts/facility.html", {"form": form, "facility": instance})
