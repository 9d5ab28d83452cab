"""Shared builders for the ghostchain unit tests."""

from __future__ import annotations

import time

from ghost.node.v1 import types_pb2
from ghostchain import genesis as G
from ghostchain import state as S
from ghostchain import tx as T
from zcrypto import KeyType

GENESIS = G.dev_genesis()
CHAIN = GENESIS.chain_id
FEES = GENESIS.fee_schedule
VALIDATOR = G.dev_account("validator")
ALICE = G.dev_account("alice")
BOB = G.dev_account("bob")
CAROL_K1 = G.dev_account("carol", KeyType.SECP256K1)
FEE = 100_000  # comfortably above the minimum for the small test transactions
T0 = time.time_ns()  # transactions are stamped with the wall clock


def fresh_state() -> S.MemoryState:
    st = S.MemoryState()
    G.apply_genesis(st, GENESIS)
    return st


def ctx(height: int = 1, ts: int = T0) -> S.BlockContext:
    return S.BlockContext(
        height=height, timestamp_ns=ts, proposer=VALIDATOR.address, fee_schedule=FEES
    )


def signed(
    account: G.DevAccount, payload, nonce: int = 0, fee: int = FEE, chain: str = CHAIN
) -> types_pb2.SignedTransaction:
    tx = T.build_transaction(
        chain_id=chain, sender=account.key_proto(), nonce=nonce, fee=fee, payload=payload
    )
    return T.sign_transaction(tx, account.key_type, account.secret)


def apply(st, stx, height: int = 1, strict: bool = False, index: int = 0) -> S.TxOutcome:
    tx = T.decode_and_verify(stx, CHAIN)
    return S.apply_transaction(st, stx, tx, ctx(height), strict=strict, index=index)


def balance(st, account) -> int:
    acc = st.get_account(account.address if hasattr(account, "address") else account)
    return acc.balance if acc else 0
