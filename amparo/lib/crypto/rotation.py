"""Master-key rotation: rewrap each data key; the encrypted values do not change."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction

from .envelope import rewrap_data_key
from .fields import WrappedKeyColumn

BATCH = 500


def rotate_master_key() -> dict[str, int]:
    """Rewrap every wrapped data key under the primary master key; counts by model label."""
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, WrappedKeyColumn):
                done = _rewrap_column(model._default_manager, field.name)
                counts[model._meta.label] = counts.get(model._meta.label, 0) + done
    return counts


def _rewrap_column(manager: Any, name: str) -> int:
    done = 0
    last_pk = 0
    while True:
        rows = list(
            manager.filter(pk__gt=last_pk)
            .exclude(**{name: None})
            .order_by("pk")
            .values_list("pk", name)[:BATCH]
        )
        if not rows:
            return done
        with transaction.atomic():
            for pk, wrapped in rows:
                new = rewrap_data_key(bytes(wrapped))
                if new is not None:
                    manager.filter(pk=pk, **{name: wrapped}).update(**{name: new})
                    done += 1
        last_pk = rows[-1][0]
