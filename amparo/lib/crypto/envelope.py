"""Envelope encryption: AES-256-GCM data keys wrapped by a master key."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import KEY_BYTES, KID_BYTES, master_key_by_kid, primary_master_key

WRAP_VERSION = b"\x01"
VALUE_VERSION = b"\x01"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """Ciphertext could not be opened: wrong key, tampering, or a destroyed data key."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def wrap_data_key(data_key: bytes) -> bytes:
    master = primary_master_key()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master.secret).encrypt(nonce, data_key, WRAP_VERSION + master.kid)
    return WRAP_VERSION + master.kid + nonce + sealed


def wrapped_kid(wrapped: bytes) -> bytes:
    return bytes(wrapped[1 : 1 + KID_BYTES])


def unwrap_data_key(wrapped: bytes) -> bytes:
    wrapped = bytes(wrapped)
    if not wrapped or wrapped[:1] != WRAP_VERSION:
        raise DecryptionError("unknown wrapped-key format")
    kid = wrapped_kid(wrapped)
    nonce = wrapped[1 + KID_BYTES : 1 + KID_BYTES + NONCE_BYTES]
    sealed = wrapped[1 + KID_BYTES + NONCE_BYTES :]
    master = master_key_by_kid(kid)
    try:
        return AESGCM(master.secret).decrypt(nonce, sealed, WRAP_VERSION + kid)
    except InvalidTag:
        raise DecryptionError("the master key does not open this data key") from None


def rewrap_data_key(wrapped: bytes) -> bytes | None:
    """Rewrap under the primary master key; None if it already is."""
    if wrapped_kid(wrapped) == primary_master_key().kid:
        return None
    return wrap_data_key(unwrap_data_key(wrapped))


def seal(data_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VALUE_VERSION + nonce + AESGCM(data_key).encrypt(nonce, plaintext, context)


def open_sealed(data_key: bytes, sealed: bytes, context: bytes) -> bytes:
    if sealed[:1] != VALUE_VERSION:
        raise DecryptionError("unknown ciphertext format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, body, context)
    except InvalidTag:
        raise DecryptionError("this value cannot be opened with its record's data key") from None
