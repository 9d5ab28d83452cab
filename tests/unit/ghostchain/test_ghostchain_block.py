"""Blocks: header hash, tx_root, validator signature, parent link; genesis."""

from __future__ import annotations

import json

import pytest
from gc_helpers import ALICE, BOB, CHAIN, GENESIS, T0, VALIDATOR, signed
from ghostchain import block as B
from ghostchain import genesis as G
from ghostchain import tx as T
from ghostchain.errors import BlockError
from zcrypto.hashes import blake3

GENESIS_BLOCK = G.genesis_block(GENESIS)
OTHER_TX = signed(ALICE, T.transfer(BOB.address, 2))


def child(prev=GENESIS_BLOCK, txs=(), seed=VALIDATOR.secret, key=VALIDATOR.public_key, ts=T0):
    header = B.build_header(
        chain_id=CHAIN,
        height=prev.header.height + 1,
        prev_hash=prev.hash,
        tx_hashes=[s.tx_hash for s in txs],
        timestamp_ns=ts,
        proposer_key=key,
    )
    return B.sign_block(header, seed, list(txs))


def verify(block, prev=GENESIS_BLOCK, **kw):
    return B.verify_block(
        block,
        chain_id=CHAIN,
        validators=[VALIDATOR.public_key],
        parent_hash=prev.hash,
        parent_height=prev.header.height,
        parent_timestamp_ns=B.timestamp_ns(prev.header.timestamp),
        **kw,
    )


def test_tx_root_and_hash_definitions():
    assert B.tx_root([]) == blake3(b"")
    assert B.tx_root([b"a" * 32, b"b" * 32]) == blake3(b"a" * 32 + b"b" * 32)
    blk = child(txs=[signed(ALICE, T.transfer(BOB.address, 1))])
    assert blk.hash == blake3(blk.header_bytes)
    assert blk.header.tx_count == 1 and blk.header.proposer == VALIDATOR.address


def test_valid_block_verifies():
    txs = [signed(ALICE, T.transfer(BOB.address, 1), nonce=n) for n in range(2)]
    blk = child(txs=txs)
    header = verify(blk)
    assert header.height == 1 and header.tx_root == B.tx_root(s.tx_hash for s in txs)


def test_sign_block_refuses_foreign_seed():
    header = B.build_header(
        chain_id=CHAIN,
        height=1,
        prev_hash=GENESIS_BLOCK.hash,
        tx_hashes=[],
        timestamp_ns=T0,
        proposer_key=VALIDATOR.public_key,
    )
    with pytest.raises(ValueError):
        B.sign_block(header, ALICE.secret, [])


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda b: setattr(b, "signature", b"\x00" * 64), "signature"),
        (lambda b: setattr(b, "hash", b"\x01" * 32), "hash"),
        (lambda b: setattr(b, "header_bytes", b"\xff\xff"), "BlockHeader"),
        (lambda b: b.transactions.pop(), "transactions"),
        (
            lambda b: b.transactions[0].CopyFrom(signed(ALICE, T.transfer(BOB.address, 2))),
            "tx_root",
        ),
    ],
)
def test_tampered_blocks_fail(mutate, fragment):
    blk = child(txs=[signed(ALICE, T.transfer(BOB.address, 1))])
    mutate(blk)
    with pytest.raises(BlockError, match=fragment):
        verify(blk)


def test_block_by_non_validator_fails():
    blk = child(seed=ALICE.secret, key=ALICE.public_key)
    with pytest.raises(BlockError, match="not a validator"):
        verify(blk)


def test_header_tampering_breaks_the_signature():
    blk = child()
    header = B.decode_header(blk.header_bytes)
    header.tx_count = 5
    blk.header_bytes = B.encode_header(header)
    blk.hash = B.block_hash(blk.header_bytes)
    with pytest.raises(BlockError, match="signature"):
        verify(blk)


def test_parent_link_height_and_time():
    b1 = child()
    b2 = child(prev=b1, ts=T0 + 1)
    verify(b2, prev=b1)
    with pytest.raises(BlockError, match="prev_hash"):
        verify(b2, prev=GENESIS_BLOCK)  # wrong parent
    same_time = child(prev=b1, ts=T0)
    with pytest.raises(BlockError, match="timestamp"):
        verify(same_time, prev=b1)
    skip = child(prev=b2)
    with pytest.raises(BlockError):
        B.verify_block(
            skip,
            chain_id=CHAIN,
            validators=[VALIDATOR.public_key],
            parent_hash=b2.header.prev_hash,
            parent_height=0,
        )
    with pytest.raises(BlockError, match="chain"):
        B.verify_block(b1, chain_id="other", validators=[VALIDATOR.public_key])


def test_genesis_block_is_deterministic_and_commits_to_allocations():
    g1 = G.genesis_block(G.dev_genesis())
    assert g1.hash == GENESIS_BLOCK.hash
    assert g1.header.height == 0 and g1.header.prev_hash == bytes(32)
    assert g1.header.state_root == GENESIS.commitment()
    other = G.Genesis(CHAIN, GENESIS.validator_key, GENESIS.allocations[:-1])
    assert G.genesis_block(other).hash != g1.hash
    assert G.genesis_block(G.dev_genesis("another-chain")).hash != g1.hash


def test_dev_accounts_are_deterministic_and_documented_labels():
    a = G.dev_account("alice")
    assert a.secret == G.dev_seed("alice") and a.address == G.dev_account("alice").address
    assert len(G.dev_accounts()) == 2 * len(G.DEV_LABELS)
    assert "secret" not in repr(a) or a.secret.hex() not in repr(a)


def test_load_genesis_file(tmp_path):
    path = tmp_path / "genesis.json"
    path.write_text(
        json.dumps(
            {
                "chain_id": "testnet-1",
                "validator_key": VALIDATOR.public_key.hex(),
                "fee_schedule": {"base_fee": 5, "fee_per_byte": 1},
                "allocations": [
                    {"address": ALICE.address_text, "amount": 100},
                    {"address": ALICE.address_text, "amount": 1},
                ],
            }
        )
    )
    g = G.load_genesis(path)
    assert g.chain_id == "testnet-1" and g.allocations == ((ALICE.address, 101),)
    assert g.fee_schedule.base_fee == 5
    path.write_text(json.dumps({"chain_id": "x", "validator_key": "zz"}))
    with pytest.raises(ValueError, match="genesis file"):
        G.load_genesis(path)
    with pytest.raises(ValueError, match="genesis file"):
        G.load_genesis(tmp_path / "missing.json")
