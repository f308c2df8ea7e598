"""The coordinator's "Towns and ZIP codes" page (/people/places/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from amparo.accounts.access import capability_required, request_network, request_user
from amparo.accounts.roles import Cap

from .access import get_place_for_user
from .forms_places import PlaceForm, PlacesBulkForm
from .models import Place
from .places import place_delete, place_fill, place_save, places_add_zips, places_with_uses


@capability_required(Cap.NETWORK_MANAGE)
def places(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    bulk = PlacesBulkForm(request.POST or None)
    if request.method == "POST" and bulk.is_valid():
        result = places_add_zips(
            network=network,
            by=request_user(request),
            text=bulk.cleaned_data["zips"],
            towns=bulk.cleaned_data["towns"],
        )
        count = len(result.added)
        messages.success(
            request,
            ngettext("%(count)s place added.", "%(count)s places added.", count) % {"count": count},
        )
        if result.already:
            messages.info(
                request,
                ngettext(
                    "%(count)s ZIP code was already on the list.",
                    "%(count)s ZIP codes were already on the list.",
                    result.already,
                )
                % {"count": result.already},
            )
        if result.unknown:
            messages.warning(
                request,
                _("Not found, not added: %(codes)s") % {"codes": ", ".join(result.unknown)},
            )
        return redirect("people:places")
    context = {"places": places_with_uses(network), "bulk": bulk}
    return render(request, "people/places.html", context, status=400 if bulk.errors else 200)


def _form_page(request: HttpRequest, place: Place | None) -> HttpResponse:
    initial: dict[str, Any] = {"kind": Place.Kind.ZIP}
    if place is not None:
        initial = {
            f: getattr(place, f) for f in ("kind", "name", "postal_code", "latitude", "longitude")
        }
    form = PlaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        found = place_fill(data)
        if "lookup" in request.POST:
            if found is None:
                messages.warning(request, _("Nothing found: check it, or type the coordinates."))
            else:
                messages.info(
                    request,
                    _("Found %(town)s, %(state)s: check and save.")
                    % {
                        "town": found.town,
                        "state": found.state,
                    },
                )
            form = PlaceForm({k: "" if v is None else v for k, v in data.items()})
        else:
            try:
                saved = place_save(
                    network=request_network(request),
                    by=request_user(request),
                    place=place,
                    **{
                        k: data[k] for k in ("kind", "name", "postal_code", "latitude", "longitude")
                    },
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved: %(name)s.") % {"name": saved.name})
                return redirect("people:places")
    status = 400 if form.errors else 200
    return render(request, "people/place_form.html", {"form": form, "place": place}, status=status)


@capability_required(Cap.NETWORK_MANAGE)
def place_add(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_place_for_user(request, pk))


@require_POST
def place_remove(request: HttpRequest, pk: int) -> HttpResponse:
    place = get_place_for_user(request, pk)
    try:
        place_delete(place=place, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted: %(name)s.") % {"name": place.name})
    return redirect("people:places")
