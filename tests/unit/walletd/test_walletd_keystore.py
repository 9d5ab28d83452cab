"""Key store: validation, persistence, pagination, sealing, wrong passphrase."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from walletd_stub.errors import Code, WalletError
from walletd_stub.keystore import KeyStore, create_record, unlock, validate_name
from zcrypto import KeyType, ed25519, keyfile, open_key, secp256k1

FAST = keyfile.FAST_INSECURE


@pytest.mark.parametrize("name", ["main", "a", "x.y_z-1", "a" * 64])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name,fragment",
    [
        ("", "required"),
        ("Main", "lowercase"),
        ("with space", "lowercase"),
        ("a" * 65, "1-64"),
        ("gh1abc", "gh1"),
        ("ü", "lowercase"),
    ],
)
def test_invalid_names(name: str, fragment: str) -> None:
    with pytest.raises(WalletError) as info:
        validate_name(name)
    assert info.value.code is Code.INVALID_ARGUMENT
    assert fragment in info.value.message


@pytest.mark.parametrize("kt", [KeyType.ED25519, KeyType.SECP256K1])
def test_record_seals_a_zcrypto_key_file_that_opens_with_the_passphrase(kt: KeyType) -> None:
    rec = create_record("main", "pw-1", kt, FAST)
    assert len(rec.sealed) == keyfile.FILE_SIZE
    key_type, secret = open_key(rec.sealed, "pw-1")
    assert key_type is kt
    pub = ed25519.public_key(secret) if kt is KeyType.ED25519 else secp256k1.public_key(secret)
    assert pub == rec.public_key
    assert rec.address.startswith("gh1") and len(rec.address_bytes) == 20
    # Secrets never in repr.
    signer = unlock(rec, "pw-1")
    assert secret.hex() not in repr(signer) and rec.sealed.hex() not in repr(rec)


def test_wrong_passphrase_is_unauthenticated_and_does_not_echo_it() -> None:
    rec = create_record("main", "right-pass", KeyType.ED25519, FAST)
    with pytest.raises(WalletError) as info:
        unlock(rec, "wrong-pass")
    assert info.value.code is Code.UNAUTHENTICATED
    assert "main" in info.value.message and "wrong-pass" not in info.value.message
    with pytest.raises(WalletError) as info:
        unlock(rec, "")
    assert info.value.code is Code.UNAUTHENTICATED


def test_empty_passphrase_refused_at_creation() -> None:
    with pytest.raises(WalletError) as info:
        create_record("main", "", KeyType.ED25519, FAST)
    assert info.value.code is Code.INVALID_ARGUMENT


def test_persistence_pragmas_mode_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "ks" / "keystore.sqlite3"
    ks = KeyStore(path)
    rec = create_record("alice", "pw", KeyType.SECP256K1, FAST)
    ks.add(rec)
    assert ks._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ks._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    ks.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # A fresh connection (another process after a crash) sees the committed row.
    raw = sqlite3.connect(path).execute("SELECT name FROM accounts").fetchall()
    assert raw == [("alice",)]
    again = KeyStore(path)
    found = again.get(rec.address)
    assert found == rec
    assert unlock(found, "pw").public_key == rec.public_key
    again.close()


def test_duplicate_name_is_already_exists(keystore: KeyStore) -> None:
    keystore.add(create_record("main", "pw", KeyType.ED25519, FAST))
    with pytest.raises(WalletError) as info:
        keystore.add(create_record("main", "pw", KeyType.ED25519, FAST))
    assert info.value.code is Code.ALREADY_EXISTS


def test_lookup_by_name_or_address_and_not_found(keystore: KeyStore) -> None:
    rec = create_record("main", "pw", KeyType.ED25519, FAST)
    keystore.add(rec)
    assert keystore.get("main") == rec
    assert keystore.get(rec.address.upper().replace("GH1", "gh1")) == rec
    with pytest.raises(WalletError) as info:
        keystore.get("other")
    assert info.value.code is Code.NOT_FOUND and "'other'" in info.value.message
    with pytest.raises(WalletError) as info:
        keystore.get("")
    assert info.value.code is Code.INVALID_ARGUMENT


def test_pages_in_name_order_and_rejects_foreign_tokens(keystore: KeyStore) -> None:
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    for n in names:
        keystore.add(create_record(n, "pw", KeyType.ED25519, FAST))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        records, token = keystore.page(2, token)
        pages += 1
        seen += [r.name for r in records]
        if not token:
            break
    assert seen == sorted(names) and pages == 3
    assert [r.name for r in keystore.page(0, "")[0]] == sorted(names)
    with pytest.raises(WalletError) as info:
        keystore.page(2, "not-a-token!")
    assert info.value.code is Code.INVALID_ARGUMENT


def test_delete(keystore: KeyStore) -> None:
    keystore.add(create_record("main", "pw", KeyType.ED25519, FAST))
    gen = keystore.generation
    assert keystore.delete("main") is True
    assert keystore.find("main") is None
    assert keystore.generation == gen + 1
    assert keystore.delete("main") is False
