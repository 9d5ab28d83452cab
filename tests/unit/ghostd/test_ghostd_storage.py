"""SQLite storage: round trips, atomic blocks, durability across SIGKILL, chain identity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import trio
from gd_helpers import ALICE, BOB, NOW, make_core, transfer
from ghost.node.v1 import types_pb2 as pb
from ghostchain.genesis import DEV_ACCOUNT_BALANCE, dev_genesis
from ghostd_stub.chain import ChainCore
from ghostd_stub.storage import Storage, StorageError


def test_wal_mode_and_sync_setting(tmp_path):
    st = Storage(tmp_path / "db.sqlite3")
    mode = st._conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = st._conn.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal" and sync == 2  # FULL
    st.close()
    st = Storage(tmp_path / "db.sqlite3", synchronous="NORMAL")
    assert st._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    st.close()


def test_blocks_txs_and_state_round_trip_across_reopen(tmp_path):
    core = make_core(tmp_path)
    for n in range(3):
        core.submit(transfer(nonce=n, amount=10 + n), NOW)
    committed = core.produce_block(NOW + 1)
    assert committed is not None and committed.height == 1 and len(committed.infos) == 3
    block = committed.block
    core.storage.close()

    core2 = make_core(tmp_path)
    assert core2.tip().height == 1 and core2.tip().hash == block.hash
    again = core2.get_block(height=1)
    assert again.header_bytes == block.header_bytes and again.signature == block.signature
    assert [s.tx_hash for s in again.transactions] == [s.tx_hash for s in block.transactions]
    assert core2.get_block(block_hash=block.hash).header.height == 1
    assert core2.get_block(height=1, with_txs=False).transactions == []
    info = core2.transaction(block.transactions[2].tx_hash)
    assert info.receipt.status == pb.TRANSACTION_STATUS_SUCCESS
    assert info.receipt.block_height == 1 and info.receipt.index == 2
    assert core2.account(BOB.address).balance == DEV_ACCOUNT_BALANCE + 10 + 11 + 12
    assert core2.account(ALICE.address).nonce == 3
    rows = core2.storage.txs_by_address(BOB.address, 0, 10)
    assert [(r.height, r.index) for r in rows] == [(1, 2), (1, 1), (1, 0)]  # newest first


def test_a_failed_block_commit_leaves_nothing_behind(tmp_path):
    core = make_core(tmp_path)
    core.submit(transfer(), NOW)
    storage = core.storage
    real = storage.state.put_account
    calls = []

    def exploding(account):
        calls.append(account)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        real(account)

    storage.state.put_account = exploding  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        core.produce_block(NOW + 1)
    storage.state.put_account = real  # type: ignore[method-assign]
    assert storage.tip().height == 0
    assert storage.block_at(1) is None and storage.has_tx(transfer().tx_hash) is None
    assert storage.state.get_account(ALICE.address).nonce == 0  # no partial state
    assert len(storage.mempool_load()) == 1  # still pending, not lost


def test_database_of_another_chain_is_refused(tmp_path):
    make_core(tmp_path).storage.close()
    with pytest.raises(StorageError, match="another chain"):
        ChainCore(Storage(tmp_path / "chain.sqlite3"), dev_genesis("other-chain"))


_CHILD = textwrap.dedent(
    """
    import signal, sys
    sys.path[:0] = {paths!r}
    from gd_helpers import NOW, make_core, transfer
    from pathlib import Path
    core = make_core(Path({dir!r}))
    for n in range(1000):
        core.submit(transfer(nonce=n), NOW)
        print("acked", n, flush=True)
        if n % 7 == 6:
            core.produce_block(NOW)
            print("block", core.tip().height, flush=True)
    signal.pause()  # stay alive until the test SIGKILLs us
    """
)


async def test_acknowledged_transactions_and_blocks_survive_sigkill(tmp_path):
    """A child acknowledges submissions (mempool rows) and commits blocks; we SIGKILL it
    mid-stream and check every acknowledged transaction and every block is still there."""
    here = os.path.dirname(__file__)
    code = _CHILD.format(paths=[here, *sys.path], dir=str(tmp_path))
    proc = await trio.lowlevel.open_process([sys.executable, "-c", code], stdout=subprocess.PIPE)
    acked = -1
    blocks = 0
    buffer = b""
    try:
        with trio.fail_after(30):
            while acked < 40:
                while b"\n" not in buffer:
                    chunk = await proc.stdout.receive_some(4096)
                    assert chunk, "child exited early"
                    buffer += chunk
                line, buffer = buffer.split(b"\n", 1)
                kind, value = line.decode().split()
                if kind == "acked":
                    acked = int(value)
                else:
                    blocks = int(value)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        with trio.move_on_after(10):
            await proc.wait()
        await proc.stdout.aclose()
    assert blocks >= 5
    core = make_core(tmp_path)
    assert core.tip().height >= blocks
    core.load_mempool(NOW + 1)
    for n in range(acked + 1):
        h = transfer(nonce=n).tx_hash
        assert core.storage.has_tx(h) is not None or h in core.mempool, f"lost tx {n}"
    for h in range(1, core.tip().height + 1):
        assert core.get_block(height=h).header.height == h
