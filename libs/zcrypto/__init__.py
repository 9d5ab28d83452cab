"""zcrypto: GhostNet's cryptographic primitives and key files.

Thin, typed wrappers over well-reviewed libraries (cryptography, PyNaCl/libsodium, blake3,
coincurve/libsecp256k1). See docs/zcrypto.md for formats and choices.
"""

from __future__ import annotations

from . import address, aead, compare, ed25519, errors, hashes, keyfile, secp256k1, x25519
from .address import derive_address, format_address, parse_address
from .aead import AES256GCM, ChaCha20Poly1305
from .compare import constant_time_equal
from .errors import (
    CryptoError,
    DecryptionError,
    InvalidAddressError,
    InvalidKeyError,
    InvalidSignatureError,
    KeyFileFormatError,
    WrongPassphraseError,
)
from .keyfile import open_key, seal_key, write_key_file
from .keytype import KeyType

__all__ = [
    "AES256GCM",
    "ChaCha20Poly1305",
    "CryptoError",
    "DecryptionError",
    "InvalidAddressError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "KeyFileFormatError",
    "KeyType",
    "WrongPassphraseError",
    "address",
    "aead",
    "compare",
    "constant_time_equal",
    "derive_address",
    "ed25519",
    "errors",
    "format_address",
    "hashes",
    "keyfile",
    "open_key",
    "parse_address",
    "seal_key",
    "secp256k1",
    "write_key_file",
    "x25519",
]
