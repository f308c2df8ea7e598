"""Master-key rotation: rewrap each data key; the encrypted values do not change."""

from __future__ import annotations

from django.db import transaction

from .envelope import rewrap_data_key
from .verify import key_owning_models

BATCH = 500


def rotate_master_key() -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in key_owning_models():
        manager = model._default_manager
        done = 0
        last_pk = 0
        while True:
            rows = list(
                manager.filter(pk__gt=last_pk)
                .exclude(wrapped_key=None)
                .order_by("pk")
                .values_list("pk", "wrapped_key")[:BATCH]
            )
            if not rows:
                break
            with transaction.atomic():
                for pk, wrapped in rows:
                    new = rewrap_data_key(bytes(wrapped))
                    if new is not None:
                        manager.filter(pk=pk, wrapped_key=wrapped).update(wrapped_key=new)
                        done += 1
            last_pk = rows[-1][0]
        counts[model._meta.label] = done
    return counts
