"""The audit log's hash chain: how a row's hash is computed, and how the chain is checked.

Each event's ``row_hash`` is HMAC-SHA256 under a key derived from the index key
(never in the database) over the previous event's hash and a canonical form of the
event's content (everything but its id, which the database assigns after the hash
is computed). Editing an event changes its hash; deleting one breaks the link of
the event after it; forging either needs the key. ``amparo audit verify`` walks the
log in id order and names the first event where the chain breaks.

What it cannot see by itself: events written before the chain existed (empty hashes;
they are counted, not checked), and the newest events being cut off the end, which
leaves a shorter chain that is still intact. For that, keep the last hash that
``amparo backup`` and ``verify`` print somewhere else, and give it back:
``amparo audit verify --last-hash H`` fails when no event of the chain has that hash.

The hash covers the event's time to the microsecond, which both databases keep and
backups carry exactly; :func:`recover_at` finds it again for a backup written before
they did (times rounded down to the millisecond).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from amparo.lib.crypto.keys import DERIVED_CACHES, index_key

from .models import AuditEvent

CHAIN_PURPOSE = b"amparo-audit-chain:v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# The columns the hash covers, in the order canonical() takes them.
CONTENT_FIELDS = (
    "network_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "fields",
    "note",
    "at",
)


def _chain_key() -> bytes:
    return _derive(index_key())  # index_key(): refused after a panic wipe


@cache
def _derive(key: bytes) -> bytes:
    """The chain's key, derived once per index key (not for each row)."""
    return hmac.new(key, CHAIN_PURPOSE, hashlib.sha256).digest()


def chain_mac() -> hmac.HMAC:
    """An HMAC under the chain's key, empty: ``.copy()`` it for each row (the key is
    set up once, not per row)."""
    return _empty(_chain_key())


@cache
def _empty(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


DERIVED_CACHES.extend([_derive.cache_clear, _empty.cache_clear])


def chain_micros(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _MICROSECOND


def canonical(
    network_id: int | None,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    fields: Iterable[str],
    note: str,
    at: datetime,
) -> bytes:
    """The event's content as bytes that read back the same from SQLite and PostgreSQL."""
    parts = canonical_parts(network_id, actor_id, action, target_type, fields, note)
    return canonical_join(parts, target_id, chain_micros(at))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_parts(
    network_id: int | None,
    actor_id: int | None,
    action: str,
    target_type: str,
    fields: Iterable[str],
    note: str,
) -> tuple[bytes, bytes]:
    """:func:`canonical` but the target id and the time, built ahead of the write (an
    import's events, before the write lock): the text before the id, the text between."""
    before = _json([1, network_id, actor_id, action, target_type])[:-1] + ","
    between = "," + _json([list(fields), note])[1:-1] + ","
    return before.encode("utf-8"), between.encode("utf-8")


def canonical_join(parts: tuple[bytes, bytes], target_id: str, micros: int) -> bytes:
    return parts[0] + _json(target_id).encode("utf-8") + parts[1] + b"%d]" % micros


def row_hash(prev_hash: str, content: bytes, mac: hmac.HMAC | None = None) -> str:
    """``mac``: :func:`chain_mac`, when hashing many rows."""
    mac = (mac or chain_mac()).copy()
    mac.update(prev_hash.encode("ascii") + b"\n" + content)
    return mac.hexdigest()


def recover_at(
    prev_hash: str, content: list[Any], rounded: datetime, stored_hash: str, hint: datetime | None
) -> datetime | None:
    """The exact time of an event whose time came back rounded down to the millisecond:
    the one of the thousand candidates that gives its stored hash (``hint`` first: the
    events of one append share a time). None when no candidate does (the event was
    changed); ``verify`` then names it. ``content`` is the event's CONTENT_FIELDS but
    its time."""
    base = chain_micros(rounded)
    base -= base % 1000
    first = (
        [chain_micros(hint)]
        if hint is not None and chain_micros(hint) - chain_micros(hint) % 1000 == base
        else []
    )
    arguments: list[Any] = [*content, _EPOCH + base * _MICROSECOND]
    full = canonical(*arguments)
    tail = f",{base}]".encode()
    if not full.endswith(tail):  # pragma: no cover - canonical() puts the time last
        return None
    mac = hmac.new(
        _chain_key(), prev_hash.encode("ascii") + b"\n" + full[: -len(tail)], hashlib.sha256
    )
    try:
        wanted = bytes.fromhex(stored_hash)
    except ValueError:
        return None
    for micros in (*first, *range(base, base + 1000)):
        attempt = mac.copy()
        attempt.update(b",%d]" % micros)
        if hmac.compare_digest(attempt.digest(), wanted):
            return _EPOCH + micros * _MICROSECOND
    return None


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int  # chained events whose hash was recomputed
    before_chain: int  # events written before the chain existed (empty hash)
    broken_id: int | None = None
    last_good_id: int | None = None
    reason: str = ""
    last_hash: str = ""
    after_kept: int = 0  # events after the one whose hash the operator kept


#: ChainReport.reason when the hash the operator kept is nowhere in the chain.
CUT_OFF = (
    "no event has the last hash you kept: the newest events were cut off the end "
    "(or that hash is not from this log)"
)


def chain_verify(*, chunk_size: int = 2000, last_hash: str = "") -> ChainReport:
    """Recompute every hash in id order; stop at the first event that does not fit.
    With ``last_hash`` (the end of the chain as an earlier verify or backup saw it), the
    chain must also still contain that event: otherwise its end was cut off."""
    last_hash = last_hash.strip().lower()
    columns: tuple[str, ...] = ("id", *CONTENT_FIELDS, "prev_hash", "row_hash")
    rows: Iterable[Any] = (
        AuditEvent.objects.order_by("id").values_list(*columns).iterator(chunk_size=chunk_size)
    )
    expected_prev = ""
    started = False
    checked = before = 0
    last_good_id: int | None = None
    found_kept = not last_hash
    after_kept = 0
    for event_id, *content, prev_hash, stored_hash in rows:
        if not started and not stored_hash and not prev_hash:
            before += 1
            continue
        started = True
        reason = ""
        if prev_hash != expected_prev:
            reason = "the event before it was deleted or changed"
        elif not hmac.compare_digest(stored_hash, row_hash(prev_hash, canonical(*content))):
            reason = "this event was changed"
        if reason:
            return ChainReport(
                intact=False,
                checked=checked,
                before_chain=before,
                broken_id=event_id,
                last_good_id=last_good_id,
                reason=reason,
                last_hash=expected_prev,
            )
        expected_prev = stored_hash
        last_good_id = event_id
        checked += 1
        if found_kept and last_hash:
            after_kept += 1
        elif not found_kept and hmac.compare_digest(stored_hash, last_hash):
            found_kept = True
    if not found_kept:
        return ChainReport(
            intact=False,
            checked=checked,
            before_chain=before,
            last_good_id=last_good_id,
            reason=CUT_OFF,
            last_hash=expected_prev,
        )
    return ChainReport(
        intact=True,
        after_kept=after_kept,
        checked=checked,
        before_chain=before,
        last_good_id=last_good_id,
        last_hash=expected_prev,
    )
