"""Authenticated encryption: AES-256-GCM and ChaCha20-Poly1305 (RFC 8439), via ``cryptography``.

Both take a 32-byte key and a 12-byte nonce and append a 16-byte tag to the ciphertext.
``seal``/``open_`` pick a random nonce and prefix it, for callers that do not manage nonces.
With random 96-bit nonces, keep to well under 2**32 messages per key.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import aead as _aead

from ._util import as_bytes, key_bytes
from .errors import DecryptionError

__all__ = ["AES256GCM", "TAG_SIZE", "AeadCipher", "ChaCha20Poly1305", "open_", "resolve", "seal"]

TAG_SIZE = 16


class AeadCipher:
    """Common interface of the AEAD ciphers; use the subclasses, never instantiated."""

    NAME: ClassVar[str]
    KEY_SIZE: ClassVar[int] = 32
    NONCE_SIZE: ClassVar[int] = 12
    TAG_SIZE: ClassVar[int] = TAG_SIZE
    _impl: ClassVar[type]

    def __init__(self) -> None:  # pragma: no cover - namespace class
        raise TypeError(f"{type(self).__name__} is used through its class methods")

    @classmethod
    def _cipher(cls, key: bytes, nonce: bytes) -> tuple[Any, bytes]:
        cipher = cls._impl(key_bytes(key, "key", cls.KEY_SIZE))
        return cipher, key_bytes(nonce, "nonce", cls.NONCE_SIZE)

    @classmethod
    def encrypt(cls, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Encrypt; returns ciphertext || 16-byte tag. Wrong key/nonce length: InvalidKeyError."""
        cipher, nonce = cls._cipher(key, nonce)
        return cipher.encrypt(nonce, as_bytes(plaintext, "plaintext"), as_bytes(aad, "aad"))

    @classmethod
    def decrypt(cls, key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
        """Decrypt ciphertext || tag; raises DecryptionError if authentication fails."""
        cipher, nonce = cls._cipher(key, nonce)
        ciphertext = as_bytes(ciphertext, "ciphertext")
        aad = as_bytes(aad, "aad")
        if len(ciphertext) < cls.TAG_SIZE:
            raise DecryptionError("ciphertext is shorter than the authentication tag")
        try:
            return cipher.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise DecryptionError(f"{cls.NAME} authentication failed") from exc


class AES256GCM(AeadCipher):
    """AES-256 in Galois/Counter Mode (NIST SP 800-38D), 96-bit nonce, 128-bit tag."""

    NAME = "aes-256-gcm"
    _impl = _aead.AESGCM


class ChaCha20Poly1305(AeadCipher):
    """ChaCha20-Poly1305 AEAD (RFC 8439)."""

    NAME = "chacha20-poly1305"
    _impl = _aead.ChaCha20Poly1305


_BY_NAME: dict[str, type[AeadCipher]] = {c.NAME: c for c in (AES256GCM, ChaCha20Poly1305)}


def resolve(alg: type[AeadCipher] | str) -> type[AeadCipher]:
    """Accept a cipher class or its name ("aes-256-gcm", "chacha20-poly1305")."""
    if isinstance(alg, str):
        try:
            return _BY_NAME[alg.lower()]
        except KeyError:
            raise ValueError(f"unknown AEAD algorithm {alg!r}") from None
    if isinstance(alg, type) and issubclass(alg, AeadCipher) and alg is not AeadCipher:
        return alg
    raise TypeError("alg must be AES256GCM, ChaCha20Poly1305 or one of their names")


def seal(alg: type[AeadCipher] | str, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt with a fresh random nonce; returns nonce || ciphertext || tag."""
    cipher = resolve(alg)
    nonce = os.urandom(cipher.NONCE_SIZE)
    return nonce + cipher.encrypt(key, nonce, plaintext, aad)


def open_(alg: type[AeadCipher] | str, key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
    """Inverse of :func:`seal`; raises DecryptionError on any tampering or truncation."""
    cipher = resolve(alg)
    sealed = as_bytes(sealed, "sealed")
    if len(sealed) < cipher.NONCE_SIZE + cipher.TAG_SIZE:
        # Still check the key so a wrong-length key is reported as such.
        key_bytes(key, "key", cipher.KEY_SIZE)
        raise DecryptionError("sealed message is too short")
    nonce, body = sealed[: cipher.NONCE_SIZE], sealed[cipher.NONCE_SIZE :]
    return cipher.decrypt(key, nonce, body, aad)
