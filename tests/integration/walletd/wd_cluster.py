"""ghostd_stub + walletd_stub processes (through the shared `launch` fixture) and QUIC stubs
for the walletd integration tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio
import zquic
from ghost.node.v1 import node_pb2 as N
from ghost.wallet.v1 import wallet_pb2 as W
from ghostchain.genesis import dev_account
from ghostchain.tx import build_transaction, sign_transaction, transfer
from ghostkit.certs import ensure_dev_certs
from zquic.rpc import Channel, Stub

ALPN = ["ghostbridge/1"]
WALLET = W.DESCRIPTOR.services_by_name["WalletService"]
NODE = N.DESCRIPTOR.services_by_name["GhostDService"]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@attrs.define
class Proc:
    daemon: Any  # tests/integration/conftest.py Daemon
    port: int
    admin_port: int


async def start_ghostd(launch: Any, state: Path, port: int = 0) -> Proc:
    d = await launch(
        "ghostd_stub",
        "--state-dir", str(state), "--listen-port", str(port), "--block-interval", "0.2",
    )  # fmt: skip
    ev = await d.wait_event("rpc_listening")
    return Proc(d, ev["port"], d.admin_port)


async def start_walletd(launch: Any, state: Path, *args: str) -> Proc:
    d = await launch(
        "walletd_stub",
        "--state-dir", str(state), "--listen-port", "0", "--kdf-profile", "fast_insecure",
        "--log-level", "debug", *args,
    )  # fmt: skip
    ev = await d.wait_event("listening")
    return Proc(d, ev["port"], d.admin_port)


def client_tls(state: Path) -> zquic.TLSConfig:
    certs = ensure_dev_certs(state)
    return zquic.TLSConfig.from_dev_certs(certs, "walletd", server=False)


@asynccontextmanager
async def stub(state: Path, port: int, service) -> AsyncIterator[Stub]:  # type: ignore[no-untyped-def]
    async with zquic.connect("127.0.0.1", port, tls=client_tls(state), alpn_protocols=ALPN) as c:
        yield Stub(Channel(c), service)


async def fund(node: Stub, to: bytes, amount: int, label: str = "alice") -> bytes:
    """Transfer from a funded dev genesis account straight to ghostd; returns the tx hash."""
    src = dev_account(label)
    info = await node.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)
    bal = await node.GetTransactionsByAddress(
        N.GetTransactionsByAddressRequest(address=src.address_text, include_pending=True),
        timeout=5,
    )
    acct = (await node.GetAccount(N.GetAccountRequest(address=src.address_text), timeout=5)).account
    pending = sum(
        1 for t in bal.transactions if t.receipt.status == 1 and t.transaction.sender == src.address
    )
    tx = build_transaction(
        chain_id=info.chain_id,
        sender=src.key_proto(),
        nonce=acct.nonce + pending,
        fee=100_000,
        payload=transfer(to, amount),
    )
    stx = sign_transaction(tx, src.key_type, src.secret)
    await node.SubmitTransaction(N.SubmitTransactionRequest(transaction=stx), timeout=5)
    return stx.tx_hash


async def included(node: Stub, tx_hash: bytes, from_height: int) -> N.TransactionEvent:
    """Wait (on ghostd's stream, no polling) until `tx_hash` is in a block."""
    async with node.StreamTransactions(N.StreamTransactionsRequest(from_height=from_height)) as s:
        async for ev in s:
            if ev.transaction.receipt.tx_hash == tx_hash:
                return ev
    raise AssertionError("stream ended")


async def metrics(admin_port: int) -> str:
    def get() -> str:
        return httpx.get(f"http://127.0.0.1:{admin_port}/metrics", timeout=5).text

    return await trio.to_thread.run_sync(get)
