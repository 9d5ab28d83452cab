"""Address derivation, text form and checksum detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zcrypto import (
    InvalidAddressError,
    InvalidKeyError,
    KeyType,
    derive_address,
    ed25519,
    format_address,
    hashes,
    parse_address,
    secp256k1,
)
from zcrypto.address import ADDRESS_TEXT_LENGTH


def test_derivation_is_blake3_of_type_and_key() -> None:
    _, pub = ed25519.generate_keypair()
    raw = derive_address(KeyType.ED25519, pub)
    assert raw == hashes.blake3(b"\x01" + pub)[:20]
    _, spub = secp256k1.generate_keypair()
    assert derive_address(KeyType.SECP256K1, spub) == hashes.blake3(b"\x02" + spub)[:20]


def test_key_type_separates_addresses() -> None:
    # 33-byte compressed secp256k1 keys and 32-byte Ed25519 keys never collide by construction;
    # the type byte also separates them if lengths ever matched.
    _, pub = ed25519.generate_keypair()
    assert derive_address(KeyType.ED25519, pub) != hashes.blake3(b"\x02" + pub)[:20]


def test_derive_rejects_bad_keys() -> None:
    _, pub = ed25519.generate_keypair()
    _, spub = secp256k1.generate_keypair()
    with pytest.raises(InvalidKeyError):
        derive_address(KeyType.ED25519, pub[:31])
    with pytest.raises(InvalidKeyError):
        derive_address(KeyType.SECP256K1, pub)  # 32 bytes: wrong for secp256k1
    with pytest.raises(InvalidKeyError):
        derive_address(KeyType.SECP256K1, b"\x04" + spub[1:])  # not compressed form
    with pytest.raises(InvalidKeyError):
        derive_address(KeyType.ED25519, spub)
    with pytest.raises(InvalidKeyError):
        derive_address(7, pub)  # type: ignore[arg-type]


def test_format_parse_round_trip_and_shape() -> None:
    raw = bytes(range(20))
    text = format_address(raw)
    assert text.startswith("gh1")
    assert len(text) == ADDRESS_TEXT_LENGTH == 47
    assert text[3:43] == raw.hex()
    assert text[43:] == hashes.blake3(raw)[:2].hex()
    assert parse_address(text) == raw
    assert parse_address(text.upper()) == raw  # case-insensitive input


def test_every_single_character_typo_is_detected() -> None:
    # A 16-bit checksum misses 1 in 65536 random changes; for this fixed address every
    # single-hex-digit substitution is caught (checked exhaustively).
    text = format_address(bytes(range(100, 120)))
    for i in range(3, len(text)):
        for c in "0123456789abcdef":
            if c == text[i]:
                continue
            typo = text[:i] + c + text[i + 1 :]
            with pytest.raises(InvalidAddressError, match="checksum"):
                parse_address(typo)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: "gx1" + t[3:], "start with"),
        (lambda t: t[:-1], "47 characters"),
        (lambda t: t + "0", "47 characters"),
        (lambda t: t[:10] + "zz" + t[12:], "non-hex"),
        (lambda t: t[:10] + "é" + t[11:], "non-hex"),
        (lambda t: t[:10] + " " + t[11:], "non-hex"),
    ],
)
def test_parse_errors_are_specific(mutate, message: str) -> None:
    text = format_address(bytes(20))
    with pytest.raises(InvalidAddressError, match=message) as info:
        parse_address(mutate(text))
    assert isinstance(info.value, ValueError)


def test_format_rejects_wrong_length() -> None:
    with pytest.raises(InvalidAddressError):
        format_address(bytes(19))
    with pytest.raises(TypeError):
        parse_address(b"gh1")  # type: ignore[arg-type]


@given(st.binary(min_size=20, max_size=20))
def test_round_trip_property(raw: bytes) -> None:
    assert parse_address(format_address(raw)) == raw
