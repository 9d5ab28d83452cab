"""AEAD against NIST CAVP GCM vectors (256-bit keys, 96-bit IVs) and RFC 8439 / BoringSSL /
OpenSSL ChaCha20-Poly1305 vectors, plus tampering and round-trip behaviour."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zc_vectors import field_bytes, read_records
from zcrypto import AES256GCM, ChaCha20Poly1305, DecryptionError, InvalidKeyError, aead

GCM_ENC = [r for r in read_records("aes256gcm_nist_encrypt_subset.rsp") if "Key" in r]
GCM_DEC = [r for r in read_records("aes256gcm_nist_decrypt_subset.rsp") if "Key" in r]


def test_gcm_files_loaded() -> None:
    assert len(GCM_ENC) == 50
    assert len(GCM_DEC) >= 50
    assert sum("FAIL" in r for r in GCM_DEC) >= 10
    assert all(r["IVlen"] == "96" and r["Taglen"] == "128" for r in GCM_ENC + GCM_DEC)


@pytest.mark.parametrize("rec", GCM_ENC)
def test_aes256gcm_nist_encrypt(rec: dict) -> None:
    key, iv = bytes.fromhex(rec["Key"]), bytes.fromhex(rec["IV"])
    pt, aad = bytes.fromhex(rec["PT"]), bytes.fromhex(rec["AAD"])
    expected = bytes.fromhex(rec["CT"]) + bytes.fromhex(rec["Tag"])
    assert AES256GCM.encrypt(key, iv, pt, aad) == expected
    assert AES256GCM.decrypt(key, iv, expected, aad) == pt


@pytest.mark.parametrize("rec", GCM_DEC)
def test_aes256gcm_nist_decrypt(rec: dict) -> None:
    key, iv = bytes.fromhex(rec["Key"]), bytes.fromhex(rec["IV"])
    ct = bytes.fromhex(rec["CT"]) + bytes.fromhex(rec["Tag"])
    aad = bytes.fromhex(rec["AAD"])
    if "FAIL" in rec:
        with pytest.raises(DecryptionError):
            AES256GCM.decrypt(key, iv, ct, aad)
    else:
        assert AES256GCM.decrypt(key, iv, ct, aad) == bytes.fromhex(rec["PT"])


CHACHA_BORINGSSL = read_records("chacha20poly1305_boringssl_subset.txt")
CHACHA_OPENSSL = read_records("chacha20poly1305_openssl.txt")


def test_chacha_files_loaded() -> None:
    assert len(CHACHA_BORINGSSL) == 6
    assert len(CHACHA_OPENSSL) == 5


def test_rfc8439_section_2_8_2() -> None:
    # First BoringSSL record: the "sunscreen" example of RFC 8439 (RFC 7539) section 2.8.2.
    rec = CHACHA_BORINGSSL[0]
    assert rec["NONCE"] == "070000004041424344454647"
    assert rec["TAG"] == "1ae10b594f09e26a7e902ecbd0600691"


@pytest.mark.parametrize("rec", CHACHA_BORINGSSL, ids=lambda r: r["COUNT"])
def test_chacha20poly1305_boringssl(rec: dict) -> None:
    key, nonce = field_bytes(rec["KEY"]), field_bytes(rec["NONCE"])
    pt, aad = field_bytes(rec["IN"]), field_bytes(rec["AD"])
    expected = field_bytes(rec["CT"]) + field_bytes(rec["TAG"])
    assert ChaCha20Poly1305.encrypt(key, nonce, pt, aad) == expected
    assert ChaCha20Poly1305.decrypt(key, nonce, expected, aad) == pt


@pytest.mark.parametrize("rec", CHACHA_OPENSSL, ids=lambda r: r["COUNT"])
def test_chacha20poly1305_openssl(rec: dict) -> None:
    key, nonce = bytes.fromhex(rec["Key"]), bytes.fromhex(rec["IV"])
    aad, tag = bytes.fromhex(rec["AAD"]), bytes.fromhex(rec["Tag"])
    ct = bytes.fromhex(rec["Ciphertext"]) + tag
    if "Result" in rec:  # CIPHERFINAL_ERROR: tag does not authenticate
        with pytest.raises(DecryptionError):
            ChaCha20Poly1305.decrypt(key, nonce, ct, aad)
    else:
        assert ChaCha20Poly1305.decrypt(key, nonce, ct, aad) == bytes.fromhex(rec["Plaintext"])


CIPHERS = [AES256GCM, ChaCha20Poly1305]


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.NAME)
def test_tampering_detected(cipher: type[aead.AeadCipher]) -> None:
    key, nonce = bytes(range(32)), bytes(12)
    ct = cipher.encrypt(key, nonce, b"attack at dawn", b"hdr")
    for i in range(len(ct)):
        flipped = ct[:i] + bytes([ct[i] ^ 0x01]) + ct[i + 1 :]
        with pytest.raises(DecryptionError):
            cipher.decrypt(key, nonce, flipped, b"hdr")
    with pytest.raises(DecryptionError):
        cipher.decrypt(key, nonce, ct, b"hdx")
    with pytest.raises(DecryptionError):
        cipher.decrypt(key, b"\x01" + nonce[1:], ct, b"hdr")
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(32), nonce, ct, b"hdr")
    with pytest.raises(DecryptionError):
        cipher.decrypt(key, nonce, ct[:-1], b"hdr")
    with pytest.raises(DecryptionError):
        cipher.decrypt(key, nonce, ct[:5], b"hdr")


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.NAME)
def test_wrong_key_or_nonce_length(cipher: type[aead.AeadCipher]) -> None:
    assert cipher.KEY_SIZE == 32 and cipher.NONCE_SIZE == 12
    with pytest.raises(InvalidKeyError):
        cipher.encrypt(bytes(16), bytes(12), b"x")
    with pytest.raises(InvalidKeyError):
        cipher.encrypt(bytes(32), bytes(8), b"x")
    with pytest.raises(InvalidKeyError):
        cipher.decrypt(bytes(31), bytes(12), bytes(32))
    with pytest.raises(InvalidKeyError):
        aead.seal(cipher, bytes(33), b"x")


@pytest.mark.parametrize("alg", [AES256GCM, ChaCha20Poly1305, "aes-256-gcm", "chacha20-poly1305"])
def test_seal_open(alg: object) -> None:
    key = bytes(range(32))
    a = aead.seal(alg, key, b"payload", b"ctx")
    b = aead.seal(alg, key, b"payload", b"ctx")
    assert a != b  # fresh random nonce each time
    assert len(a) == 12 + len(b"payload") + 16
    assert aead.open_(alg, key, a, b"ctx") == b"payload"
    with pytest.raises(DecryptionError):
        aead.open_(alg, key, a, b"other")
    with pytest.raises(DecryptionError):
        aead.open_(alg, key, a[:20])
    with pytest.raises(DecryptionError):
        aead.open_(alg, key, a[:1] + bytes([a[1] ^ 4]) + a[2:], b"ctx")


def test_seal_with_one_cipher_does_not_open_with_the_other() -> None:
    key = bytes(32)
    with pytest.raises(DecryptionError):
        aead.open_(ChaCha20Poly1305, key, aead.seal(AES256GCM, key, b"x"))


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError):
        aead.seal("des", bytes(32), b"x")
    with pytest.raises(TypeError):
        aead.seal(object, bytes(32), b"x")  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(CIPHERS),
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=1024),
    st.binary(max_size=64),
)
def test_round_trip(cipher: type[aead.AeadCipher], key: bytes, pt: bytes, aad: bytes) -> None:
    assert aead.open_(cipher, key, aead.seal(cipher, key, pt, aad), aad) == pt
