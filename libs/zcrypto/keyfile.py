"""Passphrase-sealed key files: Argon2id + XSalsa20-Poly1305 (libsodium through PyNaCl).

File format version 1 (all integers big-endian; byte-by-byte table in docs/zcrypto.md)::

    0   4  magic  b"GHKF"
    4   1  version = 1
    5   1  key type (KeyType: 1 Ed25519, 2 secp256k1)
    6   1  KDF id = 1 (Argon2id v1.3, crypto_pwhash_argon2id)
    7   1  cipher id = 1 (XSalsa20-Poly1305, crypto_secretbox)
    8   4  ops_limit (u32)
    12  8  mem_limit in bytes (u64)
    20 16  salt
    36 24  nonce
    60 49  secretbox ciphertext: 16-byte Poly1305 tag || encrypted (key type byte || 32-byte secret)

The KDF parameters are stored so a file sealed with a cheap profile (tests) or a future
stronger default still opens. The key type is repeated inside the ciphertext, so flipping the
clear-text key type byte is detected; every other header field either has one legal value or
feeds the KDF/nonce, so changing it makes authentication fail.
"""

from __future__ import annotations

import os
import struct
import unicodedata
from pathlib import Path

import attrs
import nacl.exceptions
import nacl.pwhash.argon2id as _argon2id
import nacl.secret

from ._util import as_bytes
from .errors import InvalidKeyError, KeyFileFormatError, WrongPassphraseError
from .keytype import KeyType

__all__ = [
    "DEFAULT",
    "FAST_INSECURE",
    "FILE_SIZE",
    "INTERACTIVE",
    "MAGIC",
    "VERSION",
    "KdfProfile",
    "open_key",
    "read_key_file",
    "seal_key",
    "write_key_file",
]

MAGIC = b"GHKF"
VERSION = 1
KDF_ARGON2ID = 1
CIPHER_XSALSA20POLY1305 = 1
SECRET_SIZE = 32

_HEADER = struct.Struct(">4sBBBBIQ")  # magic, version, key type, kdf, cipher, ops, mem
SALT_SIZE = _argon2id.SALTBYTES  # 16
NONCE_SIZE = nacl.secret.SecretBox.NONCE_SIZE  # 24
_BOX_SIZE = nacl.secret.SecretBox.MACBYTES + 1 + SECRET_SIZE
FILE_SIZE = _HEADER.size + SALT_SIZE + NONCE_SIZE + _BOX_SIZE  # 109

# Bounds on stored KDF parameters: a hostile file must not make us burn minutes or GiBs.
OPS_LIMIT_MIN = _argon2id.OPSLIMIT_MIN  # 1
OPS_LIMIT_MAX = 10
MEM_LIMIT_MIN = _argon2id.MEMLIMIT_MIN  # 8 KiB
MEM_LIMIT_MAX = 1 << 30  # 1 GiB, libsodium's "sensitive" level


@attrs.frozen
class KdfProfile:
    """Argon2id cost: passes over memory and memory size in bytes."""

    ops_limit: int
    mem_limit: int


# Daemon default: libsodium's "moderate" pass count with half its memory (128 MiB), about
# 0.33 s on the 2-core reference machine, so a daemon start stays well under 0.5 s.
DEFAULT = KdfProfile(ops_limit=3, mem_limit=128 * 1024 * 1024)
# libsodium's "interactive" level (2 passes, 64 MiB, about 0.12 s), for CLI tools.
INTERACTIVE = KdfProfile(
    ops_limit=_argon2id.OPSLIMIT_INTERACTIVE, mem_limit=_argon2id.MEMLIMIT_INTERACTIVE
)
# Minimum legal cost: tests only. Offers almost no protection against guessing.
FAST_INSECURE = KdfProfile(ops_limit=OPS_LIMIT_MIN, mem_limit=MEM_LIMIT_MIN)

_SECRET_KEY_TYPES = frozenset(KeyType)


def _check_params(ops_limit: int, mem_limit: int, exc: type[Exception]) -> None:
    if not isinstance(ops_limit, int) or not OPS_LIMIT_MIN <= ops_limit <= OPS_LIMIT_MAX:
        raise exc(f"ops_limit must be between {OPS_LIMIT_MIN} and {OPS_LIMIT_MAX}")
    if not isinstance(mem_limit, int) or not MEM_LIMIT_MIN <= mem_limit <= MEM_LIMIT_MAX:
        raise exc(f"mem_limit must be between {MEM_LIMIT_MIN} and {MEM_LIMIT_MAX} bytes")


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError(f"passphrase must be str, not {type(passphrase).__name__}")
    # NFC so the same passphrase typed on different systems derives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _validate_secret(key_type: KeyType, secret: bytes) -> None:
    if len(secret) != SECRET_SIZE:
        raise InvalidKeyError(f"{key_type.name} secret must be {SECRET_SIZE} bytes")
    if key_type is KeyType.SECP256K1:
        from .secp256k1 import public_key as _secp_public

        _secp_public(secret)  # raises InvalidKeyError if not in [1, n-1]


def _derive(passphrase: bytes, salt: bytes, ops_limit: int, mem_limit: int) -> bytes:
    return _argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase, salt, opslimit=ops_limit, memlimit=mem_limit
    )


def seal_key(
    secret: bytes,
    passphrase: str,
    *,
    key_type: KeyType,
    ops_limit: int = DEFAULT.ops_limit,
    mem_limit: int = DEFAULT.mem_limit,
) -> bytes:
    """Seal a 32-byte private key (Ed25519 seed or secp256k1 secret) under ``passphrase``.

    Returns the key file bytes (format version 1). Raises InvalidKeyError for a bad secret,
    ValueError for an empty passphrase or KDF parameters outside the accepted range.
    """
    try:
        kt = KeyType(key_type)
    except ValueError:
        raise InvalidKeyError(f"unknown key type {key_type!r}") from None
    secret = as_bytes(secret, "secret")
    _validate_secret(kt, secret)
    pw = _passphrase_bytes(passphrase)
    if not pw:
        raise ValueError("passphrase must not be empty")
    _check_params(ops_limit, mem_limit, ValueError)
    salt = os.urandom(SALT_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    box = nacl.secret.SecretBox(_derive(pw, salt, ops_limit, mem_limit))
    sealed = box.encrypt(bytes([kt]) + secret, nonce).ciphertext
    header = _HEADER.pack(
        MAGIC, VERSION, kt, KDF_ARGON2ID, CIPHER_XSALSA20POLY1305, ops_limit, mem_limit
    )
    return header + salt + nonce + sealed


def open_key(blob: bytes, passphrase: str) -> tuple[KeyType, bytes]:
    """Open a key file; returns ``(key_type, secret)``.

    Raises KeyFileFormatError for anything malformed (magic, version, ids, parameters,
    length) and WrongPassphraseError if authentication fails: a wrong passphrase, or an
    altered salt, nonce or ciphertext, which cannot be told apart.
    """
    blob = as_bytes(blob, "blob")
    pw = _passphrase_bytes(passphrase)
    if len(blob) < _HEADER.size:
        raise KeyFileFormatError("key file is truncated")
    magic, version, key_type, kdf, cipher, ops_limit, mem_limit = _HEADER.unpack_from(blob)
    if magic != MAGIC:
        raise KeyFileFormatError("not a GhostNet key file (bad magic)")
    if version != VERSION:
        raise KeyFileFormatError(f"unsupported key file version {version}")
    if key_type not in _SECRET_KEY_TYPES:
        raise KeyFileFormatError(f"unknown key type {key_type}")
    if kdf != KDF_ARGON2ID or cipher != CIPHER_XSALSA20POLY1305:
        raise KeyFileFormatError(f"unsupported KDF/cipher ids {kdf}/{cipher}")
    _check_params(ops_limit, mem_limit, KeyFileFormatError)
    if len(blob) != FILE_SIZE:
        raise KeyFileFormatError(f"key file must be {FILE_SIZE} bytes, got {len(blob)}")
    off = _HEADER.size
    salt = blob[off : off + SALT_SIZE]
    nonce = blob[off + SALT_SIZE : off + SALT_SIZE + NONCE_SIZE]
    sealed = blob[off + SALT_SIZE + NONCE_SIZE :]
    box = nacl.secret.SecretBox(_derive(pw, salt, ops_limit, mem_limit))
    try:
        plain = box.decrypt(sealed, nonce)
    except nacl.exceptions.CryptoError:
        raise WrongPassphraseError("wrong passphrase or corrupted key file") from None
    kt = KeyType(key_type)
    if plain[0] != kt:
        raise KeyFileFormatError("key type in header does not match the sealed key")
    secret = plain[1:]
    try:
        _validate_secret(kt, secret)
    except InvalidKeyError:
        raise KeyFileFormatError(f"sealed key is not a valid {kt.name} key") from None
    return kt, secret


def write_key_file(path: str | os.PathLike[str], blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically with mode 0600 (temp file, fsync, os.replace).

    Readers see either the old file or the complete new one, never a partial write.
    """
    blob = as_bytes(blob, "blob")
    target = Path(path)
    directory = target.parent
    tmp = directory / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # umask may have narrowed it; make it exact
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # Persist the rename itself.
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read a key file, refusing anything larger than a valid one (KeyFileFormatError)."""
    with open(path, "rb") as fh:
        data = fh.read(FILE_SIZE + 1)
    if len(data) > FILE_SIZE:
        raise KeyFileFormatError("file is too large to be a key file")
    return data
