"""Key helpers over zcrypto: sign/verify by key type, addresses, multisig addresses."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ghost.node.v1 import types_pb2
from zcrypto import KeyType, ed25519, secp256k1
from zcrypto.address import derive_address
from zcrypto.errors import CryptoError
from zcrypto.hashes import blake3

__all__ = [
    "MAX_MULTISIG_KEYS",
    "MULTISIG_DOMAIN",
    "derive_multisig_address",
    "key_proto",
    "multisig_address",
    "public_key_of",
    "sender_address",
    "sign_message",
    "verify_message",
]

MAX_MULTISIG_KEYS = 16
MULTISIG_DOMAIN = b"ghost-multisig-v1"
_KEY_SIZES = {KeyType.ED25519: 32, KeyType.SECP256K1: 33}


def key_proto(key_type: KeyType | int, public_key: bytes) -> types_pb2.PublicKey:
    return types_pb2.PublicKey(key_type=int(key_type), key=bytes(public_key))


def public_key_of(key_type: KeyType | int, secret: bytes) -> bytes:
    """Public key (Ed25519 32 bytes, secp256k1 33-byte compressed) of a private key."""
    kt = KeyType(key_type)
    return ed25519.public_key(secret) if kt is KeyType.ED25519 else secp256k1.public_key(secret)


def sign_message(key_type: KeyType | int, secret: bytes, message: bytes) -> bytes:
    """64-byte signature over `message` (secp256k1 signs SHA-256(message), low-S compact)."""
    kt = KeyType(key_type)
    if kt is KeyType.ED25519:
        return ed25519.sign(secret, message)
    return secp256k1.sign(secret, message)


def verify_message(key_type: KeyType | int, public_key: bytes, message: bytes, sig: bytes) -> bool:
    """True if `sig` is valid; False for a bad signature, unknown key type or invalid key."""
    try:
        kt = KeyType(key_type)
        if len(public_key) != _KEY_SIZES[kt]:
            return False
        if kt is KeyType.ED25519:
            return ed25519.verify(public_key, message, sig)
        return secp256k1.verify(public_key, message, sig)
    except (ValueError, CryptoError):
        return False


def sender_address(public_key: types_pb2.PublicKey) -> bytes:
    """20-byte address of a single-key account (zcrypto.address.derive_address)."""
    return derive_address(KeyType(public_key.key_type), public_key.key)


def derive_multisig_address(threshold: int, keys: Sequence[tuple[KeyType | int, bytes]]) -> bytes:
    """Address of an m-of-n policy (docs/contracts.md, "Multisig").

    First 20 bytes of BLAKE3-256(b"ghost-multisig-v1" || u32be(threshold) || u32be(n) ||
    for each key: u8(key_type) || u8(len(key)) || key). Raises ValueError unless
    1 <= threshold <= n <= 16, keys are valid for their type and strictly ascending by bytes.
    """
    n = len(keys)
    if not 1 <= n <= MAX_MULTISIG_KEYS:
        raise ValueError(f"a multisig policy needs 1..{MAX_MULTISIG_KEYS} keys, got {n}")
    if not 1 <= threshold <= n:
        raise ValueError(f"multisig threshold must be between 1 and {n}, got {threshold}")
    parts = [MULTISIG_DOMAIN, struct.pack(">II", threshold, n)]
    previous: bytes | None = None
    for i, (key_type, key) in enumerate(keys):
        try:
            kt = KeyType(key_type)
        except ValueError:
            raise ValueError(f"multisig key {i} has an unknown key type {key_type}") from None
        key = bytes(key)
        if len(key) != _KEY_SIZES[kt]:
            raise ValueError(f"multisig key {i} ({kt.name}) must be {_KEY_SIZES[kt]} bytes")
        derive_address(kt, key)  # validates the encoding (e.g. secp256k1 prefix)
        if previous is not None and key <= previous:
            raise ValueError("multisig keys must be strictly ascending by key bytes")
        previous = key
        parts.append(bytes([kt, len(key)]) + key)
    return blake3(b"".join(parts))[:20]


def multisig_address(policy: types_pb2.MultiSigPolicy) -> bytes:
    """Address of a MultiSigPolicy message; ValueError if the policy is invalid."""
    return derive_multisig_address(
        policy.threshold, [(k.key_type, k.key) for k in policy.public_keys]
    )
