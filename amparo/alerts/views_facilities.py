"""The directory of ICE holding facilities and field offices (coordinators edit it)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from amparo.accounts.access import get_for_request, network_queryset, request_network
from amparo.accounts.roles import Cap

from .models import Facility


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = ["kind", "name", "address", "latitude", "longitude", "phone", "notes", "is_active"]

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


def facilities(request: HttpRequest) -> HttpResponse:
    items = network_queryset(request, Facility, capability=Cap.NETWORK_MANAGE).order_by(
        "-is_active", "kind", "name"
    )
    return render(request, "alerts/facilities.html", {"facilities": items})


@require_http_methods(["GET", "POST"])
def facility(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    network = request_network(request)
    instance = (
        get_for_request(request, Facility, capability=Cap.NETWORK_MANAGE, pk=pk)
        if pk is not None
        else None
    )
    if instance is None:
        network_queryset(request, Facility, capability=Cap.NETWORK_MANAGE)  # 403 check
    form = FacilityForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.network = network
        obj.save()
        return redirect("alerts:facilities")
    return render(request, "alerts/facility.html", {"form": form, "facility": instance})
