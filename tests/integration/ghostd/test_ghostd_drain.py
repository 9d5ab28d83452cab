"""SIGTERM during concurrent SubmitTransaction calls: no acknowledged transaction is lost and
no stored transaction was reported to its client as failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio
from gdi_support import node_stub, signed, start_node
from ghost.node.v1 import node_pb2 as N
from ghostchain import tx as T
from ghostchain.genesis import dev_account, dev_accounts
from zquic.rpc import RpcError, StatusCode

pytestmark = pytest.mark.timeout(120)

PER_SENDER = 40  # more than can be submitted before the drain ends (asserted)


async def test_sigterm_keeps_every_acknowledged_submission(launch: Any, tmp_path: Path) -> None:
    senders = dev_accounts()  # 10 funded accounts: one submitting task each
    to = dev_account("validator").address
    txs = {
        s.address_text: [signed(s, T.transfer(to, 1 + n), n) for n in range(PER_SENDER)]
        for s in senders
    }
    acked: set[bytes] = set()
    refused: set[bytes] = set()
    outcomes: list[StatusCode] = []
    with trio.fail_after(90):
        node, port = await start_node(launch, tmp_path)
        await node.wait_event("rpc_listening")
        async with node_stub(tmp_path, port) as stub:

            async def submit_all(chain: list[Any]) -> None:
                # One sender's transactions in nonce order, until the node stops answering.
                for stx in chain:
                    try:
                        await stub.SubmitTransaction(
                            N.SubmitTransactionRequest(transaction=stx), timeout=20
                        )
                    except RpcError as exc:
                        outcomes.append(exc.code)
                        refused.add(stx.tx_hash)
                        return
                    outcomes.append(StatusCode.OK)
                    acked.add(stx.tx_hash)

            async with trio.open_nursery() as nursery:
                for chain in txs.values():
                    nursery.start_soon(submit_all, chain)
                # Submissions are flowing (and others in flight): stop the node now.
                await node.wait_event("tx_accepted")
                node.signal(15)
                assert await node.wait_exit() == 0
    assert set(outcomes) <= {StatusCode.OK, StatusCode.UNAVAILABLE}, outcomes
    assert len(refused) == len(senders)  # every sender was stopped by the shutdown
    assert acked
    text = node.text
    assert '"event": "drained"' in text and '"still_running": 0' in text

    node, port = await start_node(launch, tmp_path)
    with trio.fail_after(60):
        await node.wait_event("rpc_listening")
        async with node_stub(tmp_path, port) as stub:
            for chain in txs.values():
                for stx in chain:
                    try:
                        await stub.GetTransaction(
                            N.GetTransactionRequest(tx_hash=stx.tx_hash), timeout=5
                        )
                        stored = True
                    except RpcError as exc:
                        assert exc.code == StatusCode.NOT_FOUND, exc.message
                        stored = False
                    # Stored (pending or in a block) exactly when acknowledged OK.
                    assert stored == (stx.tx_hash in acked), stx.tx_hash.hex()
        assert await node.stop() == 0
