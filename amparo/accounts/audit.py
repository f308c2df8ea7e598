"""Recording who changed — and who read — what. Never values, only field names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from amparo.lib.prepared import rows_insert

from .chain import (
    CONTENT_FIELDS,
    canonical_join,
    canonical_parts,
    chain_mac,
    chain_micros,
    row_hash,
)
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
    """Insert one event per object of ``objs`` as the new end of the hash chain, in
    their order, in one INSERT (see :class:`AuditAppend`)."""
    return AuditAppend(action, actor, network, objs, fields, note, fields_each).send()


class AuditAppend:
    """Events built ahead of their transaction (every column and the chain's input but
    the ids of records not saved yet, the time and the hashes: an import builds its
    events before it takes the write lock); :meth:`send` chains and inserts them.

    Appends are serialized so two of them can never link to the same previous event:
    on PostgreSQL by a transaction-scoped advisory lock (a row lock on "the last row"
    would not do: a waiting transaction would get the old last row back, and an empty
    table has no row to lock); on SQLite every transaction begins IMMEDIATE, which
    takes the single write lock before the last row is read. The lock is held until
    the surrounding transaction commits.
    """

    def __init__(
        self,
        action: str,
        actor: User | Any | None,
        network: Network | None,
        objs: Iterable[models.Model | None],
        fields: Iterable[str] = (),
        note: str = "",
        fields_each: Iterable[Iterable[str]] | None = None,
    ) -> None:
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        self.actor, self.note, self.objs = actor, note[:200], list(objs)
        self.action = action
        self.using = router.db_for_write(AuditEvent)
        each = [sorted(set(f)) for f in fields_each] if fields_each is not None else None
        shared = sorted(set(fields))
        json_field = AuditEvent._meta.get_field("fields")
        connection = connections[self.using]
        self.rows: list[list[Any]] = []
        self.parts: list[tuple[bytes, bytes]] = []
        self.names: list[list[str]] = []
        for i, obj in enumerate(self.objs):
            where = network or getattr(obj, "network", None)
            where_id = where.pk if where is not None else None
            kind = obj._meta.label_lower if obj is not None else ""
            names = each[i] if each is not None else shared
            self.parts.append(
                canonical_parts(
                    where_id, getattr(actor, "pk", None), action, kind, names, self.note
                )
            )
            self.names.append(names)
            prepped = json_field.get_db_prep_save(names, connection)
            self.rows.append([where_id, getattr(actor, "pk", None), action, kind, "", prepped])

    def send(self, events: bool = True) -> list[AuditEvent]:
        """Chain and insert the events (the records' ids read now); the events, unless
        ``events`` is False (then nothing is built but the rows)."""
        with transaction.atomic(using=self.using):
            connection = connections[self.using]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
                last = AuditEvent.objects.using(self.using).order_by("-id")
                prev_hash, prev_at = last.values_list("row_hash", "at").first() or ("", None)
                # Time in the chain only moves forward, even if the clock steps back.
                at = max(timezone.now(), prev_at) if prev_at else timezone.now()
                micros, mac = chain_micros(at), chain_mac()
                at_db = AuditEvent._meta.get_field("at").get_db_prep_save(at, connection)
                values: list[list[Any]] = []
                for row, parts, obj in zip(self.rows, self.parts, self.objs, strict=True):
                    target_id = str(obj.pk) if obj is not None else ""
                    content = canonical_join(parts, target_id, micros)
                    hashed = row_hash(prev_hash, content, mac)
                    values.append(
                        [*row[:4], target_id, row[5], self.note, at_db, prev_hash, hashed]
                    )
                    prev_hash = hashed
            table = AuditEvent._meta.db_table  # ids in the chain's order
            ids = [r[0] for r in rows_insert(table, _COLUMNS, values, "RETURNING id", connection)]
        return self._events(values, ids, at) if events else []

    def _events(self, values: list[list[Any]], ids: list[int], at: Any) -> list[AuditEvent]:
        out = []
        for row, pk, names in zip(values, ids, self.names, strict=True):
            event = AuditEvent(
                id=pk,
                action=self.action,
                actor=self.actor,
                network_id=row[0],
                target_type=row[3],
                target_id=row[4],
                fields=names,
                note=self.note,
                at=at,
                prev_hash=row[8],
                row_hash=row[9],
            )
            event._state.adding, event._state.db = False, self.using
            out.append(event)
        return out


_COLUMNS = [*CONTENT_FIELDS, "prev_hash", "row_hash"]


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
    in one append."""
    return audit_prepare_many(
        action=action, changes=changes, actor=actor, network=network, note=note
    ).send()


def audit_prepare_many(
    *,
    action: str,
    changes: Iterable[tuple[models.Model, Iterable[str]]],
    actor: User | Any | None = None,
    network: Network | None = None,
    note: str = "",
) -> AuditAppend:
    """:func:`audit_record_many` built now, to :meth:`~AuditAppend.send` inside the
    transaction that saves the records (a bulk import's people, before the write lock)."""
    pairs = list(changes)
    objs, each = [o for o, _f in pairs], [f for _o, f in pairs]
    return AuditAppend(action, actor, network, objs, note=note, fields_each=each)
