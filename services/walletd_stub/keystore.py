"""The key store: one SQLite row per account, the private key sealed as a zcrypto key file.

SQLite in WAL mode with synchronous=FULL: a commit is on disk before `add` returns, so an
account whose CreateAccount returned survives a SIGKILL or power loss. The sealed blob is the
109-byte zcrypto key file (Argon2id + XSalsa20-Poly1305), so a row can be exported to a file
with `zcrypto.write_key_file` and opened by any zcrypto tool. Nothing here ever stores or
logs a passphrase or a plaintext key.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Literal

import attrs
from zcrypto import KeyType, derive_address, ed25519, format_address, keyfile, secp256k1
from zcrypto.errors import InvalidKeyError, KeyFileFormatError, WrongPassphraseError

from .errors import Code, WalletError, invalid, not_found, unauthenticated

SCHEMA_VERSION = 1
NAME_RE = re.compile(r"^[a-z0-9._-]{1,64}$")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

KdfProfileName = Literal["moderate", "interactive", "fast_insecure"]
KDF_PROFILES: dict[str, keyfile.KdfProfile] = {
    # zcrypto's DEFAULT is libsodium "moderate" passes with 128 MiB (see docs/zcrypto.md).
    "moderate": keyfile.DEFAULT,
    "interactive": keyfile.INTERACTIVE,
    # Tests only: no real protection against guessing.
    "fast_insecure": keyfile.FAST_INSECURE,
}


def validate_name(name: str) -> str:
    """An account name as the contract defines it, or INVALID_ARGUMENT saying what is wrong."""
    if not name:
        raise invalid("account name is required")
    if not NAME_RE.match(name):
        raise invalid(
            f"account name {name[:80]!r} is invalid: use 1-64 characters of lowercase a-z, "
            "0-9, '.', '_' or '-'"
        )
    if name.startswith("gh1"):
        raise invalid(f"account name {name!r} must not start with 'gh1' (reserved for addresses)")
    return name


@attrs.frozen
class AccountRecord:
    """One stored account. `sealed` is the zcrypto key file; it is useless without the
    passphrase, but still kept out of repr."""

    name: str
    address: str
    address_bytes: bytes
    key_type: KeyType
    public_key: bytes
    created_at_ns: int
    sealed: bytes = attrs.field(repr=False)


@attrs.frozen
class Signer:
    """An unlocked key. Short-lived: built per request and dropped after signing."""

    key_type: KeyType
    public_key: bytes
    address_bytes: bytes
    _secret: bytes = attrs.field(repr=False, alias="secret")

    def sign(self, message: bytes) -> bytes:
        if self.key_type is KeyType.ED25519:
            return ed25519.sign(self._secret, message)
        return secp256k1.sign(self._secret, message)


def generate_keypair(key_type: KeyType) -> tuple[bytes, bytes]:
    """(secret, public key) for `key_type`."""
    if key_type is KeyType.ED25519:
        return ed25519.generate_keypair()
    return secp256k1.generate_keypair()


SECRET_KEY_SIZES = {KeyType.ED25519: ed25519.SEED_SIZE, KeyType.SECP256K1: secp256k1.SECRET_SIZE}


def public_key_of(key_type: KeyType, secret: bytes) -> bytes:
    """The public key of an imported private key; INVALID_ARGUMENT (naming the length only,
    never the bytes) when it is not a key of `key_type`."""
    size = SECRET_KEY_SIZES[key_type]
    if len(secret) != size:
        raise invalid(
            f"secret_key must be {size} bytes for KEY_TYPE_{key_type.name}, got {len(secret)}"
        )
    try:
        if key_type is KeyType.ED25519:
            return ed25519.public_key(secret)
        return secp256k1.public_key(secret)
    except InvalidKeyError:
        raise invalid(
            f"secret_key is not a valid KEY_TYPE_{key_type.name} private key"
            " (a secp256k1 scalar must be in [1, n-1])"
        ) from None


def create_record(
    name: str,
    passphrase: str,
    key_type: KeyType,
    profile: keyfile.KdfProfile,
    secret: bytes | None = None,
) -> AccountRecord:
    """A key pair sealed under `passphrase` (CPU-heavy: run it in a worker thread): a new one,
    or the given private key `secret` (import)."""
    validate_name(name)
    if not passphrase:
        raise invalid("a non-empty passphrase is required to encrypt the new key")
    if secret is None:
        secret, public = generate_keypair(key_type)
    else:
        public = public_key_of(key_type, secret)
    sealed = keyfile.seal_key(
        secret,
        passphrase,
        key_type=key_type,
        ops_limit=profile.ops_limit,
        mem_limit=profile.mem_limit,
    )
    raw = derive_address(key_type, public)
    return AccountRecord(
        name=name,
        address=format_address(raw),
        address_bytes=raw,
        key_type=key_type,
        public_key=public,
        created_at_ns=time.time_ns(),
        sealed=sealed,
    )


def unlock(record: AccountRecord, passphrase: str) -> Signer:
    """Open the account's key (CPU-heavy: run it in a worker thread).

    A wrong passphrase is UNAUTHENTICATED; the message names the account, never the input.
    """
    if not passphrase:
        raise unauthenticated(f"a passphrase is required to use account {record.name!r}")
    try:
        key_type, secret = keyfile.open_key(record.sealed, passphrase)
    except WrongPassphraseError:
        raise unauthenticated(f"wrong passphrase for account {record.name!r}") from None
    except KeyFileFormatError:
        # A damaged row is an operator problem, not the caller's; say so without internals.
        raise WalletError(
            Code.INTERNAL, f"the stored key of account {record.name!r} is damaged"
        ) from None
    return Signer(
        key_type=key_type,
        public_key=record.public_key,
        address_bytes=record.address_bytes,
        secret=secret,
    )


def _encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(b"n:" + name.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        text = raw.decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid("page_token is not a token this wallet issued") from None
    if not text.startswith("n:"):
        raise invalid("page_token is not a token this wallet issued")
    return text[2:]


class KeyStore:
    """SQLite-backed account store; safe to call from worker threads (one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            # Create the file 0600 before SQLite opens it, whatever the umask.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: every commit is fsynced before it returns (WAL's default NORMAL may lose the
        # last commits on power loss).
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            self._db.executescript(
                """
                BEGIN;
                CREATE TABLE IF NOT EXISTS accounts (
                    name TEXT PRIMARY KEY,
                    address TEXT NOT NULL UNIQUE,
                    address_bytes BLOB NOT NULL,
                    key_type INTEGER NOT NULL,
                    public_key BLOB NOT NULL,
                    created_at_ns INTEGER NOT NULL,
                    sealed BLOB NOT NULL
                );
                PRAGMA user_version = 1;
                COMMIT;
                """
            )
        elif version != SCHEMA_VERSION:
            self._db.close()
            raise RuntimeError(
                f"key store {self.path} has schema version {version}; this walletd knows "
                f"{SCHEMA_VERSION}"
            )
        self.generation = 0  # bumped on every add/delete, so followers can refresh caches

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _row(row: tuple) -> AccountRecord:
        name, address, address_bytes, key_type, public_key, created_at_ns, sealed = row
        return AccountRecord(
            name=name,
            address=address,
            address_bytes=bytes(address_bytes),
            key_type=KeyType(key_type),
            public_key=bytes(public_key),
            created_at_ns=created_at_ns,
            sealed=bytes(sealed),
        )

    _COLUMNS = "name, address, address_bytes, key_type, public_key, created_at_ns, sealed"

    def add(self, record: AccountRecord) -> None:
        """Insert and commit (durable on return); ALREADY_EXISTS for a taken name or address."""
        with self._lock:
            try:
                self._db.execute(
                    f"INSERT INTO accounts ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.name,
                        record.address,
                        record.address_bytes,
                        int(record.key_type),
                        record.public_key,
                        record.created_at_ns,
                        record.sealed,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                if "accounts.address" in str(exc):
                    raise WalletError(
                        Code.ALREADY_EXISTS,
                        f"this wallet already holds address {record.address}",
                    ) from None
                raise WalletError(
                    Code.ALREADY_EXISTS, f"an account named {record.name!r} already exists"
                ) from None
            self.generation += 1

    def find(self, ref: str) -> AccountRecord | None:
        """The account with name or "gh1..." address `ref`, or None."""
        column = "address" if ref.lower().startswith("gh1") else "name"
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._COLUMNS} FROM accounts WHERE {column} = ?",
                (ref.lower() if column == "address" else ref,),
            ).fetchone()
        return None if row is None else self._row(row)

    def get(self, ref: str) -> AccountRecord:
        """Like `find`, but NOT_FOUND (or INVALID_ARGUMENT for an empty ref)."""
        if not ref:
            raise invalid("account is required (a wallet account name or gh1 address)")
        record = self.find(ref)
        if record is None:
            raise not_found(f"no wallet account {ref!r}")
        return record

    def page(self, page_size: int, page_token: str) -> tuple[list[AccountRecord], str]:
        """Accounts in name order after the token's name; next token empty on the last page."""
        size = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
        after = _decode_token(page_token) if page_token else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM accounts WHERE name > ? ORDER BY name LIMIT ?",
                (after, size + 1),
            ).fetchall()
        records = [self._row(r) for r in rows[:size]]
        next_token = _encode_token(records[-1].name) if len(rows) > size else ""
        return records, next_token

    def all(self) -> list[AccountRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM accounts ORDER BY name"
            ).fetchall()
        return [self._row(r) for r in rows]

    def delete(self, name: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM accounts WHERE name = ?", (name,))
            if cur.rowcount:
                self.generation += 1
            return cur.rowcount > 0
