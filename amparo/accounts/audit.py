"""Recording who changed — and who read — what. Never values, only field names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import AuditEvent, Network, User


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
    target_type, target_id = _target(obj)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if network is None and obj is not None:
        network = getattr(obj, "network", None)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        network=network,
        target_type=target_type,
        target_id=target_id,
        fields=sorted(set(fields)),
        note=note[:200],
    )


def audit_read(
    *, actor: User | Any, obj: models.Model, network: Network | None = None, reason: str = ""
) -> AuditEvent:
    """Record that ``actor`` looked at a sensitive record (later issues call this on every read)."""
    return audit_record(
        action=AuditEvent.Action.READ, actor=actor, network=network, obj=obj, note=reason
    )
