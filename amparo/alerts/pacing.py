"""Pacing per sender, shared by every worker through the database.

The bucket is the outbox itself: claiming a row gives it a *send slot* in
``Delivery.claimed_at`` — ``max(now, latest slot of this sender + 1/rate)`` — and the
worker sleeps until its slot before sending. Every worker computes the slot from the
same rows, so two workers (or two processes) on one sender together keep the
configured rate. The claim is one short transaction that also picks the row: on
SQLite the write lock (``BEGIN IMMEDIATE``) serialises claims, on PostgreSQL a
transaction-level advisory lock per sender does. (No new table: models are frozen;
the Django cache is not shared between processes.)

Rows are claimed strictly in tier order per sender: the claim query is ordered by
(tier, due_at, id), so no row of a higher tier is claimed while a lower-tier row of
the same sender is queued and due.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from amparo.channels.models import Delivery
from amparo.channels.registry import UnknownTransport, get_transport


def setting(name: str, default: Any) -> Any:
    """``settings.NAME``, else ``AMPARO_NAME`` from the environment (JSON), else default.

    The environment fallback lets a test or a benchmark tune a worker subprocess
    without a settings change."""
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(f"AMPARO_{name}", "").strip()
        if raw:
            value = json.loads(raw)
    return default if value is None else value


def transport_slug(sender: str) -> str:
    return sender.split(":", 1)[0]


def rate_for(sender: str) -> float:
    slug = transport_slug(sender)
    rates = setting("ALERT_RATE_PER_SECOND", {})
    if slug in rates:
        return float(rates[slug])
    try:
        return float(get_transport(slug).rate_per_second)
    except UnknownTransport:
        return 1.0


def claim_lease() -> timedelta:
    """A claim older than this (slot included) was abandoned by a dead worker."""
    return timedelta(seconds=float(setting("ALERT_CLAIM_LEASE_SECONDS", 60)))


def _claimable(sender: str, now: datetime) -> Q:
    due = Q(status=Delivery.Status.QUEUED, due_at__lte=now)
    abandoned = Q(
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - claim_lease(),
        attempts__lt=F("max_attempts"),
    )
    return Q(sender=sender, alert__isnull=False) & ~Q(sender="") & (due | abandoned)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    slot: datetime


def claim_next(sender: str) -> Claim | None:
    """Claim the sender's next row in tier order and give it a send slot, or None."""
    if not sender:  # rows without a sender are the channels' own (delivery_attempt)
        return None
    interval = timedelta(seconds=1.0 / max(rate_for(sender), 0.001))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = zlib.crc32(f"amparo-outbox:{sender}".encode()) - 2**31
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        now = timezone.now()
        pk = (
            Delivery.objects.filter(_claimable(sender, now))
            .order_by("tier", "due_at", "id")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        last = Delivery.objects.filter(
            sender=sender, claimed_at__gte=now - timedelta(seconds=60)
        ).aggregate(last=Max("claimed_at"))["last"]
        slot = max(now, last + interval) if last else now
        updated = (
            Delivery.objects.filter(_claimable(sender, now), pk=pk).update(
                status=Delivery.Status.SENDING, claimed_at=slot, attempts=F("attempts") + 1
            )
            == 1
        )
        return Claim(pk, slot) if updated else None


def next_due(sender: str) -> datetime | None:
    """When the sender next has something to claim: a queued row falling due, or a
    claim that will count as abandoned (its worker may have died)."""
    rows = Delivery.objects.filter(sender=sender, alert__isnull=False)
    queued = (
        rows.filter(status=Delivery.Status.QUEUED)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    claimed = (
        rows.filter(status=Delivery.Status.SENDING, claimed_at__isnull=False)
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    times = [t for t in (queued, claimed + claim_lease() if claimed else None) if t]
    return min(times) if times else None
