"""Recording who changed — and who read — what. Never values, only field names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from .chain import CONTENT_FIELDS, canonical, row_hash
from .models import AuditEvent, Network, User

# Any constant: the PostgreSQL advisory lock that puts appends to the chain in one line.
_CHAIN_LOCK = 0x616D7061  # "ampa"


def audit_record(
    *,
    action: str,
    actor: User | Any | None = None,
    network: Network | None = None,
    obj: models.Model | None = None,
    fields: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    """Append one event. ``note`` is for codes and counts, never personal data."""
    return _append(action, actor, network, [obj], fields, note)[0]


def _append(
    action: str,
    actor: User | Any | None,
    network: Network | None,
    objs: Iterable[models.Model | None],
    fields: Iterable[str] = (),
    note: str = "",
    fields_each: Iterable[Iterable[str]] | None = None,
) -> list[AuditEvent]:
    """Insert one event per object of ``objs`` as the new end of the hash chain
    (amparo/accounts/chain.py), in their order, in one INSERT.

    Appends are serialized so two of them can never link to the same previous event:
    on PostgreSQL by a transaction-scoped advisory lock (a row lock on "the last row"
    would not do: a waiting transaction would get the old last row back, and an empty
    table has no row to lock); on SQLite every transaction begins IMMEDIATE, which
    takes the single write lock before the last row is read. The lock is held until
    the surrounding transaction commits.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    objs = list(objs)
    each = [sorted(set(f)) for f in fields_each] if fields_each is not None else None
    events = [
        AuditEvent(
            action=action,
            actor=actor,
            network=network or getattr(obj, "network", None),
            target_type=obj._meta.label_lower if obj is not None else "",
            target_id=str(obj.pk) if obj is not None else "",
            fields=each[i] if each is not None else sorted(set(fields)),
            note=note[:200],
        )
        for i, obj in enumerate(objs)
    ]
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.using(using).order_by("-id").values_list("row_hash", "at").first()
        prev_hash, prev_at = last if last else ("", None)
        # Time in the chain only moves forward, even if the clock steps back.
        at = max(timezone.now(), prev_at) if prev_at else timezone.now()
        for event in events:
            event.at = at
            event.prev_hash = prev_hash
            content = canonical(*(getattr(event, name) for name in CONTENT_FIELDS))
            event.row_hash = prev_hash = row_hash(prev_hash, content)
        return AuditEvent.objects.using(using).bulk_create(events)  # ids in the chain's order


def audit_read(
    *, actor: User | Any, obj: models.Model, network: Network | None = None, reason: str = ""
) -> AuditEvent:
    """Record that ``actor`` looked at a sensitive record (later issues call this on every read)."""
    return audit_record(
        action=AuditEvent.Action.READ, actor=actor, network=network, obj=obj, note=reason
    )


def audit_reads(
    *, actor: User | Any, objs: Iterable[models.Model], network: Network, reason: str = ""
) -> None:
    """:func:`audit_read` of every record a page shows, in one append."""
    _append(AuditEvent.Action.READ, actor, network, objs, note=reason)


def audit_record_many(
    *,
    action: str,
    changes: Iterable[tuple[models.Model, Iterable[str]]],
    actor: User | Any | None = None,
    network: Network | None = None,
    note: str = "",
) -> list[AuditEvent]:
    """:func:`audit_record` of many records, each with the names of its changed fields,
    in one append (a bulk import's people)."""
    pairs = list(changes)
    return _append(
        action,
        actor,
        network,
        [o for o, _f in pairs],
        note=note,
        fields_each=[f for _o, f in pairs],
    )
