"""Keyed hashes for lookups without clear text.

A blind index is HMAC-SHA256(index key, purpose + normalized value): equal inputs
give equal hashes, so an exact lookup works, but the database alone reveals nothing
and cannot be brute-forced without the key. Name tokens are the same hash over
accent-folded name parts and their prefixes, so "mar" finds "María".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .keys import index_key

INDEX_HEX = 32  # 128 bits: collisions are out of reach for any network's size
TOKEN_HEX = 16  # 64 bits per token
MIN_PREFIX = 2
MAX_PREFIX = 12


# (purpose, value) -> its hash, while hashes_remembered() is on (this thread): in a
# bulk step (an import's chunk) a phone is looked up, matched and stored, a first name
# recurs in many names; each is hashed once, and forgotten at the block's end.
_memo: ContextVar[dict[tuple[str, str], str] | None] = ContextVar("blind_memo", default=None)


@contextmanager
def hashes_remembered() -> Iterator[None]:
    token = _memo.set(_remembered())
    try:
        yield
    finally:
        _memo.reset(token)


def _remembered() -> dict[tuple[str, str], str]:
    memo = _memo.get()
    return {} if memo is None else memo


def blind_index(purpose: str, normalized_value: str) -> str:
    memo = _remembered()
    if (key := (purpose, normalized_value)) not in memo:
        mac = hmac.new(index_key(), f"{purpose}\x00{normalized_value}".encode(), hashlib.sha256)
        memo[key] = mac.hexdigest()[:INDEX_HEX]
    return memo[key]


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_index(email: str) -> str:
    return blind_index("email", normalize_email(email))


def phone_index(e164: str) -> str:
    """Index of a phone number already normalized to E.164 (see amparo.lib.phones)."""
    return blind_index("phone", e164.strip())


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Peña' -> 'pena'."""
    if text.isascii():  # nothing to decompose (most names: fast)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_parts(name: str) -> list[str]:
    return [part for part in re.split(r"[^\w]+", fold(name)) if part]


def _token(text: str, base: hmac.HMAC | None = None) -> str:
    mac = (base or hmac.new(index_key(), b"name\x00", hashlib.sha256)).copy()
    mac.update(text.encode())
    return mac.hexdigest()[:TOKEN_HEX]


def name_tokens(name: str) -> list[str]:
    """Tokens stored with a record: every name part and each of its prefixes (the key
    is fetched once per name, not once per token: a name has a dozen)."""
    tokens: set[str] = set()
    base = None
    memo = _remembered()
    for part in name_parts(name):
        if (key := ("\x00tokens", part)) not in memo:
            base = base or hmac.new(index_key(), b"name\x00", hashlib.sha256)
            ends = range(min(MIN_PREFIX, len(part)), min(len(part), MAX_PREFIX) + 1)
            memo[key] = " ".join(_token(part[:end], base) for end in ends)
        tokens.update(memo[key].split())
    return sorted(tokens)


def query_tokens(query: str) -> list[str]:
    """Tokens to look for: each word typed, cut to the longest stored prefix."""
    return sorted({_token(part[:MAX_PREFIX]) for part in name_parts(query)})


def tokens_text(tokens: list[str]) -> str:
    """Stored form: space-separated and space-padded so `contains` matches whole tokens."""
    return " " + " ".join(tokens) + " " if tokens else ""
