"""Who an alert reaches, in which tier, language and channel — before anything is sent.

Tiers (nearest first, DOMAIN.md §3):
  1. trained rapid responders (the role with its required valid trainings) marked
     available now, whose coverage reaches the point within the alert's radius;
  2. the other trained responders within a wider radius (``WIDER_FACTOR`` × radius);
  3. members in the area (member alerts only; these need a second approver).
A legal call-out asks attorneys, nearest to the facility: tier 1 within the radius,
tier 2 the rest of the network's attorneys.

Distance is exact haversine on the short list, measured to each person's areas: a
town's centroid, or — for a point they chose — the centre of its coarse cell (the point
itself stays sealed; the cell is ~1.4 km across, good enough to order a call-out).

Only people who may be alerted as the role are planned (``may_be_alerted_as``: confirmed,
active, the role's trainings valid); the plan counts the role's other holders in the area
as left out (not yet confirmed, training expired or missing), next to those skipped for
quiet hours and those unreachable (:func:`left_out_text` says it in words).

Opt-outs are respected (``opted_out_at``, and per channel through the reachability
flags kept on the person: ``reach_sms``… in amparo/people/reach.py). Quiet hours (in the
network's time zone) skip members in tier 3; responders in tiers 1 and 2 are NOT held
back by quiet hours: they signed up to be woken for a raid. Nobody with no reachable
channel is counted as a recipient. Everything here reads plain columns only — no
decryption — so planning 100,000 people stays within seconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar, cast

import h3
from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.channels.registry import TRANSPORTS, get_transport
from amparo.lib import geo
from amparo.lib.prepared import fetch_prepared
from amparo.people.filters import left_out, may_be_alerted_as, role_holders
from amparo.people.models import (
    CHANNELS,
    CoverageCell,
    Person,
    PersonArea,
    PersonQuerySet,
    Place,
)

from .models import Alert, AlertKind, Facility

RESPONDER_ROLE = "rapid-responder"
ATTORNEY_ROLE = "attorney"
VERIFIER_ROLE = "verifier"
WIDER_FACTOR = 2.0
#: how many of the nearest people ``nearest`` checks against the rule at a time
CHECKED = 200
#: the id that stands in for the checked ones while the rule is compiled
_STAND_IN = -1_000_003
_People = TypeVar("_People", bound=QuerySet[Person])


# --- channels and rates ---------------------------------------------------------------


def channel_route(channel: str) -> str:
    """The transport slug that carries a person's channel ("sms" → "twilio_sms"), or ""
    when none is registered (``settings.ALERT_CHANNEL_TRANSPORTS``)."""
    slug = str(settings.ALERT_CHANNEL_TRANSPORTS.get(channel) or "")
    return slug if slug in TRANSPORTS else ""


def routed_channels() -> list[str]:
    return [c for c in CHANNELS if channel_route(c)]


def channel_rate(channel: str) -> float:
    """Messages per second on a logical channel: the settings override, else the
    transport's ``rate_per_second``."""
    override = settings.ALERT_RATE_PER_SECOND
    if channel in override:
        return max(0.01, float(override[channel]))
    slug = channel_route(channel)
    if slug in override:
        return max(0.01, float(override[slug]))
    try:
        return max(0.01, float(get_transport(slug).rate_per_second))
    except Exception:  # noqa: BLE001 - an unknown route is reported as slow, not fatal
        return 1.0


# --- quiet hours ------------------------------------------------------------------------


def in_quiet_hours(start: time | None, end: time | None, now_local: time) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= now_local < end
    return now_local >= start or now_local < end  # across midnight


# --- the plan ---------------------------------------------------------------------------


@dataclass
class PlannedRecipient:
    person_id: int
    tier: int
    language: str
    channels: list[str]  # logical channels, preferred first, reachable and routed
    distance_km: float | None = None


@dataclass
class Plan:
    recipients: list[PlannedRecipient] = field(default_factory=list)
    quiet_skipped: int = 0
    unreachable: int = 0
    unconfirmed: int = 0
    untrained: int = 0
    holders: int = 0  # the role's holders in scope, alerted or not
    by_tier: dict[int, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_tier_channel: dict[int, dict[str, int]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    tier1_seconds: float = 0.0
    total_seconds: float = 0.0
    center: tuple[float, float] | None = None

    @property
    def total(self) -> int:
        return len(self.recipients)

    def summarise(self) -> None:
        self.by_tier = dict(sorted(Counter(r.tier for r in self.recipients).items()))
        self.by_language = dict(Counter(r.language for r in self.recipients).most_common())
        first = [(r.tier, r.channels[0]) for r in self.recipients if r.channels]
        self.by_channel = dict(Counter(c for _t, c in first).most_common())
        per_tier: dict[int, dict[str, int]] = defaultdict(dict)
        for (tier, channel), n in Counter(first).items():
            per_tier[tier][channel] = n
        self.by_tier_channel = dict(sorted(per_tier.items()))
        self.rates = {c: channel_rate(c) for c in self.by_channel}
        # Tiers go strictly in order on each sender: tier 1 finishes when its share of
        # every channel is through; everyone when the busiest channel is through.
        t1 = self.by_tier_channel.get(min(self.by_tier_channel, default=1), {})
        self.tier1_seconds = max((n / self.rates[c] for c, n in t1.items()), default=0.0)
        self.total_seconds = max(
            (n / self.rates[c] for c, n in self.by_channel.items()), default=0.0
        )


@dataclass
class _Row:
    pk: int
    language: str
    channel_order: list[str]
    quiet_start: time | None
    quiet_end: time | None
    has_sms: bool
    has_voice: bool
    has_email: bool


def _annotated(qs: QuerySet[Person]) -> Iterable[_Row]:
    rows = (
        qs.filter(opted_out_at__isnull=True)
        .order_by()
        .values_list(
            "pk",
            "language",
            "channel_order",
            "quiet_start",
            "quiet_end",
            "reach_sms",
            "reach_voice",
            "reach_email",
        )
    )
    for pk, lang, order, qs_, qe, sms, voice, email in rows.iterator(chunk_size=5000):
        yield _Row(pk, lang, order or [], qs_, qe, sms, voice, email)


def _channels(row: _Row, routed: list[str]) -> list[str]:
    """The person's channels, preferred first, that reach them (the flags kept on the
    person: people/reach.py) and that a transport carries."""
    order = [c for c in row.channel_order if c in CHANNELS] or ["sms", "voice", "email"]
    have = {"sms": row.has_sms, "voice": row.has_voice, "email": row.has_email}
    return [c for c in order if c in routed and have.get(c, False)]


def alert_center(alert: Alert) -> tuple[float, float] | None:
    """Where the alert points: the facility for a legal call-out, else the incident."""
    if alert.kind == AlertKind.LEGAL and alert.facility is not None:
        return (alert.facility.latitude, alert.facility.longitude)
    if alert.incident is not None and alert.incident.point:
        point = alert.incident.point
        return (float(point["lat"]), float(point["lng"]))
    if alert.facility is not None:
        return (alert.facility.latitude, alert.facility.longitude)
    return None


def _cell_center(cell: str) -> tuple[float, float] | None:
    try:
        lat, lng = h3.cell_to_latlng(cell)
    except Exception:  # noqa: BLE001
        return None
    return (float(lat), float(lng))


def distances(person_ids: Iterable[int], lat: float, lng: float) -> dict[int, float]:
    """Exact haversine from the point to each person's nearest area (place centroid, or
    the centre of a chosen point's coarse cell)."""
    ids = list(person_ids)
    best: dict[int, float] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = PersonArea.objects.filter(person_id__in=chunk).values_list(
            "person_id", "place__latitude", "place__longitude", "cell"
        )
        for pid, plat, plng, cell in rows:
            if plat is not None and plng is not None:
                where: tuple[float, float] | None = (plat, plng)
            else:
                where = _cell_center(cell) if cell else None
            if where is None:
                continue
            d = geo.haversine_km(lat, lng, where[0], where[1])
            if d < best.get(pid, math.inf):
                best[pid] = d
    return best


def _covering(qs: _People, lat: float, lng: float, km: float) -> _People:
    cells = geo.cells_within(lat, lng, km)
    return qs.filter(Exists(CoverageCell.objects.filter(person=OuterRef("pk"), cell__in=cells)))


@lru_cache(maxsize=256)
def _ring_cells(center: str, k: int) -> tuple[tuple[float, float, float], ...]:
    """Each cell of ring ``k`` around ``center``: its centre and circumradius (km)."""
    out = []
    for cell in h3.grid_ring(center, k):
        c_lat, c_lng = h3.cell_to_latlng(cell)
        radius = max(geo.haversine_km(c_lat, c_lng, v[0], v[1]) for v in h3.cell_to_boundary(cell))
        out.append((c_lat, c_lng, radius))
    return tuple(out)


def _floor_outside(lat: float, lng: float, center: str, k: int) -> float:
    """A lower bound on the distance from the point to anything outside the disk of
    ``k`` rings around its cell: a path leaving the disk crosses ring ``k + 1``, and
    every spot of a cell lies within its circumradius of its centre."""
    return min(
        geo.haversine_km(lat, lng, c_lat, c_lng) - radius - 1e-9
        for c_lat, c_lng, radius in _ring_cells(center, k + 1)
    )


def _ranked(dist: dict[int, float], limit: int) -> list[tuple[int, float]]:
    return sorted(dist.items(), key=lambda item: (item[1], item[0]))[:limit]


def nearest_brute(
    qs: QuerySet[Person], lat: float, lng: float, *, limit: int, max_km: float
) -> list[tuple[int, float]]:
    """The exact answer the slow way: every person whose coverage reaches the point
    within ``max_km``, ranked by (distance to their nearest area, id)."""
    found = list(_covering(qs, lat, lng, max_km).values_list("pk", flat=True))
    dist = distances(found, lat, lng)
    return _ranked({pk: dist.get(pk, math.inf) for pk in found}, limit)


def nearest(
    qs: QuerySet[Person], lat: float, lng: float, *, limit: int, max_km: float
) -> list[tuple[int, float]]:
    """The ``limit`` nearest people of ``qs`` whose coverage reaches the point within
    ``max_km``, as (person id, km), nearest first (ties by id) — the same answer as
    :func:`nearest_brute`, without ranking everyone.

    Coarse in the database, exact on the short list: the areas lying in the h3 rings
    around the point's cell are read ring by ring (indexed on ``PersonArea.cell``, no
    join), ranked by exact distance, and only the best few are checked against ``qs``
    and the coverage rule. It stops once it holds ``limit`` people nearer than a lower
    bound on anything outside the rings read; areas far out (or a pentagon near the
    point) fall back to the exact scan."""
    if limit <= 0:
        return []
    eligible = _members_of(qs, geo.cells_within(lat, lng, max_km), CHECKED)
    center = geo.cell_for(lat, lng)
    edge = h3.average_hexagon_edge_length(geo.DEFAULT_RESOLUTION, unit="km")
    last_ring = math.ceil((max_km + 4 * edge) / (edge * 1.5)) + 2
    best: dict[int, float] = {}
    verdict: dict[int, bool] = {}  # person id → in qs and covering the point
    far: dict[int | str, float] = {}  # a town's id or a chosen point's cell → km
    inf = math.inf
    try:
        inner, width = 0, 1
        while inner <= last_ring:
            k = min(last_ring, inner + width - 1)  # read rings inner..k
            band = [c for ring in range(inner, k + 1) for c in h3.grid_ring(center, ring)]
            for person_id, place_id, cell, p_lat, p_lng in _area_rows(band):
                anchor = cell if place_id is None else place_id
                d = far.get(anchor)
                if d is None:  # once per town or cell, not once per person
                    where = (p_lat, p_lng) if place_id is not None else _cell_center(cell)
                    d = far[anchor] = geo.haversine_km(lat, lng, *where) if where else inf
                if d < best.get(person_id, inf):
                    best[person_id] = d
            floor = _floor_outside(lat, lng, center, k)
            ranked = _short_list(best, verdict, eligible, limit, floor)
            if len(ranked) == limit:
                return ranked
            # few areas so far (a sparse network): read wider bands of rings at once
            inner, width = k + 1, width * 2 if len(best) < 4 * limit else 1
    except h3.H3BaseException:  # a pentagon among the rings: no ring arithmetic there
        pass
    return nearest_brute(qs, lat, lng, limit=limit, max_km=max_km)


def _sql(template: str, **models: Any) -> Callable[[int], str]:
    """A plain statement for ``n`` ids (``{ids}``) on the models' tables (quoted when
    run): the nearest-N search runs a few of them per call, and building
    each through the ORM would cost more than running it."""

    def statement(n: int) -> str:
        names = {k: connection.ops.quote_name(m._meta.db_table) for k, m in models.items()}
        return template.format(ids=", ".join(["%s"] * n), **names)

    return statement


_AREAS = _sql(
    "SELECT a.person_id, a.place_id, a.cell, p.latitude, p.longitude FROM {area} a"
    " LEFT JOIN {place} p ON p.id = a.place_id WHERE a.cell IN ({ids})",
    area=PersonArea,
    place=Place,
)
_COVERAGE = _sql(
    "SELECT person_id, cell FROM {cover} WHERE person_id IN ({ids})", cover=CoverageCell
)


def _rows(statement: Callable[[int], str], values: list[Any]) -> list[tuple[Any, ...]]:
    return fetch_prepared(statement(len(values)), values)  # planned once per connection


def _area_rows(cells: list[str]) -> list[tuple[int, int | None, str, float, float]]:
    """(person id, place id, cell, the place's latitude and longitude) of every area in
    these cells: plain rows, the areas read from their index alone
    (``person_area_cell_who``; a town of a big network has thousands)."""
    return cast(list[tuple[int, int | None, str, float, float]], _rows(_AREAS, cells))


def _members_of(
    qs: QuerySet[Person], cells: list[str], size: int
) -> Callable[[list[int]], set[int]]:
    """Which of up to ``size`` ids are in ``qs`` and cover one of ``cells``. The rule is
    compiled once, with one stand-in id (never a real one: ids are never below 1) whose
    ``IN (%s)`` is widened here to ``size`` slots, so every call runs the same statement
    (ids padded with 0); the coverage is checked here on the few people's rows (an IN
    list of hundreds of cells probed per person costs more than reading them)."""
    sql, params = qs.filter(pk__in=[_STAND_IN]).order_by().values("pk").query.sql_with_params()
    marks = [m.start() for m in re.finditer("%[s%]", sql) if m.group() == "%s"]
    slot = params.index(_STAND_IN) if params.count(_STAND_IN) == 1 else -1
    at = marks[slot] if slot >= 0 and len(marks) == len(params) else -1
    if sql[at - 4 : at + 3] == "IN (%s)":
        sql = sql[:at] + ", ".join(["%s"] * size) + sql[at + 2 :]
    else:  # not the SQL expected: ask the ORM
        slot = -1
    if connection.vendor == "sqlite":  # look the ids up, never scan the network's index
        table = f'FROM "{Person._meta.db_table}"'
        sql = sql.replace(table, f"{table} NOT INDEXED", 1)
    wanted = set(cells)
    cover = connection.ops.quote_name(CoverageCell._meta.db_table)
    covered = f"SELECT person_id, cell FROM {cover} WHERE person_id IN ({sql})"  # noqa: S608 - the ORM's SQL, values bound
    before, after = list(params[:slot]), list(params[slot + 1 :])

    def members(ids: list[int]) -> set[int]:
        """One statement: the coverage rows of those of ``ids`` in ``qs``."""
        if slot < 0:
            found = sorted(qs.filter(pk__in=ids).values_list("pk", flat=True))
            rows = _rows(_COVERAGE, found) if found else []
        else:
            rows = fetch_prepared(covered, [*before, *ids, *([0] * (size - len(ids))), *after])
        return {pid for pid, cell in rows if cell in wanted}

    return members


def _short_list(
    best: dict[int, float],
    verdict: dict[int, bool],
    eligible: Callable[[list[int]], set[int]],
    limit: int,
    floor: float,
) -> list[tuple[int, float]]:
    """The first ``limit`` eligible people of ``best`` nearer than ``floor`` (fewer when
    there are not that many yet), checking eligibility in chunks, nearest first."""
    order = sorted((d, pk) for pk, d in best.items() if d < floor and verdict.get(pk, True))
    while True:
        taken: list[tuple[int, float]] = []
        for i, (d, pk) in enumerate(order):
            known = verdict.get(pk)
            if known is None:  # check the next few unknown, nearest first, then walk again
                size = min(CHECKED, 3 * (limit - len(taken)) + 10)
                chunk = list(islice((p for _d, p in order[i:] if p not in verdict), size))
                ok = eligible(chunk)
                verdict.update((p, p in ok) for p in chunk)
                break
            if known:
                taken.append((pk, d))
                if len(taken) == limit:
                    return taken
        else:
            return taken


class _Planner:
    """Fills a plan tier by tier; someone already planned is not planned again."""

    def __init__(self, alert: Alert, now: datetime, limits: tuple[int, int]) -> None:
        self.alert, self.limits = alert, limits
        self.local = timezone.localtime(now, alert.network.zone()).time()
        self.plan = Plan(center=alert_center(alert))
        self.routed = routed_channels()
        self.seen: set[int] = set()
        self.holders: PersonQuerySet = Person.objects.none()

    def left_out(self, holders: PersonQuerySet, alerted: QuerySet[Person]) -> None:
        """Count the holders in scope who are not ``alerted`` (and remember the scope)."""
        counts = left_out(holders.exclude(pk__in=self.holders.values("pk")), alerted)
        self.plan.unconfirmed += counts["unconfirmed"]
        self.plan.untrained += counts["untrained"]
        self.plan.holders += counts["holders"]
        self.holders = self.holders | holders

    def add(self, qs: QuerySet[Person], tier: int, dist: dict[int, float], *, quiet: bool) -> None:
        plan = self.plan
        for row in _annotated(qs):
            if row.pk in self.seen:
                continue
            self.seen.add(row.pk)
            if quiet and in_quiet_hours(row.quiet_start, row.quiet_end, self.local):
                plan.quiet_skipped += 1
                continue
            chans = _channels(row, self.routed)
            if not chans:
                plan.unreachable += 1
                continue
            plan.recipients.append(
                PlannedRecipient(row.pk, tier, row.language, chans, dist.get(row.pk))
            )

    def add_ordered(self, ids: list[int], tier: int, dist: dict[int, float]) -> None:
        """Add these people in this order (nearest first)."""
        before = len(self.plan.recipients)
        self.add(Person.objects.filter(pk__in=ids), tier, dist, quiet=False)
        order = {pk: i for i, pk in enumerate(ids)}
        added = self.plan.recipients[before:]
        self.plan.recipients[before:] = sorted(added, key=lambda r: order.get(r.person_id, 0))

    def tiered(self, role: str, *, available_first: bool) -> None:
        """Tier 1: the nearest holders of ``role`` (available now, if asked) within the
        radius; tier 2: the next nearest within the wider radius (every other attorney)."""
        alert = self.alert
        base = may_be_alerted_as(alert.network, [role])
        holders = role_holders(alert.network, [role])
        if self.plan.center is None:  # a drill without a place: everyone qualified, one tier
            self.left_out(holders, base)
            self.add(base, 1, {}, quiet=False)
            return
        lat, lng = self.plan.center
        wider = alert.radius_km * WIDER_FACTOR
        if role != ATTORNEY_ROLE:  # every attorney is in scope; others within the wider radius
            holders = _covering(holders, lat, lng, wider)
        self.left_out(holders, base)
        tier1_limit, tier2_limit = self.limits
        first = base.filter(available_now=True) if available_first else base
        ranked1 = nearest(first, lat, lng, limit=tier1_limit, max_km=alert.radius_km)
        ordered = [pk for pk, _d in ranked1]
        self.add_ordered(ordered, 1, dict(ranked1))
        if role == ATTORNEY_ROLE:  # every attorney is worth asking for a detained worker
            rest = list(base.exclude(pk__in=ordered).values_list("pk", flat=True)[:tier2_limit])
            dist = distances(rest, lat, lng)
            rest.sort(key=lambda pk: (dist.get(pk, math.inf), pk))
            self.add_ordered(rest, 2, dist)
        else:
            ranked2 = nearest(
                base.exclude(pk__in=ordered), lat, lng, limit=tier2_limit, max_km=wider
            )
            self.add_ordered([pk for pk, _d in ranked2], 2, dict(ranked2))

    def members(self) -> None:
        """Tier 3: the members whose areas reach the point (quiet hours respected)."""
        members = Person.objects.filter(network=self.alert.network).active()
        center = self.plan.center
        if center is not None and self.alert.radius_km > 0:
            members = _covering(members, center[0], center[1], self.alert.radius_km)
        self.left_out(members, members.confirmed())
        self.add(members.confirmed(), 3, {}, quiet=True)


def plan_build(
    *,
    alert: Alert,
    now: datetime | None = None,
    tier1_limit: int = 50,
    tier2_limit: int = 200,
) -> Plan:
    """The alert's audience, tiers and counts. Read-only."""
    planner = _Planner(alert, now or timezone.now(), (tier1_limit, tier2_limit))
    if alert.kind == AlertKind.LEGAL:
        planner.tiered(ATTORNEY_ROLE, available_first=False)
    elif alert.kind == AlertKind.VERIFICATION:
        planner.tiered(VERIFIER_ROLE, available_first=False)
    else:
        planner.tiered(RESPONDER_ROLE, available_first=True)
    if alert.kind == AlertKind.MEMBERS:
        planner.members()
    planner.plan.summarise()
    return planner.plan


def nearest_facility(network: Network, lat: float, lng: float) -> Facility | None:
    """The nearest active ICE holding facility (else field office) to a point."""
    facilities = list(Facility.objects.filter(network=network, is_active=True))
    if not facilities:
        return None
    holding = [f for f in facilities if f.kind == Facility.Kind.HOLDING] or facilities
    return min(holding, key=lambda f: (geo.haversine_km(lat, lng, f.latitude, f.longitude), f.pk))


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    return {
        "total": plan.total,
        "by_tier": plan.by_tier,
        "by_language": plan.by_language,
        "by_channel": plan.by_channel,
        "quiet_skipped": plan.quiet_skipped,
        "unreachable": plan.unreachable,
        "unconfirmed": plan.unconfirmed,
        "untrained": plan.untrained,
        "holders": plan.holders,
        "tier1_seconds": round(plan.tier1_seconds, 1),
        "total_seconds": round(plan.total_seconds, 1),
    }


#: Why people were left out of a plan or a drill, in the order the preview says it.
LEFT_OUT = {
    "unconfirmed": _("%(n)s not yet confirmed"),
    "untrained": _("%(n)s training expired or missing"),
    "quiet_skipped": _("%(n)s quiet hours"),
    "unreachable": _("%(n)s unreachable"),
}


def left_out_text(counts: dict[str, int]) -> str:
    """Who was left out and why, in words ("12 not yet confirmed, 3 training expired or
    missing, 5 quiet hours, 2 unreachable"); "" when nobody was."""
    return ", ".join(str(said) % {"n": counts[k]} for k, said in LEFT_OUT.items() if counts.get(k))


__all__ = [
    "Plan",
    "PlannedRecipient",
    "in_quiet_hours",
    "left_out_text",
    "nearest",
    "nearest_brute",
    "nearest_facility",
    "plan_build",
]
