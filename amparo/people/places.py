"""The towns and ZIP codes a network covers (``Place``): the coordinator's page writes
through here. Coordinates come from the ``zipcodes`` package (US ZIP centroids, bundled,
offline) or are typed by hand."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

import zipcodes
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib import geo
from amparo.lib.crypto.blind import fold

from .counts import people_changed
from .coverage import coverage_rebuild
from .models import PersonArea, Place

ZIP_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Found:
    town: str
    state: str
    latitude: float
    longitude: float
    postal_codes: tuple[str, ...]


def zip_find(code: str) -> Found | None:
    """The town and centroid of a US ZIP code, or None."""
    code = code.strip()[:5]
    if not ZIP_RE.match(code):
        return None
    rows = zipcodes.matching(code)
    if not rows:
        return None
    row = rows[0]
    return Found(row["city"], row["state"], float(row["lat"]), float(row["long"]), (code,))


def town_find(town: str, state: str) -> Found | None:
    """The centroid of a town's ZIP codes (street ZIPs when it has any), or None."""
    state, wanted = state.strip().upper(), fold(town).strip()
    if len(state) != 2 or not wanted or not state.isalpha():
        return None
    rows = [r for r in zipcodes.filter_by(state=state) if fold(r["city"]).strip() == wanted]
    standard = [r for r in rows if r["zip_code_type"] == "STANDARD"] or rows
    if not standard:
        return None
    return Found(
        standard[0]["city"],
        state,
        round(fmean(float(r["lat"]) for r in standard), 5),
        round(fmean(float(r["long"]) for r in standard), 5),
        tuple(sorted(r["zip_code"] for r in standard)),
    )


def zip_place_name(code: str, town: str) -> str:
    return f"{code} {town}".strip()


def _relations() -> list[str]:
    return [rel.field.related_query_name() for rel in Place._meta.related_objects]


def places_with_uses(network: Network) -> list[Place]:
    """The network's places, each with ``uses``: the records that point to it
    (people's areas, reports, incidents…)."""
    counts = {f"n_{name}": Count(name, distinct=True) for name in _relations()}
    places = list(Place.objects.filter(network=network).annotate(**counts).order_by("kind", "name"))
    for place in places:
        place.uses = sum(getattr(place, key) for key in counts)  # type: ignore[attr-defined]
    return places


def place_uses(place: Place) -> int:
    return sum(
        rel.related_model._default_manager.filter(**{rel.field.name: place}).count()
        for rel in Place._meta.related_objects
    )


def _check(network: Network, kind: str, name: str, postal_code: str, place: Place | None) -> None:
    errors: dict[str, Any] = {}
    if kind not in Place.Kind.values:
        errors["kind"] = _("Choose a town or a ZIP code.")
    if not name.strip():
        errors["name"] = _("Give the name.")
    if kind == Place.Kind.ZIP and not ZIP_RE.match(postal_code):
        errors["postal_code"] = _("A ZIP code has five digits.")
    same = Place.objects.filter(network=network, kind=kind, name_folded=fold(name).strip())
    if place is not None:
        same = same.exclude(pk=place.pk)
    if name.strip() and same.exists():
        errors["name"] = _("This network already has a place with this name.")
    if errors:
        raise ValidationError(errors)


def check_coordinates(latitude: float | None, longitude: float | None) -> tuple[float, float]:
    if latitude is None or longitude is None:
        raise ValidationError(
            _("Give the latitude and longitude, or a ZIP code or town that can be looked up.")
        )
    ok = math.isfinite(latitude) and math.isfinite(longitude)
    if not ok or not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise ValidationError(
            _("The latitude must be between -90 and 90, the longitude between -180 and 180.")
        )
    if latitude == 0 and longitude == 0:
        raise ValidationError(_("0, 0 is in the ocean: give the real coordinates."))
    return latitude, longitude


@transaction.atomic
def place_save(
    *,
    network: Network,
    by: User | Any,
    kind: str,
    name: str,
    postal_code: str,
    latitude: float | None,
    longitude: float | None,
    place: Place | None = None,
) -> Place:
    """Add a place, or change ``place``; ValidationError on bad input. A new centroid
    moves the cells of the people's areas that use the place, and their coverage."""
    name, postal_code = name.strip(), postal_code.strip()
    _check(network, kind, name, postal_code, place)
    latitude, longitude = check_coordinates(latitude, longitude)
    new = place is None
    place = place or Place(network=network)
    before = (place.latitude, place.longitude)
    place.kind, place.name, place.postal_code = kind, name, postal_code
    place.latitude, place.longitude = latitude, longitude
    place.h3_cell = geo.cell_for(latitude, longitude)
    place.save()
    moved = 0
    if not new and before != (latitude, longitude):
        moved = PersonArea.objects.filter(place=place).update(cell=place.h3_cell)
        people = set(PersonArea.objects.filter(place=place).values_list("person_id", flat=True))
        if people:
            coverage_rebuild(network_id=network.pk, person_ids=people)
            people_changed(network_id=network.pk, person_ids=people)
    audit_record(
        action=AuditEvent.Action.CREATE if new else AuditEvent.Action.UPDATE,
        actor=by,
        network=network,
        obj=place,
        fields=["kind", "name", "postal_code", "latitude", "longitude"],
        note="" if new else f"areas_moved={moved}",
    )
    return place


@transaction.atomic
def place_delete(*, place: Place, by: User | Any) -> None:
    """Delete a place nothing points to; ValidationError if something does. The row lock
    holds off a record that would point to it (and be deleted with it) until the end."""
    list(Place.objects.select_for_update().filter(pk=place.pk).values_list("pk"))
    uses = place_uses(place)
    if uses:
        raise ValidationError(
            _(
                "%(count)s records (people's areas, reports…) use this place, so it stays. "
                "Change its name or coordinates instead."
            )
            % {"count": uses}
        )
    audit_record(action=AuditEvent.Action.DELETE, actor=by, network=place.network, obj=place)
    place.delete()


@dataclass
class BulkResult:
    added: list[Place] = field(default_factory=list)
    already: int = 0
    unknown: list[str] = field(default_factory=list)


def places_add_zips(
    *, network: Network, by: User | Any, text: str, towns: bool = True
) -> BulkResult:
    """Add each ZIP code in ``text`` (any separators) with its centroid and, with
    ``towns``, its town (the centroid of the town's ZIP codes) when the network lacks it."""
    result = BulkResult()
    codes = list(dict.fromkeys(re.findall(r"\b\d{5}\b", text)))
    result.unknown = [c for c in re.findall(r"[^\s,;]+", text) if not ZIP_RE.match(c)][:20]
    have = set(Place.objects.filter(network=network).values_list("kind", "name_folded"))
    for code in codes:
        found = zip_find(code)
        if found is None:
            result.unknown.append(code)
            continue
        wanted = [(Place.Kind.ZIP, zip_place_name(code, found.town), code, found)]
        town = town_find(found.town, found.state) if towns else None
        if town is not None:
            wanted.append((Place.Kind.TOWN, town.town, "", town))
        for kind, name, postal_code, where in wanted:
            if (kind, fold(name).strip()) in have:
                result.already += kind == Place.Kind.ZIP
                continue
            place = place_save(
                network=network,
                by=by,
                kind=kind,
                name=name,
                postal_code=postal_code,
                latitude=where.latitude,
                longitude=where.longitude,
            )
            have.add((kind, place.name_folded))
            result.added.append(place)
    return result


def place_fill(data: dict[str, Any]) -> Found | None:
    """Fill the blanks of a place form's ``data`` (kind, name, postal_code, state,
    latitude, longitude) from the ZIP code, or else the town and state. The found
    town, or None when nothing was found."""
    code = (data.get("postal_code") or "").strip()
    found = zip_find(code) if code else None
    if found is None and not code and data.get("name") and data.get("state"):
        found = town_find(data["name"], data["state"])
    if found is None:
        return None
    if not data.get("name"):
        zip_kind = data.get("kind") == Place.Kind.ZIP
        data["name"] = zip_place_name(code, found.town) if zip_kind else found.town
    data["state"] = found.state
    if data.get("latitude") is None or data.get("longitude") is None:
        data["latitude"], data["longitude"] = found.latitude, found.longitude
    return found
