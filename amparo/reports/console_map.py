"""The console's map without a tile server: the incidents' coarse points drawn on a
plain outline (an SVG the page renders itself, no request leaves the site). With
``MAP_TILE_URL`` set the page draws them on tiles instead (static/amparo/console.js).

Points are the rows' coarse cell centres (never a report's exact point); they are
projected into a fixed box, a little wider than the points, north up."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WIDTH, HEIGHT, PAD = 400, 240, 28
#: at least this much of the map around the points (degrees of latitude), so one
#: point does not fill the box
MIN_SPAN = 0.15
CONFIRMED = ("confirmed", "responding")


def console_map(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The outline's points (x, y in the box), their labels and the map's description."""
    located = [r for r in rows if r.get("lat") is not None and r.get("lng") is not None]
    points: list[dict[str, Any]] = []
    if located:
        lats = [float(r["lat"]) for r in located]
        lngs = [float(r["lng"]) for r in located]
        mid_lat = (min(lats) + max(lats)) / 2
        squeeze = max(math.cos(math.radians(mid_lat)), 0.2)  # a degree of longitude is shorter
        span = max(max(lats) - min(lats), (max(lngs) - min(lngs)) * squeeze, MIN_SPAN)
        scale = min((WIDTH - 2 * PAD) / span, (HEIGHT - 2 * PAD) / span)
        mid_lng = (min(lngs) + max(lngs)) / 2
        labelled: set[str] = set()
        for r in located:
            x = WIDTH / 2 + (float(r["lng"]) - mid_lng) * squeeze * scale
            y = HEIGHT / 2 - (float(r["lat"]) - mid_lat) * scale
            points.append(
                {
                    "id": r["id"],
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "r": 4 + min(int(r.get("sources") or 1), 6),
                    "kind": "confirmed"
                    if r["status"] in CONFIRMED
                    else ("cluster" if r.get("cluster") else "other"),
                    "label": r["place_label"],
                    "show_label": r["place_label"] not in labelled,  # a town named once
                    "lx": round(min(x + 8, WIDTH - 60), 1),
                    "ly": round(y + 4, 1),
                    "title": f"{r['status_label']} · {r['place_label']}",
                }
            )
            labelled.add(r["place_label"])
    described = (
        ngettext(
            "Map of incidents (approximate areas): %(n)s place",
            "Map of incidents (approximate areas): %(n)s places",
            len({p["label"] for p in points}),
        )
        % {"n": len({p["label"] for p in points})}
        if points
        else _("Map of incidents (approximate areas): no incident has a place yet")
    )
    return {"width": WIDTH, "height": HEIGHT, "points": points, "label": described}
