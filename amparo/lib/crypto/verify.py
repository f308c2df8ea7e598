"""Does the configured master key open this database's data keys?"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from .envelope import DecryptionError, unwrap_data_key
from .fields import WrappedKeyField
from .keys import KeyConfigurationError


def key_owning_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if any(isinstance(f, WrappedKeyField) for f in model._meta.concrete_fields)
    ]


def verify_database_keys() -> str:
    """An explanation if the master key cannot open the oldest and newest data keys, else ''."""
    for model in key_owning_models():
        qs = model._default_manager.exclude(wrapped_key=None).order_by("pk")
        for row in (qs.first(), qs.last()):
            if row is None:
                continue
            try:
                unwrap_data_key(bytes(row.wrapped_key))  # type: ignore[attr-defined]
            except (KeyConfigurationError, DecryptionError) as exc:
                return (
                    "AMPARO_MASTER_KEY does not open the data keys already in this database "
                    f"({model._meta.label}: {exc}). Start with the key the data was written with."
                )
    return ""
