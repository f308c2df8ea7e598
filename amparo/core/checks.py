"""Start-up checks: a missing or malformed key stops every command that runs checks."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from amparo.lib.crypto.keys import KeyConfigurationError, require_keys


@register()
def keys_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        require_keys()
    except KeyConfigurationError as exc:
        return [Error(str(exc), id="amparo.E001")]
    return []
