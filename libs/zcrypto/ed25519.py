"""Ed25519 signatures (RFC 8032, pure Ed25519) on top of ``cryptography``.

Private keys are the 32-byte RFC 8032 seed; public keys are the 32-byte encoded point.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ._util import as_bytes, key_bytes
from .errors import InvalidKeyError, InvalidSignatureError

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "generate_keypair",
    "public_key",
    "sign",
    "verify",
    "verify_or_raise",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def _private(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(key_bytes(seed, "seed", SEED_SIZE))


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a fresh ``(seed, public_key)`` pair from the OS CSPRNG."""
    seed = os.urandom(SEED_SIZE)
    return seed, public_key(seed)


def public_key(seed: bytes) -> bytes:
    """Derive the 32-byte public key of a 32-byte seed."""
    return _private(seed).public_key().public_bytes_raw()


def sign(seed: bytes, message: bytes) -> bytes:
    """Sign ``message``; returns the 64-byte deterministic signature."""
    return _private(seed).sign(as_bytes(message, "message"))


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is valid for ``message`` under ``public_key``.

    A bad or wrong-length signature gives False; a public key that is not 32 bytes raises
    InvalidKeyError. A 32-byte string that is not a valid point also gives False.
    """
    pub = key_bytes(public_key, "public_key", PUBLIC_KEY_SIZE)
    message = as_bytes(message, "message")
    signature = as_bytes(signature, "signature")
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(pub)
    except ValueError as exc:  # pragma: no cover - OpenSSL defers point checks to verify
        raise InvalidKeyError("public_key is not a valid Ed25519 point") from exc
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def verify_or_raise(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Like :func:`verify` but raises InvalidSignatureError instead of returning False."""
    if not verify(public_key, message, signature):
        raise InvalidSignatureError("Ed25519 signature does not verify")
