"""Builders shared by the ghostd_stub unit tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostchain.genesis import DevAccount, dev_account, dev_genesis
from ghostd_stub.chain import ChainCore
from ghostd_stub.storage import Storage
from zquic.rpc import PeerInfo

GENESIS = dev_genesis()
CHAIN = GENESIS.chain_id
VALIDATOR = dev_account("validator")
ALICE = dev_account("alice")
BOB = dev_account("bob")
FEE = 100_000
# Fixed, so the same arguments always give the same tx_bytes and tx_hash.
TX_TIME = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
NOW = int(TX_TIME.timestamp()) * 10**9 + 60 * 10**9  # a clock for core calls


def make_core(path: Path, *, validator: bool = True, **kw) -> ChainCore:
    return ChainCore(
        Storage(path / "chain.sqlite3"),
        GENESIS,
        validator_seed=VALIDATOR.secret if validator else None,
        **kw,
    )


def signed(account: DevAccount, payload, nonce: int = 0, fee: int = FEE) -> pb.SignedTransaction:
    tx = T.build_transaction(
        chain_id=CHAIN,
        sender=account.key_proto(),
        nonce=nonce,
        fee=fee,
        payload=payload,
        timestamp=TX_TIME,
    )
    return T.sign_transaction(tx, account.key_type, account.secret)


def transfer(account: DevAccount = ALICE, nonce: int = 0, amount: int = 1, to=BOB):
    return signed(account, T.transfer(to.address, amount), nonce=nonce)


@attrs.define
class FakeContext:
    """What handlers read from zquic.rpc.CallContext."""

    metadata: tuple = ()
    peer: PeerInfo = attrs.field(factory=lambda: PeerInfo(address=("127.0.0.1", 50000)))
