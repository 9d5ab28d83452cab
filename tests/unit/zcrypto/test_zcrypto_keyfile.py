"""Passphrase-sealed key files: round trips, wrong passphrase, corruption, versions, writes."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zcrypto import (
    DecryptionError,
    InvalidKeyError,
    KeyFileFormatError,
    KeyType,
    WrongPassphraseError,
    ed25519,
    keyfile,
    open_key,
    seal_key,
    secp256k1,
    write_key_file,
)

FAST = {"ops_limit": keyfile.FAST_INSECURE.ops_limit, "mem_limit": keyfile.FAST_INSECURE.mem_limit}


def _ed_blob(passphrase: str = "correct horse") -> tuple[bytes, bytes]:
    seed, _ = ed25519.generate_keypair()
    return seed, seal_key(seed, passphrase, key_type=KeyType.ED25519, **FAST)


def test_round_trip_both_key_types() -> None:
    seed, blob = _ed_blob()
    assert open_key(blob, "correct horse") == (KeyType.ED25519, seed)
    secret, _ = secp256k1.generate_keypair()
    blob2 = seal_key(secret, "pw", key_type=KeyType.SECP256K1, **FAST)
    kt, out = open_key(blob2, "pw")
    assert kt is KeyType.SECP256K1 and out == secret


def test_layout_matches_documentation() -> None:
    _, blob = _ed_blob()
    assert len(blob) == keyfile.FILE_SIZE == 109
    assert blob[:4] == b"GHKF"
    assert blob[4] == 1 and blob[5] == KeyType.ED25519 and blob[6] == 1 and blob[7] == 1
    ops, mem = struct.unpack(">IQ", blob[8:20])
    assert (ops, mem) == (FAST["ops_limit"], FAST["mem_limit"])


def test_fresh_salt_and_nonce_each_time() -> None:
    seed, _ = ed25519.generate_keypair()
    a = seal_key(seed, "pw", key_type=KeyType.ED25519, **FAST)
    b = seal_key(seed, "pw", key_type=KeyType.ED25519, **FAST)
    assert a[20:60] != b[20:60] and a[60:] != b[60:]


def test_wrong_passphrase() -> None:
    _, blob = _ed_blob("Zebra-7781")
    with pytest.raises(WrongPassphraseError) as info:
        open_key(blob, "Quokka-3319")
    assert isinstance(info.value, DecryptionError)
    assert "Zebra" not in str(info.value) and "Quokka" not in str(info.value)


def test_unicode_passphrase_is_normalized() -> None:
    seed, _ = ed25519.generate_keypair()
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    blob = seal_key(seed, composed, key_type=KeyType.ED25519, **FAST)
    assert open_key(blob, decomposed) == (KeyType.ED25519, seed)


@pytest.mark.parametrize("offset", [20, 35, 36, 59, 60, 75, 108])
def test_corrupted_salt_nonce_or_ciphertext(offset: int) -> None:
    _, blob = _ed_blob()
    bad = blob[:offset] + bytes([blob[offset] ^ 0x40]) + blob[offset + 1 :]
    with pytest.raises(WrongPassphraseError):
        open_key(bad, "correct horse")


def _patch(blob: bytes, offset: int, value: bytes) -> bytes:
    return blob[:offset] + value + blob[offset + len(value) :]


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (0, b"XXXX", "magic"),
        (4, b"\x02", "version 2"),
        (4, b"\x00", "version 0"),
        (5, b"\x09", "key type"),
        (6, b"\x02", "KDF"),
        (7, b"\x07", "cipher"),
        (8, struct.pack(">I", 0), "ops_limit"),
        (8, struct.pack(">I", 1000), "ops_limit"),
        (12, struct.pack(">Q", 1 << 40), "mem_limit"),
        (12, struct.pack(">Q", 1024), "mem_limit"),
    ],
)
def test_malformed_header(offset: int, value: bytes, message: str) -> None:
    _, blob = _ed_blob()
    with pytest.raises(KeyFileFormatError, match=message):
        open_key(_patch(blob, offset, value), "correct horse")


def test_flipped_key_type_is_detected() -> None:
    # The header's key type is also sealed inside the ciphertext.
    _, blob = _ed_blob()
    with pytest.raises(KeyFileFormatError, match="does not match"):
        open_key(_patch(blob, 5, bytes([KeyType.SECP256K1])), "correct horse")


@pytest.mark.parametrize("length", [0, 3, 19, 20, 60, 108])
def test_truncated(length: int) -> None:
    _, blob = _ed_blob()
    with pytest.raises(KeyFileFormatError):
        open_key(blob[:length], "correct horse")


def test_trailing_garbage() -> None:
    _, blob = _ed_blob()
    with pytest.raises(KeyFileFormatError):
        open_key(blob + b"\x00", "correct horse")


def test_seal_rejects_bad_input() -> None:
    seed, _ = ed25519.generate_keypair()
    with pytest.raises(InvalidKeyError):
        seal_key(seed[:31], "pw", key_type=KeyType.ED25519, **FAST)
    with pytest.raises(InvalidKeyError):
        seal_key(bytes(32), "pw", key_type=KeyType.SECP256K1, **FAST)  # zero scalar
    with pytest.raises(InvalidKeyError):
        seal_key(seed, "pw", key_type=9, **FAST)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        seal_key(seed, "", key_type=KeyType.ED25519, **FAST)
    with pytest.raises(ValueError):
        seal_key(seed, "pw", key_type=KeyType.ED25519, ops_limit=0, mem_limit=FAST["mem_limit"])
    with pytest.raises(ValueError):
        seal_key(seed, "pw", key_type=KeyType.ED25519, ops_limit=1, mem_limit=2 << 30)
    with pytest.raises(TypeError):
        seal_key(seed, b"pw", key_type=KeyType.ED25519, **FAST)  # type: ignore[arg-type]


def test_profiles() -> None:
    # The daemon default is stored in the file and stays within the accepted bounds.
    assert keyfile.DEFAULT.ops_limit == 3 and keyfile.DEFAULT.mem_limit == 128 << 20
    assert keyfile.INTERACTIVE.mem_limit < keyfile.DEFAULT.mem_limit
    for p in (keyfile.DEFAULT, keyfile.INTERACTIVE, keyfile.FAST_INSECURE):
        assert keyfile.OPS_LIMIT_MIN <= p.ops_limit <= keyfile.OPS_LIMIT_MAX
        assert keyfile.MEM_LIMIT_MIN <= p.mem_limit <= keyfile.MEM_LIMIT_MAX


def test_interactive_profile_round_trip() -> None:
    seed, _ = ed25519.generate_keypair()
    p = keyfile.INTERACTIVE
    blob = seal_key(
        seed, "pw", key_type=KeyType.ED25519, ops_limit=p.ops_limit, mem_limit=p.mem_limit
    )
    assert struct.unpack(">IQ", blob[8:20]) == (p.ops_limit, p.mem_limit)
    assert open_key(blob, "pw") == (KeyType.ED25519, seed)


def test_write_key_file_atomic_and_private(tmp_path: Path) -> None:
    seed, blob = _ed_blob()
    target = tmp_path / "validator.key"
    target.write_bytes(b"old contents")
    os.chmod(target, 0o644)
    write_key_file(target, blob)
    assert target.read_bytes() == blob
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validator.key"]  # no temp left
    assert open_key(keyfile.read_key_file(target), "correct horse") == (KeyType.ED25519, seed)


def test_write_key_file_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "dir-in-the-way"
    target.mkdir()
    (target / "x").write_text("keep")  # os.replace onto a non-empty directory fails
    with pytest.raises(OSError):
        write_key_file(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir-in-the-way"]


def test_read_key_file_rejects_huge_file(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(bytes(10_000))
    with pytest.raises(KeyFileFormatError):
        keyfile.read_key_file(big)


@settings(max_examples=10, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.text(min_size=1, max_size=40))
def test_round_trip_property(seed: bytes, passphrase: str) -> None:
    blob = seal_key(seed, passphrase, key_type=KeyType.ED25519, **FAST)
    assert open_key(blob, passphrase) == (KeyType.ED25519, seed)
