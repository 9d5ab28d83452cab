"""GhostChain account addresses.

An address is 20 bytes: the first 20 bytes of BLAKE3(key_type_byte || public_key). Including
the key type keeps an Ed25519 key and a secp256k1 key from ever sharing an address. The text
form is ``"gh1" + hex(20 bytes) + hex(first 2 bytes of BLAKE3(20 bytes))``: 47 characters,
lowercase. The 16-bit checksum catches typos (a random change escapes it with probability
1/65536); it is not a security feature. See docs/zcrypto.md.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Sequence

from ._util import as_bytes
from .compare import constant_time_equal
from .errors import InvalidAddressError, InvalidKeyError
from .hashes import blake3
from .keytype import KeyType

__all__ = [
    "ADDRESS_PREFIX",
    "ADDRESS_SIZE",
    "ADDRESS_TEXT_LENGTH",
    "CHECKSUM_SIZE",
    "MAX_MULTISIG_KEYS",
    "MULTISIG_DOMAIN",
    "derive_address",
    "derive_multisig_address",
    "format_address",
    "parse_address",
]

ADDRESS_SIZE = 20
CHECKSUM_SIZE = 2
ADDRESS_PREFIX = "gh1"
ADDRESS_TEXT_LENGTH = len(ADDRESS_PREFIX) + 2 * (ADDRESS_SIZE + CHECKSUM_SIZE)

_PUBLIC_KEY_SIZES = {KeyType.ED25519: 32, KeyType.SECP256K1: 33}
MAX_MULTISIG_KEYS = 16
MULTISIG_DOMAIN = b"ghost-multisig-v1"


def derive_address(key_type: KeyType, public_key: bytes) -> bytes:
    """20-byte address of a public key (Ed25519: 32 bytes; secp256k1: 33-byte compressed)."""
    try:
        kt = KeyType(key_type)
    except ValueError:
        raise InvalidKeyError(f"unknown key type {key_type!r}") from None
    pub = as_bytes(public_key, "public_key")
    size = _PUBLIC_KEY_SIZES[kt]
    if len(pub) != size:
        raise InvalidKeyError(f"{kt.name} public key must be {size} bytes, got {len(pub)}")
    if kt is KeyType.SECP256K1 and pub[0] not in (2, 3):
        raise InvalidKeyError("secp256k1 public key must be in compressed form (0x02/0x03)")
    return blake3(bytes([kt]) + pub)[:ADDRESS_SIZE]


def derive_multisig_address(threshold: int, keys: Sequence[tuple[KeyType | int, bytes]]) -> bytes:
    """20-byte address of an m-of-n multisig policy (docs/contracts.md, "Multisig").

    First 20 bytes of BLAKE3-256(b"ghost-multisig-v1" || u32be(threshold) || u32be(n) ||
    for each key: u8(key_type) || u8(len(key)) || key); the prefix keeps it apart from
    single-key addresses. `keys` are (key_type, public_key) pairs, 1..16 of them, strictly
    ascending by key bytes so one key set has one address. Raises InvalidKeyError for a bad
    key and ValueError for a bad threshold, count or order.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise TypeError("threshold must be an int")
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
            raise InvalidKeyError(
                f"multisig key {i} has an unknown key type {key_type!r}"
            ) from None
        pub = as_bytes(key, "key")
        try:
            derive_address(kt, pub)  # validates length and encoding
        except InvalidKeyError as exc:
            raise InvalidKeyError(f"multisig key {i}: {exc}") from None
        if previous is not None and pub <= previous:
            raise ValueError("multisig keys must be strictly ascending by key bytes")
        previous = pub
        parts.append(bytes([kt, len(pub)]) + pub)
    return blake3(b"".join(parts))[:ADDRESS_SIZE]


def _checksum(raw: bytes) -> bytes:
    return blake3(raw)[:CHECKSUM_SIZE]


def format_address(raw: bytes) -> str:
    """Text form of a 20-byte address: ``gh1`` + 40 hex + 4 hex checksum."""
    raw = as_bytes(raw, "raw")
    if len(raw) != ADDRESS_SIZE:
        raise InvalidAddressError(f"address must be {ADDRESS_SIZE} bytes, got {len(raw)}")
    return ADDRESS_PREFIX + (raw + _checksum(raw)).hex()


def parse_address(text: str) -> bytes:
    """Parse and validate the text form; returns the 20 raw bytes.

    Hex digits may be upper or lower case; the prefix must be ``gh1`` (any case). Raises
    InvalidAddressError (a ValueError) naming what is wrong.
    """
    if not isinstance(text, str):
        raise TypeError(f"address must be str, not {type(text).__name__}")
    if len(text) != ADDRESS_TEXT_LENGTH:
        raise InvalidAddressError(
            f"address must be {ADDRESS_TEXT_LENGTH} characters, got {len(text)}"
        )
    if text[: len(ADDRESS_PREFIX)].lower() != ADDRESS_PREFIX:
        raise InvalidAddressError(f"address must start with {ADDRESS_PREFIX!r}")
    body = text[len(ADDRESS_PREFIX) :]
    if not body.isascii():
        raise InvalidAddressError("address contains non-hex characters")
    try:
        decoded = binascii.unhexlify(body)
    except (binascii.Error, ValueError):
        raise InvalidAddressError("address contains non-hex characters") from None
    raw, check = decoded[:ADDRESS_SIZE], decoded[ADDRESS_SIZE:]
    if not constant_time_equal(check, _checksum(raw)):
        raise InvalidAddressError("address checksum mismatch (typo?)")
    return raw
