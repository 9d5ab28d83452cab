"""Hash functions: BLAKE3 (the chain's hash), SHA-256, SHA3-256 and BLAKE2b."""

from __future__ import annotations

import hashlib

import blake3 as _blake3

from ._util import as_bytes
from .errors import InvalidKeyError

__all__ = ["BLAKE3_KEY_SIZE", "blake2b", "blake3", "sha256", "sha3_256"]

BLAKE3_KEY_SIZE = 32


def blake3(data: bytes, length: int = 32, key: bytes | None = None) -> bytes:
    """BLAKE3 of ``data``; ``length`` bytes of (extendable) output; keyed mode if ``key`` is given.

    Raises ValueError if ``length`` < 1 and InvalidKeyError if ``key`` is not 32 bytes.
    """
    data = as_bytes(data, "data")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise ValueError("length must be a positive integer")
    if key is None:
        hasher = _blake3.blake3(data)
    else:
        key = as_bytes(key, "key")
        if len(key) != BLAKE3_KEY_SIZE:
            raise InvalidKeyError(f"BLAKE3 key must be {BLAKE3_KEY_SIZE} bytes, got {len(key)}")
        hasher = _blake3.blake3(data, key=key)
    return hasher.digest(length)


def sha256(data: bytes) -> bytes:
    """SHA-256 digest (32 bytes)."""
    return hashlib.sha256(as_bytes(data, "data")).digest()


def sha3_256(data: bytes) -> bytes:
    """SHA3-256 digest (32 bytes, FIPS 202)."""
    return hashlib.sha3_256(as_bytes(data, "data")).digest()


def blake2b(data: bytes, digest_size: int = 32, key: bytes = b"") -> bytes:
    """BLAKE2b digest of 1..64 bytes, optionally keyed with a key of at most 64 bytes.

    Raises ValueError for a bad ``digest_size`` and InvalidKeyError for an over-long key.
    """
    data = as_bytes(data, "data")
    key = as_bytes(key, "key")
    if not isinstance(digest_size, int) or not 1 <= digest_size <= hashlib.blake2b.MAX_DIGEST_SIZE:
        raise ValueError("digest_size must be an integer between 1 and 64")
    if len(key) > hashlib.blake2b.MAX_KEY_SIZE:
        raise InvalidKeyError(f"BLAKE2b key must be at most 64 bytes, got {len(key)}")
    return hashlib.blake2b(data, digest_size=digest_size, key=key).digest()
