"""Hash functions against published vectors (NIST CAVP, BLAKE3 team, RFC 7693 / BLAKE2)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zc_vectors import load_json, read_records
from zcrypto import InvalidKeyError, hashes

BLAKE3 = load_json("blake3_test_vectors_subset.json")


def _blake3_input(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


@pytest.mark.parametrize("case", BLAKE3["cases"], ids=lambda c: f"len{c['input_len']}")
def test_blake3_official_hash(case: dict) -> None:
    data = _blake3_input(case["input_len"])
    expected = bytes.fromhex(case["hash"])
    assert hashes.blake3(data, length=len(expected)) == expected
    # The default 32-byte output is the prefix of the extended output.
    assert hashes.blake3(data) == expected[:32]


@pytest.mark.parametrize("case", BLAKE3["cases"], ids=lambda c: f"len{c['input_len']}")
def test_blake3_official_keyed_hash(case: dict) -> None:
    data = _blake3_input(case["input_len"])
    key = BLAKE3["key"].encode()
    expected = bytes.fromhex(case["keyed_hash"])
    assert hashes.blake3(data, length=len(expected), key=key) == expected
    assert hashes.blake3(data, key=key) == expected[:32]


def _nist_msgs(name: str) -> list[tuple[bytes, bytes]]:
    out = []
    for rec in read_records(name):
        if "Len" not in rec:
            continue
        msg = bytes.fromhex(rec["Msg"])[: int(rec["Len"]) // 8]  # Len=0 carries Msg = 00
        out.append((msg, bytes.fromhex(rec["MD"])))
    return out


SHA256 = _nist_msgs("sha256_nist_shortmsg.rsp")
SHA3_256 = _nist_msgs("sha3_256_nist_shortmsg.rsp")


def test_nist_files_loaded() -> None:
    # Guard against a parser bug silently yielding no cases: byte-oriented ShortMsg has 65.
    assert len(SHA256) == 65
    assert len(SHA3_256) == 137


@pytest.mark.parametrize(("msg", "md"), SHA256)
def test_sha256_nist_shortmsg(msg: bytes, md: bytes) -> None:
    assert hashes.sha256(msg) == md


@pytest.mark.parametrize(("msg", "md"), SHA3_256)
def test_sha3_256_nist_shortmsg(msg: bytes, md: bytes) -> None:
    assert hashes.sha3_256(msg) == md


_FIPS_FUNCS = {"SHA-256": hashes.sha256, "SHA3-256": hashes.sha3_256}


@pytest.mark.parametrize("vec", load_json("fips_abc_examples.json")["vectors"])
def test_fips_abc_examples(vec: dict) -> None:
    func = _FIPS_FUNCS[vec["algorithm"]]
    assert func(vec["input_ascii"].encode()) == bytes.fromhex(vec["digest"])


BLAKE2B_512 = [
    (bytes.fromhex(r["Msg"])[: int(r["Len"]) // 8], bytes.fromhex(r["MD"]))
    for r in read_records("blake2b_512.txt")
]


@pytest.mark.parametrize(("msg", "md"), BLAKE2B_512)
def test_blake2b_512(msg: bytes, md: bytes) -> None:
    assert hashes.blake2b(msg, digest_size=64) == md


def test_blake2b_rfc7693_abc() -> None:
    # RFC 7693 appendix A: BLAKE2b-512("abc"); the same value is the 24-bit record above.
    (md,) = [md for msg, md in BLAKE2B_512 if msg == b"abc"]
    assert md.hex().startswith("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b7")
    assert hashes.blake2b(b"abc", digest_size=64) == md


@pytest.mark.parametrize("vec", load_json("blake2b_256_stellar_core.json")["vectors"])
def test_blake2b_256(vec: dict) -> None:
    assert hashes.blake2b(vec["input_ascii"].encode()) == bytes.fromhex(vec["digest"])


def test_blake3_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidKeyError):
        hashes.blake3(b"x", key=b"short")
    with pytest.raises(ValueError):
        hashes.blake3(b"x", length=0)
    with pytest.raises(TypeError):
        hashes.blake3("text")  # type: ignore[arg-type]


def test_blake2b_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        hashes.blake2b(b"x", digest_size=65)
    with pytest.raises(InvalidKeyError):
        hashes.blake2b(b"x", key=bytes(65))


def test_blake2b_key_changes_output() -> None:
    assert hashes.blake2b(b"m", key=b"k1") != hashes.blake2b(b"m", key=b"k2")
    assert (
        hashes.blake2b(b"m", key=b"k1") == hashlib.blake2b(b"m", digest_size=32, key=b"k1").digest()
    )


@given(st.binary(max_size=2048), st.integers(min_value=1, max_value=200))
def test_blake3_output_prefix_property(data: bytes, length: int) -> None:
    # Extendable output: a shorter output is a prefix of a longer one.
    assert hashes.blake3(data, length=length) == hashes.blake3(data, length=200)[:length]
