"""The derived coverage cells (``CoverageCell``) of people, rebuilt from their areas."""

from __future__ import annotations

from collections.abc import Iterable

from amparo.lib import geo

from .models import CoverageCell, PersonArea


def coverage_rebuild(*, network_id: int, person_ids: Iterable[int], replace: bool = True) -> None:
    """Recompute these people's coverage cells from their areas (a place's centroid or a
    point, each with its radius). ``replace=False``: people with no cells yet."""
    ids = list(person_ids)
    cells: dict[int, set[str]] = {pk: set() for pk in ids}
    for area in PersonArea.objects.filter(person_id__in=ids).select_related("place", "person"):
        if area.place is not None:
            lat, lng = area.place.latitude, area.place.longitude
        else:
            lat, lng = area.point["lat"], area.point["lng"]
        cells[area.person_id].update(geo.cells_within(lat, lng, area.radius_km))
    if replace:
        CoverageCell.objects.filter(person_id__in=ids).delete()
    CoverageCell.objects.bulk_create(
        [
            CoverageCell(network_id=network_id, person_id=pk, cell=cell)
            for pk in ids
            for cell in sorted(cells[pk])
        ],
        batch_size=1000,
    )
