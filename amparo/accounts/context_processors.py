from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def amparo(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    caps = membership.capabilities() if membership is not None else frozenset()
    return {
        "network": getattr(request, "network", None),
        "membership": membership,
        "caps": caps,
        "sandbox_enabled": settings.SANDBOX_ENABLED,
        "demo": settings.DEMO,
        "base_url": settings.BASE_URL,  # links to share: the configured address, never Host
    }
