"""Master keys (wrap the data keys) and the index key (keyed hashes).

Neither ever reaches the database. ``AMPARO_MASTER_KEY`` holds one or more
base64 keys of 32 bytes separated by commas: the first wraps new data keys, the
others can still unwrap old ones while ``amparo rotate-keys`` rewraps them.
``AMPARO_INDEX_KEY`` is one base64 key of 32 bytes for blind indexes and name
tokens; it cannot be rotated without rebuilding every index.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32
KID_BYTES = 8


class KeyConfigurationError(ImproperlyConfigured):
    """A key is missing or malformed; start-up must stop."""


PANIC_MARKER = "PANIC"


def panic_marker() -> Path:
    """The file a panic wipe leaves in the data directory. While it exists no process
    sharing that directory (other web workers, the background worker) uses a key it
    still holds in memory: nothing new is sealed with a key the network believes gone."""
    return Path(settings.DATA_DIR) / PANIC_MARKER


#: How long a hot path (each request, the outbox) trusts "no panic marker" before it
#: looks again. A marker once seen is trusted for good.
PANIC_CHECK_SECONDS = 1.0
_panic_seen: tuple[str, float, bool] | None = None  # (data dir, when looked, marker found)


def panicked() -> bool:
    """Whether a panic wipe destroyed this installation's keys (any process's wipe: the
    marker file). Cheap enough for every request: the file is looked for at most once a
    second per process, and once found it is not looked for again."""
    global _panic_seen
    directory = str(settings.DATA_DIR)
    seen = _panic_seen
    now = time.monotonic()
    if (
        seen is not None
        and seen[0] == directory
        and (seen[2] or now - seen[1] < PANIC_CHECK_SECONDS)
    ):
        return seen[2]
    found = os.path.exists(os.path.join(directory, PANIC_MARKER))
    _panic_seen = (directory, now, found)
    return found


_checked = threading.local()  # depth of panic_checked_once() blocks on this thread


@contextmanager
def panic_checked_once() -> Iterator[None]:
    """For a bulk write's sealing (one import chunk: thousands of key uses in a fraction
    of a second): look for the panic marker once, now, and not at each key use on this
    thread until the block ends. Only for short blocks that seal and write nothing else."""
    refuse_after_panic()
    depth = getattr(_checked, "depth", 0)
    _checked.depth = depth + 1
    try:
        yield
    finally:
        _checked.depth = depth


def refuse_after_panic() -> None:
    if getattr(_checked, "depth", 0):
        return  # looked at the start of this thread's panic_checked_once() block
    # os.path, not pathlib: this runs before every use of a key (thousands in an import)
    if os.path.exists(os.path.join(settings.DATA_DIR, PANIC_MARKER)):
        raise KeyConfigurationError(
            "A panic wipe destroyed this installation's keys. Nothing will be encrypted "
            "or decrypted with the old keys. To start again: stop every Amparo process, "
            "set new keys (`amparo generate-key`), remove the file "
            f"{panic_marker()} and start Amparo on a fresh database."
        )


@dataclass(frozen=True)
class MasterKey:
    kid: bytes
    secret: bytes


def _decode(variable: str, text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"==")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyConfigurationError(
            f"{variable} (or {variable}_FILE) is not a valid key: each key must be "
            f"{KEY_BYTES} random bytes in base64. Generate one with `amparo generate-key`."
        )
    return raw


def key_id(secret: bytes) -> bytes:
    return hashlib.sha256(b"amparo-kid:" + secret).digest()[:KID_BYTES]


def master_keys() -> tuple[MasterKey, ...]:
    refuse_after_panic()
    return _master_keys()


@cache
def _master_keys() -> tuple[MasterKey, ...]:
    raw = settings.MASTER_KEYS_RAW
    if not raw:
        raise KeyConfigurationError(
            "AMPARO_MASTER_KEY (or AMPARO_MASTER_KEY_FILE) is not set. Amparo will not "
            "start without it, because it would have no way to encrypt personal data."
        )
    keys = []
    for part in raw.split(","):
        if part.strip():
            secret = _decode("AMPARO_MASTER_KEY", part)
            keys.append(MasterKey(kid=key_id(secret), secret=secret))
    if not keys:
        raise KeyConfigurationError("AMPARO_MASTER_KEY is empty.")
    return tuple(keys)


def primary_master_key() -> MasterKey:
    return master_keys()[0]


def master_key_by_kid(kid: bytes) -> MasterKey:
    for key in master_keys():
        if key.kid == kid:
            return key
    raise KeyConfigurationError(
        "AMPARO_MASTER_KEY does not contain the key this record was encrypted with "
        f"(key id {kid.hex()}). Was the key changed without `amparo rotate-keys`?"
    )


def index_key() -> bytes:
    refuse_after_panic()
    return _index_key()


@cache
def _index_key() -> bytes:
    raw = settings.INDEX_KEY_RAW
    if not raw:
        raise KeyConfigurationError(
            "AMPARO_INDEX_KEY (or AMPARO_INDEX_KEY_FILE) is not set. Amparo will not "
            "start without it, because it could not look up phone numbers or emails."
        )
    return _decode("AMPARO_INDEX_KEY", raw)


def require_keys() -> None:
    """Raise KeyConfigurationError naming the variable if a key is missing or malformed."""
    master_keys()
    index_key()


#: Caches of material derived from the keys elsewhere (their ``cache_clear``), emptied
#: with the keys: a panic wipe forgets them too.
DERIVED_CACHES: list[Callable[[], None]] = []


def reset_cache() -> None:
    global _panic_seen
    _master_keys.cache_clear()
    _index_key.cache_clear()
    for clear in DERIVED_CACHES:
        clear()
    _panic_seen = None


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def ensure_key_file(path: Path) -> Path:
    """Create a key file (mode 0600) if none exists; used by the demo only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new_key_text() + "\n", encoding="utf-8")
    return path
