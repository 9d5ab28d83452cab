"""ChainCore: mempool admission, block production, import/validation of peer blocks."""

from __future__ import annotations

import pytest
from gd_helpers import ALICE, BOB, CHAIN, FEE, NOW, VALIDATOR, make_core, signed, transfer
from ghost.node.v1 import types_pb2 as pb
from ghostchain import block as B
from ghostchain import tx as T
from ghostchain.errors import BlockError, TxError, TxErrorCode
from ghostchain.genesis import dev_account


def code(fn, *args) -> TxErrorCode:
    with pytest.raises(TxError) as info:
        fn(*args)
    return info.value.code


def test_submit_validates_and_sequences_pending_nonces(tmp_path):
    core = make_core(tmp_path)
    for n in range(3):
        core.submit(transfer(nonce=n), NOW)
    assert list(core.mempool) == [transfer(nonce=n).tx_hash for n in range(3)]
    assert core.account(ALICE.address).nonce == 3  # next nonce includes pending ones
    assert code(core.submit, transfer(nonce=0), NOW) is TxErrorCode.DUPLICATE
    assert code(core.submit, transfer(nonce=5), NOW) is TxErrorCode.NONCE_TOO_HIGH
    assert code(core.submit, signed(ALICE, T.transfer(BOB.address, 1), nonce=3, fee=10), NOW) is (
        TxErrorCode.FEE_TOO_LOW
    )
    bad = transfer(nonce=3)
    bad.signature = b"\x00" * 64
    assert code(core.submit, bad, NOW) is TxErrorCode.BAD_SIGNATURE
    assert len(core.mempool) == 3 and len(core.storage.mempool_load()) == 3


def test_size_and_capacity_limits(tmp_path):
    core = make_core(tmp_path, max_tx_size=200, mempool_max_bytes=150)
    big = signed(ALICE, T.register_identity("big", metadata={"k": "v" * 300}))
    assert code(core.submit, big, NOW) is TxErrorCode.TOO_LARGE
    core.submit(transfer(nonce=0), NOW)
    assert code(core.submit, transfer(nonce=1), NOW) is TxErrorCode.MEMPOOL_FULL


def test_pending_state_allows_dependent_transactions_and_refuses_failing_payloads(tmp_path):
    core = make_core(tmp_path)
    core.submit(signed(ALICE, T.register_domain("alice.ghost")), NOW)
    rec = T.record(pb.RECORD_TYPE_A, "10.0.0.1")
    core.submit(signed(ALICE, T.set_record("alice.ghost", rec), nonce=1), NOW)
    assert code(core.submit, signed(BOB, T.set_record("alice.ghost", rec)), NOW) is (
        TxErrorCode.NOT_OWNER
    )
    poor = dev_account("poor")
    assert code(core.submit, signed(poor, T.transfer(BOB.address, 1)), NOW) is (
        TxErrorCode.INSUFFICIENT_FUNDS
    )
    committed = core.produce_block(NOW + 1)
    assert len(committed.infos) == 2 and not core.mempool
    assert [e.type for e in committed.domain_events] == [
        pb.DOMAIN_EVENT_TYPE_REGISTERED,
        pb.DOMAIN_EVENT_TYPE_RECORD_SET,
    ]
    assert core.domain("alice.ghost").records[0].value == "10.0.0.1"
    assert core.resolve("WWW.Alice.Ghost.")[1] == "www"
    assert core.resolve("nothing.ghost") is None


def test_production_rules(tmp_path):
    core = make_core(tmp_path)
    assert core.produce_block(NOW) is None  # empty mempool: no block
    empty = core.produce_block(NOW, allow_empty=True)
    assert empty.height == 1 and empty.block.header.tx_count == 0
    for n in range(5):
        core.submit(transfer(nonce=n), NOW)
    part = core.produce_block(NOW, max_txs=2)
    assert len(part.infos) == 2 and len(core.mempool) == 3
    # Timestamps strictly increase even with a clock that stands still.
    ts = B.timestamp_ns
    assert ts(part.block.header.timestamp) > ts(empty.block.header.timestamp)
    validator = core.account(VALIDATOR.address)
    assert validator.balance == 2 * FEE  # fees go to the validator
    follower = make_core(tmp_path / "f", validator=False)
    with pytest.raises(BlockError, match="validator key"):
        follower.produce_block(NOW, allow_empty=True)


def _sync(src, dst) -> None:
    for h in range(dst.tip().height + 1, src.tip().height + 1):
        dst.import_block(src.get_block(height=h), NOW)


def test_follower_imports_blocks_and_reaches_the_same_state(tmp_path):
    producer = make_core(tmp_path / "p")
    follower = make_core(tmp_path / "f", validator=False)
    producer.submit(signed(ALICE, T.register_domain("alice.ghost")), NOW)
    producer.submit(transfer(nonce=1, amount=77), NOW)
    producer.produce_block(NOW)
    producer.submit(signed(BOB, T.register_identity("bob")), NOW)
    producer.produce_block(NOW)
    _sync(producer, follower)
    assert follower.tip() == producer.tip()
    for acc in (ALICE, BOB, VALIDATOR):
        assert follower.account(acc.address) == producer.account(acc.address)
    assert follower.domain("alice.ghost") == producer.domain("alice.ghost")
    assert follower.identity("bob") == producer.identity("bob")
    # Re-importing a known block is a no-op; its transactions keep their receipts.
    assert follower.import_block(producer.get_block(height=1), NOW) is None
    info = follower.transaction(transfer(nonce=1, amount=77).tx_hash)
    assert info.receipt.block_height == 1 and info.receipt.index == 1


def _forged(core, txs, *, seed=None, key=None, prev=None, height=None, ts=None):
    tip = core.tip()
    header = B.build_header(
        chain_id=CHAIN,
        height=tip.height + 1 if height is None else height,
        prev_hash=tip.hash if prev is None else prev,
        tx_hashes=[s.tx_hash for s in txs],
        timestamp_ns=max(NOW, tip.timestamp_ns + 1) if ts is None else ts,
        proposer_key=key or VALIDATOR.public_key,
    )
    return B.sign_block(header, seed or VALIDATOR.secret, txs)


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda c: _forged(c, [transfer(nonce=1)]), "nonce"),
        (lambda c: _forged(c, [transfer(nonce=0), transfer(nonce=0)]), "nonce"),
        (lambda c: _forged(c, [], seed=ALICE.secret, key=ALICE.public_key), "not a validator"),
        (lambda c: _forged(c, [], prev=b"\x01" * 32), "prev_hash"),
        (lambda c: _forged(c, [], height=c.tip().height + 2), "does not extend"),
        (lambda c: _forged(c, [], ts=c.tip().timestamp_ns), "timestamp"),
        (lambda c: _forged(c, [signed(ALICE, T.transfer(BOB.address, 0))]), "transaction 0"),
    ],
)
def test_invalid_peer_blocks_are_rejected_and_not_stored(tmp_path, make, fragment):
    core = make_core(tmp_path, validator=False)
    block = make(core)
    with pytest.raises(BlockError, match=fragment):
        core.validate_block(block)
    with pytest.raises(BlockError, match=fragment):
        core.import_block(block, NOW)
    assert core.tip().height == 0


def test_conflicting_block_at_known_height_is_rejected(tmp_path):
    core = make_core(tmp_path)
    core.produce_block(NOW, allow_empty=True)
    other = make_core(tmp_path / "o")
    other.submit(transfer(), NOW)
    fork = other.produce_block(NOW)
    with pytest.raises(BlockError, match="conflicts"):
        core.import_block(fork.block, NOW)
    core.validate_block(core.get_block(height=1))  # our own block is valid


def test_tampered_signature_is_rejected(tmp_path):
    core = make_core(tmp_path, validator=False)
    block = _forged(core, [transfer()])
    block.signature = bytes(64)
    with pytest.raises(BlockError, match="signature"):
        core.import_block(block, NOW)


def test_mempool_reload_after_restart_drops_what_became_invalid(tmp_path):
    core = make_core(tmp_path)
    core.submit(transfer(nonce=0), NOW)
    core.submit(transfer(nonce=1), NOW)
    # Simulate: nonce 0 got included elsewhere while an older copy stayed in the mempool table.
    core.storage.mempool_add(transfer(nonce=0, amount=99), NOW)
    core.storage.close()
    core = make_core(tmp_path)
    dropped = core.load_mempool(NOW)
    assert [d.stx.tx_hash for d in dropped] == [transfer(nonce=0, amount=99).tx_hash]
    assert list(core.mempool) == [transfer(nonce=0).tx_hash, transfer(nonce=1).tx_hash]
    assert len(core.storage.mempool_load()) == 2
