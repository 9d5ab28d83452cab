"""The public names other packages code against, and the error hierarchy."""

from __future__ import annotations

import pytest
import zcrypto
from zcrypto import errors


def test_error_hierarchy() -> None:
    assert issubclass(errors.InvalidKeyError, errors.CryptoError)
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.InvalidAddressError, errors.InvalidKeyError)
    assert issubclass(errors.InvalidSignatureError, errors.CryptoError)
    assert issubclass(errors.DecryptionError, errors.CryptoError)
    assert issubclass(errors.WrongPassphraseError, errors.DecryptionError)
    assert issubclass(errors.KeyFileFormatError, errors.CryptoError)
    assert issubclass(errors.KeyFileFormatError, ValueError)
    for name in errors.__all__:
        assert getattr(zcrypto, name) is getattr(errors, name)


def test_key_type_values_are_stable() -> None:
    assert zcrypto.KeyType.ED25519 == 1
    assert zcrypto.KeyType.SECP256K1 == 2
    assert sorted(zcrypto.KeyType) == [1, 2]


def test_top_level_names() -> None:
    for name in zcrypto.__all__:
        assert hasattr(zcrypto, name), name
    assert zcrypto.AES256GCM.KEY_SIZE == 32 and zcrypto.ChaCha20Poly1305.NONCE_SIZE == 12


def test_constant_time_equal() -> None:
    assert zcrypto.constant_time_equal(b"abc", b"abc")
    assert not zcrypto.constant_time_equal(b"abc", b"abd")
    assert not zcrypto.constant_time_equal(b"abc", b"ab")
    assert zcrypto.constant_time_equal(bytearray(b"x"), memoryview(b"x"))
    with pytest.raises(TypeError):
        zcrypto.constant_time_equal("abc", b"abc")  # type: ignore[arg-type]


@pytest.mark.parametrize("mod", [zcrypto.ed25519, zcrypto.secp256k1])
def test_verify_or_raise(mod) -> None:
    secret, pub = mod.generate_keypair()
    sig = mod.sign(secret, b"msg")
    mod.verify_or_raise(pub, b"msg", sig)
    with pytest.raises(zcrypto.InvalidSignatureError):
        mod.verify_or_raise(pub, b"other", sig)
