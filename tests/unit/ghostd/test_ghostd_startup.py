"""Startup problems (genesis file, validator key, data directory, database) are StartupErrors
with one line naming the file and the problem, raised by main before any nursery of its own."""

from __future__ import annotations

import json

import attrs
import ghostkit.daemon
import pytest
import structlog
from ghostd_stub import app
from ghostd_stub.app import StartupError, open_storage, resolve_chain
from ghostd_stub.chain import ChainCore
from ghostd_stub.config import DAEMON, GhostdConfig
from ghostkit.config import load_config
from zcrypto import KeyType, ed25519
from zcrypto.keyfile import FAST_INSECURE, seal_key, write_key_file

LOG = structlog.get_logger("test")


def load(*argv: str, **env: str) -> GhostdConfig:
    return load_config(GhostdConfig, DAEMON, list(argv), env)


def test_startup_error_is_ghostkits_so_the_daemon_prints_one_line():
    assert issubclass(StartupError, ghostkit.daemon.StartupError)


def key_file(path, passphrase="pw"):
    seed, _ = ed25519.generate_keypair()
    sealed = seal_key(
        seed,
        passphrase,
        key_type=KeyType.ED25519,
        ops_limit=FAST_INSECURE.ops_limit,
        mem_limit=FAST_INSECURE.mem_limit,
    )
    write_key_file(path, sealed)
    return seed


def test_validator_key_problems_name_the_file(tmp_path):
    path = tmp_path / "v.key"
    key_file(path)
    pw = {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": "wrong"}
    with pytest.raises(StartupError) as info:
        resolve_chain(load("--validator-key-file", str(path), **pw), LOG)
    assert str(info.value).startswith(f"validator key file {path}: wrong passphrase")
    assert "GHOST_GHOSTD_VALIDATOR_PASSPHRASE" in str(info.value)
    path.write_bytes(path.read_bytes()[:20])
    pw = {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": "pw"}
    with pytest.raises(StartupError, match=r"v\.key is corrupt or not a zcrypto key file"):
        resolve_chain(load("--validator-key-file", str(path), **pw), LOG)
    with pytest.raises(StartupError, match="cannot read it"):
        resolve_chain(load("--validator-key-file", str(tmp_path), **pw), LOG)  # a directory
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StartupError, match="cannot create it"):
        resolve_chain(load("--validator-key-file", str(blocker / "v.key"), **pw), LOG)


def test_bad_genesis_file_names_key_and_file(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"chain_id": "x"}))
    with pytest.raises(StartupError, match=f"genesis file {path}: missing key 'validator_key'"):
        resolve_chain(load("--genesis-file", str(path)), LOG)


def test_unusable_data_directory_or_database(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StartupError, match=f"data directory {blocker / 'sub'}: Not a directory"):
        open_storage(load("--data-dir", str(blocker / "sub")))
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "chain.sqlite3").write_bytes(b"not a database " * 20)
    with pytest.raises(StartupError, match="chain.sqlite3: file is not a database"):
        open_storage(load("--data-dir", str(tmp_path / "db")))
    good = open_storage(load("--data-dir", str(tmp_path / "ok")))
    good.set_meta("schema_version", b"x1")
    good.close()
    with pytest.raises(StartupError, match=r"chain.sqlite3 is corrupt \(schema_version"):
        open_storage(load("--data-dir", str(tmp_path / "ok")))


@attrs.define
class FakeDaemonContext:
    log: object = LOG


async def test_main_raises_startup_error_itself_not_in_an_exception_group(tmp_path):
    state = ["--state-dir", str(tmp_path / "state"), "--data-dir", str(tmp_path / "d")]
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"chain_id": "x", "validator_key": "ab" * 31}))
    with pytest.raises(StartupError, match="validator_key must be 32 bytes"):
        await app.main(load(*state, "--genesis-file", str(path)), FakeDaemonContext())
    with pytest.raises(StartupError, match="role=validator needs the genesis validator key"):
        path.write_text(json.dumps({"chain_id": "x", "validator_key": "ab" * 32}))
        await app.main(
            load(*state, "--genesis-file", str(path), "--role", "validator"), FakeDaemonContext()
        )
    # a database created by another genesis
    storage = open_storage(load(*state))
    ChainCore(storage, resolve_chain(load(*state, "--chain-id", "other"), LOG)[0])
    storage.close()
    with pytest.raises(StartupError, match="belongs to another chain or genesis"):
        await app.main(load(*state), FakeDaemonContext())
