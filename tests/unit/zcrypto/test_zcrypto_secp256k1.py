"""secp256k1 ECDSA against Wycheproof and NIST-format (SigGen K-256/SHA-256) vectors.

Wycheproof signatures are ASN.1 DER; they are checked through ``verify_digest_der`` (strict
DER via libsecp256k1, then the compact path). Our verification is strict low-S, while
Wycheproof marks high-S signatures valid: for those the test asserts that the raw signature
is refused and its normalized (low-S) form accepted. See docs/zcrypto.md.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zc_vectors import load_json, read_records
from zcrypto import InvalidKeyError, secp256k1

N = secp256k1.ORDER
WYCHEPROOF = load_json("wycheproof_ecdsa_secp256k1_sha256_subset.json")
WYCHE_CASES = [
    pytest.param(bytes.fromhex(g["publicKey"]["uncompressed"]), t, id=f"tc{t['tcId']}")
    for g in WYCHEPROOF["testGroups"]
    for t in g["tests"]
]


def _is_high_s(compact: bytes) -> bool:
    return int.from_bytes(compact[32:], "big") > N // 2


@pytest.mark.parametrize(("pub", "case"), WYCHE_CASES)
def test_wycheproof(pub: bytes, case: dict) -> None:
    digest = hashlib.sha256(bytes.fromhex(case["msg"])).digest()
    der = bytes.fromhex(case["sig"])
    strict = secp256k1.verify_digest_der(pub, digest, der)
    if case["result"] == "valid":
        compact = secp256k1.der_to_compact(der)
        if _is_high_s(compact):
            assert strict is False  # our malleability rule
            assert secp256k1.verify_digest(pub, digest, secp256k1.normalize_signature(compact))
        else:
            assert strict is True
    else:
        assert case["result"] == "invalid"
        assert strict is False
        # Normalizing must not rescue an invalid signature either.
        try:
            compact = secp256k1.der_to_compact(der)
            normalized = secp256k1.normalize_signature(compact)
        except ValueError:
            return
        assert not secp256k1.verify_digest(pub, digest, normalized)


def test_wycheproof_subset_has_both_kinds() -> None:
    results = [p.values[1]["result"] for p in WYCHE_CASES]
    assert results.count("valid") >= 8 and results.count("invalid") >= 20


SIGGEN = [r for r in read_records("secp256k1_sha256_siggen_subset.txt") if "Msg" in r]


def test_siggen_loaded() -> None:
    assert len(SIGGEN) == 12


@pytest.mark.parametrize("rec", SIGGEN, ids=lambda r: r["d"][:8])
def test_siggen_k256_sha256(rec: dict) -> None:
    secret = bytes.fromhex(rec["d"].rjust(64, "0"))
    q = b"\x04" + bytes.fromhex(rec["Qx"].rjust(64, "0")) + bytes.fromhex(rec["Qy"].rjust(64, "0"))
    assert secp256k1.public_key(secret, compressed=False) == q
    compressed = secp256k1.public_key(secret)
    assert compressed[0] == 2 + (q[-1] & 1) and compressed[1:] == q[1:33]
    msg = bytes.fromhex(rec["Msg"])
    sig = bytes.fromhex(rec["R"].rjust(64, "0")) + bytes.fromhex(rec["S"].rjust(64, "0"))
    low = secp256k1.normalize_signature(sig)
    assert secp256k1.verify(compressed, msg, low)
    assert secp256k1.verify(q, msg, low)  # uncompressed keys verify too
    assert secp256k1.verify(compressed, msg, sig) is (sig == low)
    assert not secp256k1.verify(compressed, msg + b"x", low)
    # Our own signature over the same message verifies and is low-S.
    ours = secp256k1.sign(secret, msg)
    assert not _is_high_s(ours)
    assert secp256k1.verify(compressed, msg, ours)
    assert ours == secp256k1.sign(secret, msg)  # RFC 6979: deterministic


def test_sign_digest_matches_sign() -> None:
    secret, pub = secp256k1.generate_keypair()
    digest = hashlib.sha256(b"hello").digest()
    assert secp256k1.sign(secret, b"hello") == secp256k1.sign_digest(secret, digest)
    assert secp256k1.verify_digest(pub, digest, secp256k1.sign(secret, b"hello"))


def test_bad_inputs() -> None:
    secret, pub = secp256k1.generate_keypair()
    sig = secp256k1.sign(secret, b"m")
    for bad_secret in (secret[:31], bytes(32), N.to_bytes(32, "big"), b"\xff" * 32):
        with pytest.raises(InvalidKeyError):
            secp256k1.sign(bad_secret, b"m")
    with pytest.raises(InvalidKeyError):
        secp256k1.verify(pub[:32], b"m", sig)
    with pytest.raises(InvalidKeyError):
        secp256k1.verify(b"\x02" + b"\xff" * 32, b"m", sig)  # x >= p: not a point
    with pytest.raises(ValueError):
        secp256k1.sign_digest(secret, b"short")
    assert secp256k1.verify(pub, b"m", sig[:63]) is False
    assert secp256k1.verify(pub, b"m", b"\xff" * 64) is False  # r, s >= n
    assert secp256k1.verify(pub, b"m", bytes(64)) is False
    with pytest.raises(ValueError):
        secp256k1.der_to_compact(b"\x30\x00")
    with pytest.raises(ValueError):
        secp256k1.normalize_signature(bytes(64))


def test_high_s_form_is_rejected() -> None:
    secret, pub = secp256k1.generate_keypair()
    sig = secp256k1.sign(secret, b"m")
    s = int.from_bytes(sig[32:], "big")
    high = sig[:32] + (N - s).to_bytes(32, "big")
    assert secp256k1.verify(pub, b"m", sig)
    assert not secp256k1.verify(pub, b"m", high)
    assert secp256k1.normalize_signature(high) == sig


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=N - 1), st.binary(max_size=256))
def test_round_trip(k: int, msg: bytes) -> None:
    secret = k.to_bytes(32, "big")
    pub = secp256k1.public_key(secret)
    assert len(pub) == 33
    assert secp256k1.verify(pub, msg, secp256k1.sign(secret, msg))
