"""ghostd_stub processes and QUIC stubs for the ghostd integration tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio
from conftest import Daemon, Launcher, free_udp_port
from ghost.node.v1 import node_pb2 as N
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostchain.genesis import DevAccount
from ghostkit.certs import ensure_dev_certs
from zquic.rpc import RpcError, StatusCode, Stub, connect_rpc
from zquic.tls import TLSConfig

NODE = N.DESCRIPTOR.services_by_name["GhostDService"]
FEE = 100_000


async def start_node(
    launch: Launcher,
    state_dir: Path,
    *flags: str,
    data_dir: Path | None = None,
    port: int | None = None,
    interval: str = "0.2",
    env: dict[str, str] | None = None,
) -> tuple[Daemon, int]:
    """A ghostd_stub on a free UDP port; returns (daemon, QUIC port)."""
    port = port or free_udp_port()
    args = ["--state-dir", str(state_dir), "--listen-port", str(port), "--block-interval", interval]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    daemon = await launch("ghostd_stub", *args, *flags, env=env)
    return daemon, port


def client_tls(state_dir: Path) -> TLSConfig:
    return TLSConfig.from_dev_certs(ensure_dev_certs(state_dir), "ghostd", server=False)


@asynccontextmanager
async def node_stub(state_dir: Path, port: int) -> AsyncIterator[Any]:
    async with connect_rpc("127.0.0.1", port, tls=client_tls(state_dir)) as channel:
        yield Stub(channel, NODE)


def signed(
    account: DevAccount, payload: Any, nonce: int, chain_id: str = "ghostnet-dev", fee: int = FEE
) -> pb.SignedTransaction:
    tx = T.build_transaction(
        chain_id=chain_id,
        sender=account.key_proto(),
        nonce=nonce,
        fee=fee,
        payload=payload,
        timestamp=dt.datetime.now(dt.UTC),
    )
    return T.sign_transaction(tx, account.key_type, account.secret)


async def submit(stub: Any, stx: pb.SignedTransaction) -> N.SubmitTransactionResponse:
    return await stub.SubmitTransaction(N.SubmitTransactionRequest(transaction=stx), timeout=10)


async def wait_included(stub: Any, tx_hash: bytes, within: float = 15) -> pb.TransactionInfo:
    """The transaction's info once a block includes it: no polling, the node's block stream
    tells. The height is read before the first look, so an inclusion between the look and the
    stream's start is replayed by the stream (from_height = that height + 1)."""
    with trio.fail_after(within):
        height = (await stub.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)).height
        info = await _included_info(stub, tx_hash)
        if info is not None:
            return info
        req = N.StreamBlocksRequest(from_height=height + 1)
        async with stub.StreamBlocks(req) as stream:
            async for event in stream:
                if any(t.tx_hash == tx_hash for t in event.block.transactions):
                    break
        info = await _included_info(stub, tx_hash)
        assert info is not None, "a streamed block held the transaction, GetTransaction did not"
        return info


async def _included_info(stub: Any, tx_hash: bytes) -> pb.TransactionInfo | None:
    try:
        resp = await stub.GetTransaction(N.GetTransactionRequest(tx_hash=tx_hash), timeout=5)
    except RpcError as err:  # a follower that has not synced the transaction yet
        if err.code != StatusCode.NOT_FOUND:
            raise
        return None
    if resp.transaction.receipt.status == pb.TRANSACTION_STATUS_PENDING:
        return None
    return resp.transaction


async def block_at(stub: Any, height: int) -> N.BlockEvent:
    """The node's block at `height`, waiting (on its block stream) until it has one."""
    return (await take(stub.StreamBlocks(N.StreamBlocksRequest(from_height=height)), 1))[0]


async def take(call: Any, count: int) -> list[Any]:
    """The first `count` messages of a server stream, then cancel it."""
    out = []
    async with call as stream:
        async for message in stream:
            out.append(message)
            if len(out) == count:
                break
    return out
