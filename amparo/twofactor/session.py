"""Whether this browser session passed the second factor, and when (the one place to ask).
The mark lives in the session (logout, a password change or revocation removes it) with
its time, so sensitive actions (the panic wipe) can ask for a recent one ("step-up")."""

from __future__ import annotations

import time

from django.http import HttpRequest

SESSION_KEY = "amparo_2fa"


def mark_verified(request: HttpRequest, method: str) -> None:
    """Record that this session passed a second factor now (``totp``, ``passkey`` or
    ``recovery``). The session key is cycled so a planted session id is useless."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"at": int(time.time()), "method": method}


def verified_at(request: HttpRequest) -> int | None:
    mark = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(mark, dict) or not isinstance(mark.get("at"), int):
        return None
    return int(mark["at"])


def is_verified(request: HttpRequest) -> bool:
    return verified_at(request) is not None


def verified_within(request: HttpRequest, seconds: int) -> bool:
    """True when the second factor was passed in the last ``seconds`` (step-up)."""
    at = verified_at(request)
    return at is not None and time.time() - at <= seconds
