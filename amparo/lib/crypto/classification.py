"""The field classification registry (DESIGN.md, "Data protection").

Every field of every model is ``public``, ``internal``, ``personal`` or
``sensitive``. ``personal`` (who and where someone is) and ``sensitive`` (what
could hurt them) must be stored encrypted; a test walks all models and fails on
any field missing here or stored in the clear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

LEVELS = ("public", "internal", "personal", "sensitive")
PROTECTED = frozenset({"personal", "sensitive"})

_registry: dict[str, dict[str, str]] = {}

M = TypeVar("M")


def register(label: str, **by_level: Iterable[str]) -> None:
    """Register a model's fields by its label, e.g. ``register("auth.group", ...)``."""
    entry = _registry.setdefault(label.lower(), {})
    for level, names in by_level.items():
        if level not in LEVELS:
            raise ValueError(f"unknown classification {level!r}")
        for name in names:
            if name in entry and entry[name] != level:
                raise ValueError(f"{label}.{name} classified twice")
            entry[name] = level


#: the fields most models share, at this level unless the model's ``classify`` names them
SHARED = {
    "id": "public",
    "network": "internal",
    "created_at": "internal",
    "wrapped_key": "internal",
}


def classify(**by_level: Iterable[str]) -> Callable[[M], M]:
    """Class decorator: ``@classify(public=[...], personal=[...])`` beside the model; the
    ``SHARED`` fields it has and does not name take their usual level."""

    def decorate(model: Any) -> Any:
        levels = {level: list(names) for level, names in by_level.items()}
        named = {name for names in levels.values() for name in names}
        for field in model._meta.concrete_fields:
            if field.name in SHARED and field.name not in named:
                levels.setdefault(SHARED[field.name], []).append(field.name)
        register(model._meta.label_lower, **levels)
        return model

    return decorate


def level_of(label: str, field_name: str) -> str | None:
    return _registry.get(label.lower(), {}).get(field_name)


def registry() -> dict[str, dict[str, str]]:
    return {label: dict(fields) for label, fields in _registry.items()}
