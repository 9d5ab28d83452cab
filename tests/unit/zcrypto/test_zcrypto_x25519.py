"""X25519 against RFC 7748 sections 5.2 and 6.1."""

from __future__ import annotations

import pytest
from zc_vectors import load_json
from zcrypto import CryptoError, InvalidKeyError, x25519

RFC = load_json("x25519_rfc7748.json")
BASE = bytes.fromhex("09" + "00" * 31)


@pytest.mark.parametrize("vec", RFC["function_vectors"])
def test_rfc7748_5_2_function(vec: dict) -> None:
    out = x25519.shared_secret(bytes.fromhex(vec["scalar"]), bytes.fromhex(vec["u"]))
    assert out == bytes.fromhex(vec["output"])


def test_rfc7748_5_2_iterated() -> None:
    it = RFC["iterated"]
    k = u = bytes.fromhex(it["initial_k"])
    for i in range(1, 1001):
        k, u = x25519.shared_secret(k, u), k
        if i == 1:
            assert k == bytes.fromhex(it["after_1"])
    assert k == bytes.fromhex(it["after_1000"])


def test_rfc7748_6_1_diffie_hellman() -> None:
    dh = {k: bytes.fromhex(v) for k, v in RFC["diffie_hellman"].items()}
    assert x25519.public_key(dh["alice_private"]) == dh["alice_public"]
    assert x25519.public_key(dh["bob_private"]) == dh["bob_public"]
    assert x25519.shared_secret(dh["alice_private"], dh["bob_public"]) == dh["shared"]
    assert x25519.shared_secret(dh["bob_private"], dh["alice_public"]) == dh["shared"]
    assert x25519.shared_secret(dh["alice_private"], BASE) == dh["alice_public"]


@pytest.mark.parametrize(
    "small_order",
    [
        bytes(32),  # u = 0
        (1).to_bytes(32, "little"),  # u = 1, order 4
    ],
)
def test_all_zero_output_rejected(small_order: bytes) -> None:
    priv, _ = x25519.generate_keypair()
    with pytest.raises(CryptoError):
        x25519.shared_secret(priv, small_order)


def test_wrong_lengths() -> None:
    priv, pub = x25519.generate_keypair()
    with pytest.raises(InvalidKeyError):
        x25519.public_key(priv[:-1])
    with pytest.raises(InvalidKeyError):
        x25519.shared_secret(priv, pub + b"\x00")


def test_random_pairs_agree() -> None:
    a_priv, a_pub = x25519.generate_keypair()
    b_priv, b_pub = x25519.generate_keypair()
    assert x25519.shared_secret(a_priv, b_pub) == x25519.shared_secret(b_priv, a_pub)
