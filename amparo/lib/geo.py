"""Coarse geography with h3 (no GDAL): cells to match people to places, haversine distance."""

from __future__ import annotations

import math
from functools import lru_cache
from urllib.parse import quote, urlencode

import h3

EARTH_RADIUS_KM = 6371.0088
DEFAULT_RESOLUTION = 7  # ~5.2 km² cells, edge ~1.4 km: coarse enough to keep in clear


def cell_for(lat: float, lng: float, resolution: int = DEFAULT_RESOLUTION) -> str:
    return str(h3.latlng_to_cell(lat, lng, resolution))


@lru_cache(maxsize=4096)
def _cells_within(lat: float, lng: float, radius_km: float, resolution: int) -> tuple[str, ...]:
    return tuple(_compute_cells_within(lat, lng, radius_km, resolution))


def cells_within(
    lat: float, lng: float, radius_km: float, resolution: int = DEFAULT_RESOLUTION
) -> list[str]:
    """Every cell whose centre lies within ``radius_km`` of the point (at least its own).
    Cached: towns repeat on every row of an import."""
    return list(_cells_within(lat, lng, radius_km, resolution))


def _compute_cells_within(lat: float, lng: float, radius_km: float, resolution: int) -> list[str]:
    center = cell_for(lat, lng, resolution)
    edge = h3.average_hexagon_edge_length(resolution, unit="km")
    k = max(0, math.ceil(radius_km / (edge * 1.5)) + 1)
    cells = []
    for cell in h3.grid_disk(center, k):
        c_lat, c_lng = h3.cell_to_latlng(cell)
        if cell == center or haversine_km(lat, lng, c_lat, c_lng) <= radius_km:
            cells.append(str(cell))
    return sorted(cells)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def map_links(
    *, lat: float | None = None, lng: float | None = None, query: str = ""
) -> dict[str, str]:
    """Map links for a point (preferred) or an address: ``geo`` opens the phone's map app
    (nothing leaves the phone until it does), ``osm`` OpenStreetMap; empty without either."""
    if lat is not None and lng is not None:
        la, ln = f"{float(lat):.5f}", f"{float(lng):.5f}"
        return {
            "geo": f"geo:{la},{ln}?q={la},{ln}",
            "osm": f"https://www.openstreetmap.org/?mlat={la}&mlon={ln}#map=17/{la}/{ln}",
        }
    query = " ".join((query or "").split())[:200]
    if not query:
        return {}
    return {
        "geo": f"geo:0,0?q={quote(query, safe='')}",
        "osm": "https://www.openstreetmap.org/search?" + urlencode({"query": query}),
    }
