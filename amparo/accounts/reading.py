"""Unusual reading: someone opening many sensitive records in a short time, and suspending them.

An infiltrator with a volunteer's or dispatcher's account reads people's records one
after another. Every read of a sensitive record writes an audit event (action
"read"); this finds, per user, the busiest window of ``minutes`` minutes and flags
those who opened more than ``reads`` different records in it.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .models import AuditEvent, Membership, Network, User
from .services import membership_deactivate

DEFAULT_READS = 40
DEFAULT_MINUTES = 10
DEFAULT_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class UnusualReader:
    user: User
    membership: Membership
    peak: int  # different records read within one window
    window_start: datetime
    window_end: datetime
    total: int  # reads in the whole look-back period


def _peak(reads: list[tuple[datetime, tuple[str, str]]], window: timedelta) -> tuple[int, int]:
    """The most different records read in any ``window``, and the index where it ends."""
    best, best_end = 0, 0
    inside: deque[tuple[datetime, tuple[str, str]]] = deque()
    counts: Counter[tuple[str, str]] = Counter()
    for index, (at, target) in enumerate(reads):
        inside.append((at, target))
        counts[target] += 1
        while inside and at - inside[0][0] > window:
            _, old = inside.popleft()
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
        if len(counts) > best:
            best, best_end = len(counts), index
    return best, best_end


def unusual_readers(
    network: Network,
    *,
    reads: int = DEFAULT_READS,
    minutes: int = DEFAULT_MINUTES,
    now: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[UnusualReader]:
    """Members of ``network`` who read more than ``reads`` records within ``minutes``."""
    now = now or timezone.now()
    window = timedelta(minutes=minutes)
    rows = (
        AuditEvent.objects.filter(
            network=network,
            action=AuditEvent.Action.READ,
            actor__isnull=False,
            at__gte=now - lookback,
        )
        .order_by("actor_id", "at", "id")
        .values_list("actor_id", "at", "target_type", "target_id")
    )
    per_actor: dict[int, list[tuple[datetime, tuple[str, str]]]] = defaultdict(list)
    for actor_id, at, target_type, target_id in rows.iterator(chunk_size=5000):
        per_actor[actor_id].append((at, (target_type, target_id)))
    flagged: dict[int, tuple[int, datetime, datetime, int]] = {}
    for actor_id, actor_reads in per_actor.items():
        peak, end = _peak(actor_reads, window)
        if peak > reads:
            end_at = actor_reads[end][0]
            flagged[actor_id] = (peak, end_at - window, end_at, len(actor_reads))
    if not flagged:
        return []
    memberships = Membership.objects.filter(network=network, user_id__in=flagged).select_related(
        "user"
    )
    found = [UnusualReader(m.user, m, *flagged[m.user_id]) for m in memberships]
    return sorted(found, key=lambda r: (-r.peak, r.user.pk))


def account_suspend(*, membership: Membership, by: User | None, reason: str = "") -> int:
    """Suspend a member (:func:`amparo.accounts.services.membership_deactivate` with
    ``suspend``; ``reason``: a short code for the audit log). Returns the sessions revoked."""
    return membership_deactivate(membership=membership, by=by, suspend=True, code=reason)
