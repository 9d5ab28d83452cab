"""ECDSA over secp256k1 (libsecp256k1 through ``coincurve``).

Signatures are 64-byte compact ``r || s`` (big-endian), always low-S when produced here, and
nonces are RFC 6979 deterministic (libsecp256k1's default). Verification is strict: only
low-S signatures are accepted, so a signature cannot be re-encoded into a second valid one
(the malleability rule Bitcoin uses). :func:`normalize_signature` converts a high-S signature
from another implementation. Public keys are 33-byte compressed by default; verification also
accepts 65-byte uncompressed keys.
"""

from __future__ import annotations

import os

from coincurve import PrivateKey, PublicKey
from coincurve.ecdsa import cdata_to_der, der_to_cdata, deserialize_compact, serialize_compact

from ._util import as_bytes, key_bytes
from .errors import InvalidKeyError, InvalidSignatureError
from .hashes import sha256

__all__ = [
    "COMPRESSED_PUBLIC_KEY_SIZE",
    "DIGEST_SIZE",
    "ORDER",
    "SECRET_SIZE",
    "SIGNATURE_SIZE",
    "UNCOMPRESSED_PUBLIC_KEY_SIZE",
    "der_to_compact",
    "generate_keypair",
    "normalize_signature",
    "public_key",
    "sign",
    "sign_digest",
    "verify",
    "verify_digest",
    "verify_digest_der",
    "verify_or_raise",
]

SECRET_SIZE = 32
DIGEST_SIZE = 32
SIGNATURE_SIZE = 64
COMPRESSED_PUBLIC_KEY_SIZE = 33
UNCOMPRESSED_PUBLIC_KEY_SIZE = 65
# Group order n of secp256k1 (SEC 2, section 2.4.1).
ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _private(secret: bytes) -> PrivateKey:
    data = key_bytes(secret, "secret", SECRET_SIZE)
    if not 0 < int.from_bytes(data, "big") < ORDER:
        raise InvalidKeyError("secret must be an integer in [1, n-1]")
    return PrivateKey(data)


def _public(public_key: bytes) -> PublicKey:
    data = as_bytes(public_key, "public_key")
    if len(data) not in (COMPRESSED_PUBLIC_KEY_SIZE, UNCOMPRESSED_PUBLIC_KEY_SIZE):
        raise InvalidKeyError(
            f"public_key must be 33 (compressed) or 65 (uncompressed) bytes, got {len(data)}"
        )
    try:
        return PublicKey(data)
    except ValueError as exc:
        raise InvalidKeyError("public_key is not a valid secp256k1 point") from exc


def _digest(digest: bytes) -> bytes:
    data = as_bytes(digest, "digest")
    if len(data) != DIGEST_SIZE:
        raise ValueError(f"digest must be {DIGEST_SIZE} bytes, got {len(data)}")
    return data


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a fresh ``(secret32, compressed_public33)`` pair."""
    while True:
        secret = os.urandom(SECRET_SIZE)
        if 0 < int.from_bytes(secret, "big") < ORDER:
            return secret, public_key(secret)


def public_key(secret: bytes, compressed: bool = True) -> bytes:
    """Public key of ``secret``: 33-byte compressed (default) or 65-byte uncompressed."""
    return _private(secret).public_key.format(compressed=compressed)


def sign_digest(secret: bytes, digest: bytes) -> bytes:
    """Sign a 32-byte prehashed ``digest``; returns a 64-byte low-S compact signature."""
    der = _private(secret).sign(_digest(digest), hasher=None)
    return serialize_compact(der_to_cdata(der))


def sign(secret: bytes, message: bytes) -> bytes:
    """Sign SHA-256(``message``); returns a 64-byte low-S compact signature."""
    return sign_digest(secret, sha256(message))


def _verify_cdata(pub: PublicKey, digest: bytes, cdata: object) -> bool:
    return pub.verify(cdata_to_der(cdata), digest, hasher=None)


def verify_digest(public_key: bytes, digest: bytes, signature: bytes) -> bool:
    """True if the compact ``signature`` is valid and low-S for the 32-byte ``digest``.

    Malformed signatures (wrong length, r or s out of range) give False; a malformed public
    key raises InvalidKeyError; a digest that is not 32 bytes raises ValueError.
    """
    pub = _public(public_key)
    digest = _digest(digest)
    signature = as_bytes(signature, "signature")
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        cdata = deserialize_compact(signature)
    except ValueError:  # r or s >= n
        return False
    return _verify_cdata(pub, digest, cdata)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if the compact ``signature`` is valid and low-S for SHA-256(``message``)."""
    return verify_digest(public_key, sha256(message), signature)


def verify_or_raise(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Like :func:`verify` but raises InvalidSignatureError instead of returning False."""
    if not verify(public_key, message, signature):
        raise InvalidSignatureError("secp256k1 signature does not verify")


def der_to_compact(der: bytes) -> bytes:
    """Convert a strict-DER ECDSA signature to 64-byte compact form (no S normalization).

    Raises ValueError if ``der`` is not strict DER (BER forms, wrong lengths, wrong types).
    Out-of-range r or s parse as zero, which never verifies.
    """
    try:
        cdata = der_to_cdata(as_bytes(der, "der"))
    except ValueError as exc:
        raise ValueError("signature is not a valid DER ECDSA signature") from exc
    return serialize_compact(cdata)


def verify_digest_der(public_key: bytes, digest: bytes, der: bytes) -> bool:
    """Strict verification of a DER signature (interop, test vectors): False if not strict DER."""
    try:
        compact = der_to_compact(der)
    except ValueError:
        return False
    return verify_digest(public_key, digest, compact)


def normalize_signature(signature: bytes) -> bytes:
    """Return the low-S form of a 64-byte compact signature (unchanged if already low-S).

    Raises ValueError if ``signature`` is not 64 bytes or r, s are not in [1, n-1].
    """
    sig = as_bytes(signature, "signature")
    if len(sig) != SIGNATURE_SIZE:
        raise ValueError(f"signature must be {SIGNATURE_SIZE} bytes, got {len(sig)}")
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if not (0 < r < ORDER and 0 < s < ORDER):
        raise ValueError("signature r and s must be in [1, n-1]")
    if s > ORDER // 2:
        s = ORDER - s
    return sig[:32] + s.to_bytes(32, "big")
