"""Config parsing and chain resolution (genesis, validator key, role) without a process."""

from __future__ import annotations

import json

import pytest
import structlog
from ghostchain.genesis import dev_account
from ghostd_stub.app import StartupError, resolve_chain
from ghostd_stub.config import DAEMON, GhostdConfig
from ghostkit.config import ConfigError, load_config
from zcrypto import ed25519

LOG = structlog.get_logger("test")


def load(*argv: str, **env: str) -> GhostdConfig:
    return load_config(GhostdConfig, DAEMON, list(argv), env)


def test_defaults_and_precedence(tmp_path):
    cfg = load()
    assert (cfg.listen_host, cfg.listen_port, cfg.admin_port) == ("127.0.0.1", 8081, 8181)
    assert cfg.block_interval == 1.0 and cfg.sqlite_synchronous == "FULL" and cfg.peers == []
    assert cfg.database_path().name == "chain.sqlite3"
    toml = tmp_path / "g.toml"
    toml.write_text('block_interval = "250ms"\npeers = ["127.0.0.1:1"]\nlisten_port = 9\n')
    cfg = load("--config", str(toml), "--listen-port", "7", GHOST_GHOSTD_PEERS="10.0.0.1:2,x:3")
    assert cfg.block_interval == 0.25 and cfg.listen_port == 7
    assert cfg.peers == ["10.0.0.1:2", "x:3"]  # env beats the file, flags beat env


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--peers", "nohostport"], "host:port"),
        (["--peers", "h:\u00b2"], "host:port"),  # a digit to str.isdigit, not to int()
        (["--listen-port", "70000"], "65535"),
        (["--block-interval", "0"], "greater than 0"),
        (["--role", "boss"], "one of"),
        (["--sqlite-synchronous", "OFF"], "one of"),
        (["--base-fee", str(2**63)], "between 0 and 9223372036854775807"),
        (["--fee-per-byte", "-1"], "between 0 and"),
        (["--chain-id", "x" * 256], "at most 255 bytes"),
    ],
)
def test_bad_settings_name_the_problem(argv, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load(*argv)


def test_secrets_are_not_echoed():
    with pytest.raises(ConfigError) as info:
        load("--admin-token", "t0ps3cret", "--listen-port", "x")
    assert "t0ps3cret" not in str(info.value)


def test_dev_genesis_uses_the_public_dev_validator():
    genesis, seed = resolve_chain(load(), LOG)
    assert seed == dev_account("validator").secret
    assert genesis.validator_key == dev_account("validator").public_key
    assert genesis.chain_id == "ghostnet-dev"
    other, _ = resolve_chain(load("--chain-id", "x", "--base-fee", "5"), LOG)
    assert other.chain_id == "x" and other.fee_schedule.base_fee == 5


def test_validator_key_file_is_created_sealed_then_reloaded(tmp_path):
    path = tmp_path / "keys" / "validator.key"
    env = {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": "pw"}
    genesis, seed = resolve_chain(load("--validator-key-file", str(path), **env), LOG)
    assert path.exists() and seed not in path.read_bytes()  # sealed, not raw
    assert genesis.validator_key == ed25519.public_key(seed)
    _, again = resolve_chain(load("--validator-key-file", str(path), **env), LOG)
    assert again == seed
    with pytest.raises(StartupError, match="passphrase"):
        resolve_chain(load("--validator-key-file", str(path)), LOG)
    bad = {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": "wrong"}
    with pytest.raises(StartupError, match="wrong passphrase"):
        resolve_chain(load("--validator-key-file", str(path), **bad), LOG)


def test_genesis_file_without_its_key_makes_a_follower(tmp_path):
    path = tmp_path / "genesis.json"
    path.write_text(
        json.dumps({"chain_id": "net-7", "validator_key": "11" * 32, "allocations": []})
    )
    genesis, seed = resolve_chain(load("--genesis-file", str(path)), LOG)
    assert genesis.chain_id == "net-7" and seed is None
    path.write_text("{not json")
    with pytest.raises(StartupError, match="genesis file"):
        resolve_chain(load("--genesis-file", str(path)), LOG)
