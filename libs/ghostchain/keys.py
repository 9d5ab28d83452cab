"""Key helpers over zcrypto: sign/verify by key type, addresses, multisig addresses."""

from __future__ import annotations

from ghost.node.v1 import types_pb2
from zcrypto import KeyType, ed25519, secp256k1
from zcrypto.address import (
    MAX_MULTISIG_KEYS,
    MULTISIG_DOMAIN,
    derive_address,
    derive_multisig_address,  # re-exported: the policy address is a zcrypto primitive
)
from zcrypto.errors import CryptoError

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


def multisig_address(policy: types_pb2.MultiSigPolicy) -> bytes:
    """Address of a MultiSigPolicy message; ValueError if the policy is invalid."""
    return derive_multisig_address(
        policy.threshold, [(k.key_type, k.key) for k in policy.public_keys]
    )
