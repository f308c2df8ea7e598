"""Every URL pattern of the project, for tests that must cover them all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    callback: Any
    converters: dict[str, str]  # kwarg name -> converter class name ("IntConverter", …)


def iter_routes(
    patterns: list[Any] | None = None, namespace: str = "", converters: dict[str, str] | None = None
) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        convs = dict(converters or {})
        convs.update(
            {k: type(v).__name__ for k, v in getattr(entry.pattern, "converters", {}).items()}
        )
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_routes(entry.url_patterns, ns, convs)
        elif isinstance(entry, URLPattern):
            yield Route(f"{namespace}{entry.name or ''}", entry.callback, convs)
