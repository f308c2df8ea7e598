"""Start-up checks: a missing or malformed key stops every command that runs checks."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from amparo.lib.crypto.keys import KeyConfigurationError, require_keys


@register(deploy=True)
def sms_route_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Without a text-message route, nobody can be alerted."""
    from django.conf import settings

    if not settings.CHANNEL_ROUTES.get("sms"):
        return [
            Warning(
                "No text-message route: set TWILIO_ACCOUNT_SID (and the other TWILIO_* "
                "variables) or AMPARO_SMS_TRANSPORT, or alerts cannot reach anyone.",
                id="amparo.W001",
            )
        ]
    return []


@register()
def keys_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        require_keys()
    except KeyConfigurationError as exc:
        return [Error(str(exc), id="amparo.E001")]
    return []
