"""Protected fields: envelope encryption, blind indexes, name tokens, classification.

Names are re-exported lazily so that ``amparo.lib.crypto.keys`` can be imported
before Django is set up (the CLI makes the demo's key files with it).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "email_index": "blind",
    "name_tokens": "blind",
    "phone_index": "blind",
    "query_tokens": "blind",
    "classify": "classification",
    "DecryptionError": "envelope",
    "BlindIndexField": "fields",
    "EncryptedJSONField": "fields",
    "EncryptedTextField": "fields",
    "NameTokensField": "fields",
    "OwnsDataKey": "fields",
    "ProtectedFieldError": "fields",
    "name_search_filter": "fields",
    "KeyConfigurationError": "keys",
    "require_keys": "keys",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(name) from None
    return getattr(import_module(f"{__name__}.{module}"), name)
