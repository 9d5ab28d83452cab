"""X25519 Diffie-Hellman (RFC 7748) on top of ``cryptography``."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from ._util import key_bytes
from .errors import CryptoError

__all__ = ["KEY_SIZE", "generate_keypair", "public_key", "shared_secret"]

KEY_SIZE = 32
_ALL_ZERO = "X25519 produced the all-zero shared secret (small-order peer key)"


def _private(private: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(key_bytes(private, "private", KEY_SIZE))


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a fresh ``(private, public)`` pair, 32 bytes each."""
    private = os.urandom(KEY_SIZE)
    return private, public_key(private)


def public_key(private: bytes) -> bytes:
    """X25519(private, 9): the public key of a 32-byte private scalar (clamped per RFC 7748)."""
    return _private(private).public_key().public_bytes_raw()


def shared_secret(private: bytes, peer_public: bytes) -> bytes:
    """X25519(private, peer_public).

    Raises CryptoError when the result is all zeros (peer key of small order), as RFC 7748
    section 6.1 recommends, and InvalidKeyError for wrong-length inputs.
    """
    key = _private(private)
    peer = X25519PublicKey.from_public_bytes(key_bytes(peer_public, "peer_public", KEY_SIZE))
    try:
        out = key.exchange(peer)
    except ValueError as exc:  # OpenSSL refuses the all-zero output itself
        raise CryptoError(
            "X25519 produced the all-zero shared secret (small-order peer key)"
        ) from exc
    if not any(out):
        raise CryptoError("X25519 produced the all-zero shared secret (small-order peer key)")
    return out
