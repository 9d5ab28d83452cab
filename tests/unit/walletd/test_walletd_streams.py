"""StreamTransactions / StreamBalanceUpdates over the in-memory node: replay, live, resume."""

from __future__ import annotations

from contextlib import aclosing

import trio
from ghost.node.v1 import types_pb2
from ghost.wallet.v1 import wallet_pb2 as W
from ghostchain.genesis import dev_account
from walletd_stub.service import WalletServicer
from wd_fakenode import FakeNode
from wd_helpers import PASS, create

GHOST = 10**9
BOB = dev_account("bob")


async def send(wallet: WalletServicer, frm: str, to: str, amount: int) -> W.SendTransactionResponse:
    return await wallet.SendTransaction(
        W.SendTransactionRequest(account=frm, passphrase=PASS, to_address=to, amount=amount), None
    )


async def collect(stream, channel: trio.MemorySendChannel) -> None:
    async with aclosing(stream) as events:
        async for event in events:
            await channel.send(event)


async def test_transactions_replay_then_live_with_directions(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        a = await create(wallet, "alice")
        b = await create(wallet, "bob")
        node.credit(a.address_bytes, 10 * GHOST)
        first = await send(wallet, "alice", b.address, GHOST)
        node.produce_block()
        tx_out, tx_in = trio.open_memory_channel(100)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                collect,
                wallet.StreamTransactions(W.StreamTransactionsRequest(from_height=0), None),
                tx_out,
            )
            replayed = [await tx_in.receive(), await tx_in.receive()]
            assert {(e.account, e.direction) for e in replayed} == {
                ("alice", W.DIRECTION_OUTGOING),
                ("bob", W.DIRECTION_INCOMING),
            }
            assert all(
                e.height == 1 and e.transaction.receipt.tx_hash == first.tx_hash for e in replayed
            )
            second = await send(wallet, "bob", BOB.address_text, 1)
            node.produce_block()
            live = await tx_in.receive()
            assert (live.account, live.direction, live.height) == ("bob", W.DIRECTION_OUTGOING, 2)
            assert live.transaction.receipt.tx_hash == second.tx_hash
            # An account created while streaming is followed as well.
            c = await create(wallet, "carol")
            await send(wallet, "alice", c.address, 5)
            node.produce_block()
            got = {(e.account, e.direction) for e in [await tx_in.receive(), await tx_in.receive()]}
            assert got == {("alice", W.DIRECTION_OUTGOING), ("carol", W.DIRECTION_INCOMING)}
            nursery.cancel_scope.cancel()


async def test_transactions_resume_after_node_drop_without_gap_or_duplicate(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        a = await create(wallet, "alice")
        node.credit(a.address_bytes, 10 * GHOST)
        tx_out, tx_in = trio.open_memory_channel(100)
        async with trio.open_nursery() as nursery:
            req = W.StreamTransactionsRequest(account="alice")  # live only
            nursery.start_soon(collect, wallet.StreamTransactions(req, None), tx_out)
            await node.wait_for(lambda: node.streams_opened == 1)
            hashes = []
            for i in range(3):
                hashes.append((await send(wallet, "alice", BOB.address_text, i + 1)).tx_hash)
                node.produce_block()
            assert [(await tx_in.receive()).transaction.receipt.tx_hash for _ in range(3)] == hashes
            node.drop_streams()
            # Blocks produced while the wallet is reconnecting are not lost.
            more = []
            for i in range(2):
                more.append((await send(wallet, "alice", BOB.address_text, 10 + i)).tx_hash)
                node.produce_block()
            await node.wait_for(lambda: node.streams_opened >= 2)
            got = [(await tx_in.receive()).transaction.receipt.tx_hash for _ in range(2)]
            assert got == more
            # Nothing else queued (no duplicate of the first three).
            extra = await send(wallet, "alice", BOB.address_text, 99)
            node.produce_block()
            assert (await tx_in.receive()).transaction.receipt.tx_hash == extra.tx_hash
            nursery.cancel_scope.cancel()


async def test_balance_updates_replay_and_live(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        a = await create(wallet, "alice")
        b = await create(wallet, "bob")
        node.credit(a.address_bytes, 10 * GHOST)
        node.produce_block()  # height 1: nothing for us
        s1 = await send(wallet, "alice", b.address, 3 * GHOST)
        node.produce_block()  # height 2
        out, inp = trio.open_memory_channel(100)
        async with trio.open_nursery() as nursery:
            req = W.StreamBalanceRequest(from_height=2)
            nursery.start_soon(collect, wallet.StreamBalanceUpdates(req, None), out)
            u = {x.account: x for x in [await inp.receive(), await inp.receive()]}
            assert u["alice"].previous_balance == 10 * GHOST
            assert u["alice"].balance == 7 * GHOST - s1.fee == node.balance(a.address_bytes)
            assert (u["bob"].previous_balance, u["bob"].balance) == (0, 3 * GHOST)
            assert list(u["bob"].tx_hashes) == [s1.tx_hash] and u["bob"].height == 2
            s2 = await send(wallet, "bob", BOB.address_text, GHOST)
            node.produce_block()
            live = await inp.receive()
            assert live.account == "bob" and live.height == 3
            assert (live.previous_balance, live.balance) == (3 * GHOST, 2 * GHOST - s2.fee)
            node.drop_streams()
            s3 = await send(wallet, "alice", b.address, 1)
            node.produce_block()
            after = {x.account: x for x in [await inp.receive(), await inp.receive()]}
            assert after["bob"].balance == 2 * GHOST - s2.fee + 1 == node.balance(b.address_bytes)
            assert after["alice"].balance == node.balance(a.address_bytes)
            assert list(after["alice"].tx_hashes) == [s3.tx_hash]
            nursery.cancel_scope.cancel()


async def test_stream_for_unknown_account_is_not_found(wallet: WalletServicer) -> None:
    import pytest
    from zquic.rpc import RpcError, StatusCode

    with trio.fail_after(5):
        with pytest.raises(RpcError) as info:
            async with aclosing(
                wallet.StreamBalanceUpdates(W.StreamBalanceRequest(account="nobody"), None)
            ) as s:
                async for _ in s:
                    pass
        assert info.value.code == StatusCode.NOT_FOUND
    assert types_pb2  # noqa: B018
