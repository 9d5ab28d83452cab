"""Exception hierarchy for zcrypto.

Every error raised on bad input derives from :class:`CryptoError`. Messages never contain
secret material (keys, seeds, passphrases, plaintexts).
"""

from __future__ import annotations

__all__ = [
    "CryptoError",
    "DecryptionError",
    "InvalidAddressError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "KeyFileFormatError",
    "WrongPassphraseError",
]


class CryptoError(Exception):
    """Base class for all zcrypto errors."""


class InvalidKeyError(CryptoError, ValueError):
    """A key has the wrong length or is not a valid encoding for its algorithm."""


class InvalidAddressError(InvalidKeyError):
    """An address string is malformed (prefix, length, hex digits or checksum)."""


class InvalidSignatureError(CryptoError):
    """A signature does not verify (for callers that prefer exceptions to ``False``)."""


class DecryptionError(CryptoError):
    """Authenticated decryption failed: tampered ciphertext, tag, nonce, AAD or wrong key."""


class WrongPassphraseError(DecryptionError):
    """A key file could not be opened with the given passphrase (or its ciphertext was altered)."""


class KeyFileFormatError(CryptoError, ValueError):
    """A key file is malformed, truncated, or uses an unknown version or parameters."""
