"""Recording who changed — and who read — what. Never values, only field names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from .chain import canonical, row_hash
from .models import AuditEvent, Network, User

# Any constant: the PostgreSQL advisory lock that puts appends to the chain in one line.
_CHAIN_LOCK = 0x616D7061  # "ampa"


def _target(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


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
    event = _event(action=action, actor=actor, network=network, obj=obj, fields=fields, note=note)
    _append(event)
    return event


def _event(
    *,
    action: str,
    actor: User | Any | None,
    network: Network | None,
    obj: models.Model | None,
    fields: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    target_type, target_id = _target(obj)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if network is None and obj is not None:
        network = getattr(obj, "network", None)
    return AuditEvent(
        action=action,
        actor=actor,
        network=network,
        target_type=target_type,
        target_id=target_id,
        fields=sorted(set(fields)),
        note=note[:200],
    )


def _append(*events: AuditEvent) -> None:
    """Insert ``events`` as the new end of the hash chain (amparo/accounts/chain.py), in
    their order, in one INSERT.

    Appends are serialized so two of them can never link to the same previous event:
    on PostgreSQL by a transaction-scoped advisory lock (a row lock on "the last row"
    would not do: a waiting transaction would get the old last row back, and an empty
    table has no row to lock); on SQLite every transaction begins IMMEDIATE, which
    takes the single write lock before the last row is read. The lock is held until
    the surrounding transaction commits.
    """
    if not events:
        return
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.using(using).order_by("-id").values_list("row_hash", "at").first()
        prev_hash, prev_at = last if last else ("", None)
        # Time in the chain only moves forward, even if the clock steps back.
        at = timezone.now()
        at = max(at, prev_at) if prev_at else at
        for event in events:
            event.at = at
            event.prev_hash = prev_hash
            event.row_hash = prev_hash = row_hash(
                prev_hash,
                canonical(
                    event.network_id,
                    event.actor_id,
                    event.action,
                    event.target_type,
                    event.target_id,
                    event.fields,
                    event.note,
                    event.at,
                ),
            )
        AuditEvent.objects.using(using).bulk_create(events)  # ids in the chain's order


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
    """:func:`audit_read` for every record a page shows, appended at once: a page of
    fifty records costs the queries of one."""
    _append(
        *(
            _event(action=AuditEvent.Action.READ, actor=actor, network=network, obj=o, note=reason)
            for o in objs
        )
    )
