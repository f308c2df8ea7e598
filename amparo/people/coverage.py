"""The derived coverage cells (``CoverageCell``) of people: every coarse cell within the
radius of each of their areas (a place's centroid or a point)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from amparo.lib import geo

from .models import CoverageCell, PersonArea

#: (latitude, longitude, radius in km) of one area
Circle = tuple[float, float, float]


def coverage_write(
    *, network_id: int, circles: Mapping[int, Iterable[Circle]], replace: bool = True
) -> None:
    """Set the coverage cells of each person id in ``circles`` to those of their areas'
    circles. ``replace=False``: people with no cells yet (nothing to delete)."""
    rows = []
    for pk, theirs in circles.items():
        cells: set[str] = set()
        for lat, lng, radius in theirs:
            cells.update(geo.cells_within(lat, lng, radius))
        rows += [CoverageCell(network_id=network_id, person_id=pk, cell=c) for c in sorted(cells)]
    if replace:
        CoverageCell.objects.filter(person_id__in=list(circles)).delete()
    CoverageCell.objects.bulk_create(rows, batch_size=1000)


def coverage_rebuild(*, network_id: int, person_ids: Iterable[int]) -> None:
    """Recompute these people's coverage cells from their stored areas."""
    circles: dict[int, list[Circle]] = {pk: [] for pk in person_ids}
    areas = PersonArea.objects.filter(person_id__in=list(circles))
    for area in areas.select_related("place", "person"):
        if area.place is not None:
            lat, lng = area.place.latitude, area.place.longitude
        else:
            lat, lng = area.point["lat"], area.point["lng"]
        circles[area.person_id].append((lat, lng, area.radius_km))
    coverage_write(network_id=network_id, circles=circles)
