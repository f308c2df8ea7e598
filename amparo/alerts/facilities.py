"""The directory of ICE holding facilities and field offices, and the nearest one."""

from __future__ import annotations

from typing import Any

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.lib.geo import haversine_km

from .models import Facility

FIELDS = ("kind", "name", "address", "latitude", "longitude", "phone", "notes", "is_active")


def facility_save(
    *, network: Network, data: dict[str, Any], actor: User | Any, facility: Facility | None = None
) -> Facility:
    """Add (``facility`` None) or change a facility; audited with the fields that changed."""
    created = facility is None
    facility = Facility(network=network) if facility is None else facility
    changed = [f for f in FIELDS if f in data and (created or getattr(facility, f) != data[f])]
    for field in changed:
        setattr(facility, field, data[field])
    facility.save()
    audit_record(
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        actor=actor,
        network=network,
        obj=facility,
        fields=changed,
    )
    return facility


def nearest_facility(
    network: Network,
    point: dict[str, float] | tuple[float, float] | None,
    *,
    kind: str | None = Facility.Kind.HOLDING,
) -> tuple[Facility, float] | None:
    """The network's active facility closest to ``point`` and its distance in km; of
    ``kind`` (holding, by default) if there is one, else any."""
    if point is None:
        return None
    if isinstance(point, dict):
        lat, lng = float(point["lat"]), float(point["lng"])
    else:
        lat, lng = float(point[0]), float(point[1])
    active = Facility.objects.filter(network=network, is_active=True)
    candidates = list(active.filter(kind=kind)) if kind else []
    if not candidates:
        candidates = list(active)
    if not candidates:
        return None
    scored = [(f, haversine_km(lat, lng, f.latitude, f.longitude)) for f in candidates]
    return min(scored, key=lambda pair: (pair[1], pair[0].pk))
