"""Ed25519 against RFC 8032 section 7.1 (TEST 1, 2, 3, 1024) plus behaviour tests.

The vectors file holds lines 1, 2, 3 and 1024 of the SUPERCOP/ed25519 ``sign.input`` file
(as shipped by cryptography-vectors); RFC 8032's TEST 1/2/3/1024 are exactly those lines.
Format: ``seed||pk : pk : message : signature||message :``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zc_vectors import path
from zcrypto import InvalidKeyError, ed25519


def _load() -> list[tuple[bytes, bytes, bytes, bytes]]:
    out = []
    for line in path("ed25519_sign_input_rfc8032.txt").read_text().splitlines():
        sk_pk, pk, msg, sig_msg, _ = line.split(":")
        msg_b = bytes.fromhex(msg)
        sig = bytes.fromhex(sig_msg)[:64]
        assert bytes.fromhex(sig_msg)[64:] == msg_b
        out.append((bytes.fromhex(sk_pk)[:32], bytes.fromhex(pk), msg_b, sig))
    return out


VECTORS = _load()
IDS = ["TEST1", "TEST2", "TEST3", "TEST1024"]


def test_vector_file_is_rfc8032_section_7_1() -> None:
    assert len(VECTORS) == 4
    assert [len(v[2]) for v in VECTORS] == [0, 1, 2, 1023]
    # TEST 1 secret key as printed in RFC 8032 section 7.1.
    assert VECTORS[0][0].hex().startswith("9d61b19deffd5a60ba844af492ec2cc4")


@pytest.mark.parametrize(("seed", "pk", "msg", "sig"), VECTORS, ids=IDS)
def test_rfc8032_public_key(seed: bytes, pk: bytes, msg: bytes, sig: bytes) -> None:
    assert ed25519.public_key(seed) == pk


@pytest.mark.parametrize(("seed", "pk", "msg", "sig"), VECTORS, ids=IDS)
def test_rfc8032_sign_is_deterministic_and_matches(
    seed: bytes, pk: bytes, msg: bytes, sig: bytes
) -> None:
    assert ed25519.sign(seed, msg) == sig


@pytest.mark.parametrize(("seed", "pk", "msg", "sig"), VECTORS, ids=IDS)
def test_rfc8032_verify_and_reject_tampering(
    seed: bytes, pk: bytes, msg: bytes, sig: bytes
) -> None:
    assert ed25519.verify(pk, msg, sig)
    bad_sig = bytes([sig[0] ^ 1]) + sig[1:]
    assert not ed25519.verify(pk, msg, bad_sig)
    assert not ed25519.verify(pk, msg + b"\x00", sig)
    other_pk = VECTORS[(VECTORS.index((seed, pk, msg, sig)) + 1) % 4][1]
    assert not ed25519.verify(other_pk, msg, sig)


def test_wrong_lengths() -> None:
    seed, pk = ed25519.generate_keypair()
    sig = ed25519.sign(seed, b"m")
    with pytest.raises(InvalidKeyError):
        ed25519.public_key(seed[:31])
    with pytest.raises(InvalidKeyError):
        ed25519.sign(seed + b"\x00", b"m")
    with pytest.raises(InvalidKeyError):
        ed25519.verify(pk[:31], b"m", sig)
    # A truncated signature is a bad signature, not an error.
    assert ed25519.verify(pk, b"m", sig) is True
    assert ed25519.verify(pk, b"m", sig[:63]) is False
    assert ed25519.verify(pk, b"m", b"") is False


def test_any_32_byte_public_key_gives_bool() -> None:
    # Small y values include encodings that are not curve points: refused, never an exception.
    for y in range(2, 40):
        assert ed25519.verify(y.to_bytes(32, "little"), b"m", bytes(64)) is False


def test_error_message_does_not_leak_key() -> None:
    seed, _ = ed25519.generate_keypair()
    with pytest.raises(InvalidKeyError) as info:
        ed25519.sign(seed + b"\xff", b"m")
    assert seed.hex() not in str(info.value)
    assert repr(seed) not in str(info.value)


def test_generate_keypair_is_random() -> None:
    a, b = ed25519.generate_keypair(), ed25519.generate_keypair()
    assert a != b
    assert all(len(x) == 32 for x in a)


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=512))
def test_sign_verify_round_trip(seed: bytes, msg: bytes) -> None:
    pk = ed25519.public_key(seed)
    assert ed25519.verify(pk, msg, ed25519.sign(seed, msg))
