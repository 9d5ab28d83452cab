"""ghostd_stub settings (defaults < TOML < GHOST_GHOSTD_* env < flags; see docs/ghostd.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
from ghostchain.fees import DEFAULT_FEE_SCHEDULE
from ghostchain.genesis import DEV_CHAIN_ID, MAX_SUPPLY, check_chain_id
from ghostchain.tx import DEFAULT_MAX_TX_SIZE
from ghostkit.config import ADMIN_PORTS, CommonConfig, setting

__all__ = ["DAEMON", "GhostdConfig"]

DAEMON = "ghostd"


def _port(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"{attr.name} must be between 0 and 65535")


def _positive(_inst: object, attr: attrs.Attribute, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attr.name} must be greater than 0")


def _amount(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not 0 <= value <= MAX_SUPPLY:
        raise ValueError(f"{attr.name} must be between 0 and {MAX_SUPPLY}")


def _chain_id(_inst: object, attr: attrs.Attribute, value: str) -> None:
    check_chain_id(value)


def _peers(_inst: object, attr: attrs.Attribute, value: list[str]) -> None:
    for endpoint in value:
        host, sep, port = endpoint.rpartition(":")
        digits = port.isascii() and port.isdigit()
        if not sep or not host or not digits or not 0 < int(port) < 65536:
            raise ValueError(f"peers: {endpoint!r} must be host:port")


@attrs.frozen
class GhostdConfig(CommonConfig):
    admin_port: int = setting(
        ADMIN_PORTS[DAEMON],
        help="port of the admin HTTP server (0 = any free port)",
        validator=_port,
    )
    listen_host: str = setting("127.0.0.1", help="address of the QUIC RPC endpoint")
    listen_port: int = setting(
        8081, help="UDP port of the QUIC RPC endpoint (0 = any free port)", validator=_port
    )
    chain_id: str = setting(
        DEV_CHAIN_ID,
        help="chain id of the dev genesis (a genesis file sets its own)",
        validator=_chain_id,
    )
    genesis_file: Path | None = setting(
        None, help="genesis JSON (chain id, validator key, fees, allocations); unset = dev genesis"
    )
    validator_key_file: Path | None = setting(
        None,
        help="sealed Ed25519 validator key (zcrypto key file); created on first start if missing."
        " Unset with the dev genesis: the public dev validator key",
    )
    validator_passphrase: str = setting(
        "", help="passphrase of validator_key_file (use the env variable)", secret=True
    )
    role: Literal["auto", "validator", "follower"] = setting(
        "auto",
        help="auto: produce blocks if holding the validator key and no peers are configured",
    )
    block_interval: float = setting(
        1.0,
        help="time between blocks while the mempool is non-empty",
        duration=True,
        validator=_positive,
    )
    peers: list[str] = setting(
        factory=list,
        help="host:port of nodes to sync blocks from (and forward submissions to)",
        validator=_peers,
    )
    data_dir: Path | None = setting(None, help="database directory (default: <state_dir>/ghostd)")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = setting(
        "FULL", help="SQLite synchronous mode in WAL (FULL: durable across power loss)"
    )
    bridge_endpoint: str = setting(
        "", help="host:port of a GhostBridge to register with (empty = do not register)"
    )
    advertise_host: str = setting("", help="host announced to the bridge (default: listen_host)")
    tls_cert: Path | None = setting(None, help="server certificate (default: dev cert)")
    tls_key: Path | None = setting(None, help="server key (default: dev key)")
    tls_ca: Path | None = setting(None, help="CA for peers and the bridge (default: dev CA)")
    max_tx_size: int = setting(
        DEFAULT_MAX_TX_SIZE, help="largest accepted tx_bytes in bytes", validator=_positive
    )
    mempool_max_bytes: int = setting(
        8 * 1024 * 1024, help="mempool capacity in bytes of tx_bytes", validator=_positive
    )
    max_block_txs: int = setting(1000, help="most transactions per block", validator=_positive)
    base_fee: int = setting(
        DEFAULT_FEE_SCHEDULE.base_fee,
        help="dev genesis minimum fee per transaction (base units)",
        validator=_amount,
    )
    fee_per_byte: int = setting(
        DEFAULT_FEE_SCHEDULE.fee_per_byte,
        help="dev genesis fee per tx byte (base units)",
        validator=_amount,
    )
    admin_token: str = setting(
        "", help="token required for admin RPCs (empty: loopback callers only)", secret=True
    )

    def database_path(self) -> Path:
        return (self.data_dir or self.state_dir / "ghostd") / "chain.sqlite3"
