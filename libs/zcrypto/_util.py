"""Small input-checking helpers shared by the zcrypto modules."""

from __future__ import annotations

from .errors import InvalidKeyError

BytesLike = bytes | bytearray | memoryview


def as_bytes(value: object, name: str) -> bytes:
    """Return ``value`` as ``bytes``; raise TypeError (naming only the parameter) otherwise."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{name} must be bytes-like, not {type(value).__name__}")


def key_bytes(value: object, name: str, size: int) -> bytes:
    """Return ``value`` as bytes of exactly ``size`` bytes, else raise InvalidKeyError."""
    data = as_bytes(value, name)
    if len(data) != size:
        # Length only: never echo key material.
        raise InvalidKeyError(f"{name} must be {size} bytes, got {len(data)}")
    return data
