"""Counts of people that do not grow with the network: the people list's totals and a
segment's size, cached per network and filter, checked against version numbers.

Every write to people calls :func:`people_changed` (in the services, one place per
kind of write); it moves the version of the buckets of ids it touched (``id // 1024``)
and the network's whole version. A count is then:

- warm (nothing changed): one small query for the versions, one cache read;
- cold (someone changed): the cached count of every untouched bucket plus a recount of
  the touched buckets only (an id range each), so the first count after a change costs
  about what a count over one bucket costs, whatever the network's size.

Time is part of the key, never a written flag: a count over trainings is a count for
the network's local day (a training valid "until" a date stops counting at the local
midnight after it, with nothing written), and a filter on recent participation, or a
name search, is counted live.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, Value

from amparo.accounts.models import Network

from .filters import PeopleFilter, channel_count_terms, channel_counts
from .models import PeopleVersion, Person

BUCKET = 1024
WHOLE, EVERYONE = -1, -2  # version rows: any change; a change touching everyone
KEYS = ("total", "sms", "voice", "email", "any")
#: at most this many changed buckets are recounted one by one; more: one full recount
RECOUNT_BUCKETS = 8


def people_changed(*, network_id: int, person_ids: Iterable[int] | None = None) -> None:
    """Mark people of a network changed (``person_ids=None``: everyone, e.g. a role's
    required trainings or a town's cell changed). Cached counts see it at once."""
    ids = [int(pk) for pk in person_ids] if person_ids is not None else []
    buckets = {pk // BUCKET for pk in ids} | {WHOLE}
    if person_ids is None:
        buckets.add(EVERYONE)
    # A new row starts at a random version: rows lost with a rolled-back transaction or
    # a restored backup never come back with numbers a cached count was checked against.
    # One statement (an upsert, on SQLite and PostgreSQL alike): these rows are shared by
    # every write to the network's people, each locked until its commit (issue 16).
    start = secrets.randbits(48)
    rows = sorted(buckets)  # one order for everyone: no two writers lock them crosswise
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL % values, [v for b in rows for v in (network_id, b, start)])


# PeopleVersion's table (test_people_changed_sql_names_the_models_table)
_VERSION_SQL = (
    'INSERT INTO "people_peopleversion" ("network_id", "bucket", "version") VALUES %s '
    'ON CONFLICT ("network_id", "bucket") DO UPDATE '
    'SET "version" = "people_peopleversion"."version" + 1'
)


#: how long a cached count is kept (a new day's key replaces it anyway)
KEEP = 2 * 24 * 3600


def _live(people_filter: PeopleFilter) -> bool:
    """Counted live, never cached: a name search, or a moving window."""
    return bool(people_filter.q.strip() or people_filter.participated_days)


def _key(network: Network, people_filter: PeopleFilter) -> str:
    blob = json.dumps(people_filter.to_dict(include_name=False), sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:24]
    return f"people-counts:{network.pk}:{network.local_today().isoformat()}:{digest}"


def _grouped(people: Any, where: Q | None) -> dict[int, dict[str, int]]:
    annotations, aggregates = channel_count_terms()
    qs = people.order_by().annotate(**annotations)
    if where is not None:
        qs = qs.filter(where)
    bucket = ExpressionWrapper(F("pk") / Value(BUCKET), output_field=IntegerField())
    rows = qs.annotate(bucket=bucket).values("bucket").annotate(**aggregates)
    return {int(r["bucket"]): {k: int(r[k] or 0) for k in KEYS} for r in rows}


def _sum(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(KEYS, 0)
    for part in parts:
        for k in KEYS:
            total[k] += part[k]
    return total


def _heads(network: Network) -> tuple[int, int]:
    heads = dict(
        PeopleVersion.objects.filter(network=network, bucket__lt=0).values_list("bucket", "version")
    )
    return heads.get(WHOLE, 0), heads.get(EVERYONE, 0)


def people_counts(
    network: Network, people_filter: PeopleFilter, *, heads: tuple[int, int] | None = None
) -> dict[str, int]:
    """``channel_counts`` of ``people_filter`` in ``network`` — total and reachable per
    channel — from the cache when nothing changed since, recounting only what did.
    ``heads``: the network's versions when already read (a page of several counts)."""
    if _live(people_filter):
        return channel_counts(people_filter.apply(network))
    key = _key(network, people_filter)
    whole, everyone = heads if heads is not None else _heads(network)
    head: tuple[int, int, dict[str, int]] | None = cache.get(f"{key}:total")
    if head and head[:2] == (whole, everyone):  # warm: one small entry, whatever the size
        return dict(head[2])
    cached: dict[str, Any] | None = cache.get(key)  # per bucket: for a cold count
    versions = dict(
        PeopleVersion.objects.filter(network=network, bucket__gte=0).values_list(
            "bucket", "version"
        )
    )
    people = people_filter.apply(network)
    known: dict[int, tuple[int, dict[str, int]]] = {}
    if cached and cached["everyone"] == everyone and not cached["untracked"]:
        known = {b: (v, c) for b, (v, c) in cached["buckets"].items() if versions.get(b) == v}
    stale = [b for b in versions if b not in known]
    untracked = False
    if len(stale) <= RECOUNT_BUCKETS and known:
        beyond = (max(versions) + 1) * BUCKET if versions else 0
        where = Q(pk__gte=beyond)  # people no write told us of yet: counted, not cached
        for b in stale:
            where |= Q(pk__gte=b * BUCKET, pk__lt=(b + 1) * BUCKET)
        fresh = _grouped(people, where)
    else:
        fresh = _grouped(people, None)
        known, stale = {}, list(versions)
    buckets = dict(known)
    loose = []
    for b, counts in fresh.items():
        if b in versions:
            buckets[b] = (versions[b], counts)
        else:
            loose.append(counts)
            untracked = True
    for b in stale:  # recounted and found empty
        buckets.setdefault(b, (versions[b], dict.fromkeys(KEYS, 0)))
    total = _sum([c for _v, c in buckets.values()] + loose)
    entry = {"everyone": everyone, "buckets": buckets, "untracked": untracked}
    cache.set_many({key: entry, f"{key}:total": (whole, everyone, total)}, timeout=KEEP)
    return dict(total)


def people_count(network: Network, people_filter: PeopleFilter) -> int:
    """How many people ``people_filter`` finds (a segment's size)."""
    return people_counts(network, people_filter)["total"]


def people_count_many(network: Network, filters: Iterable[PeopleFilter]) -> list[int]:
    """How many each filter finds (a page of segments): one query for the versions,
    then one cache read each while nothing changed; the ones a change made stale are
    all counted together in one more query (never one query per filter)."""
    wanted = list(filters)
    heads = _heads(network)
    found: dict[int, int] = {}
    for i, people_filter in enumerate(wanted):
        if _live(people_filter):
            continue
        key = _key(network, people_filter)
        full = cache.get(f"{key}:total")
        only = cache.get(f"{key}:n")
        if full and full[:2] == heads:
            found[i] = full[2]["total"]
        elif only and only[:2] == heads:
            found[i] = only[2]
    stale = {i: f for i, f in enumerate(wanted) if i not in found}
    if stale:
        counted = Person.objects.aggregate(
            **{f"f{i}": Count("pk", filter=Q(pk__in=f.apply(network))) for i, f in stale.items()}
        )
        for i, people_filter in stale.items():
            found[i] = int(counted[f"f{i}"] or 0)
            if not _live(people_filter):
                cache.set(f"{_key(network, people_filter)}:n", (*heads, found[i]), timeout=KEEP)
    return [found[i] for i in range(len(wanted))]


def people_page_range(
    network: Network, people_filter: PeopleFilter, offset: int, size: int
) -> tuple[int, int, int] | None:
    """Where the people ``offset`` to ``offset + size`` (by id) lie, from the cached
    per-bucket counts: (lowest id, id past the last, offset within that range). A
    page then reads a range of ids, not the whole network. None when not known (a name
    search, a moving window, people no write told of): page the plain way."""
    if _live(people_filter):
        return None
    entry = cache.get(_key(network, people_filter))
    if not entry or entry["untracked"]:
        return None
    seen, start, rest = 0, None, 0
    for bucket in sorted(entry["buckets"]):
        n = entry["buckets"][bucket][1]["total"]
        if start is None and seen + n > offset:
            start, rest = bucket, offset - seen
        seen += n
        if start is not None and seen >= offset + size:
            return start * BUCKET, (bucket + 1) * BUCKET, rest
    return (
        (start * BUCKET, (max(entry["buckets"]) + 1) * BUCKET, rest) if start is not None else None
    )
