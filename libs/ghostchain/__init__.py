"""ghostchain: the GhostChain chain model shared by ghostd_stub and walletd_stub.

Pure Python, no I/O: fee rule (`fees`), transactions (`tx`), blocks (`block`), state
transitions (`state`), name rules (`names`), key helpers (`keys`) and genesis (`genesis`).
See docs/ghostd.md for the rules.
"""

from __future__ import annotations

from . import block, errors, fees, genesis, keys, names, state, tx
from .errors import BlockError, ChainError, TxError, TxErrorCode
from .fees import DEFAULT_FEE_SCHEDULE, FeeSchedule
from .keys import derive_multisig_address, multisig_address, sender_address
from .tx import (
    assemble_multisig,
    build_transaction,
    decode_and_verify,
    encode_transaction,
    multisig_signature,
    sign_transaction,
    transaction_hash,
)

__all__ = [
    "DEFAULT_FEE_SCHEDULE",
    "BlockError",
    "ChainError",
    "FeeSchedule",
    "TxError",
    "TxErrorCode",
    "assemble_multisig",
    "block",
    "build_transaction",
    "decode_and_verify",
    "derive_multisig_address",
    "encode_transaction",
    "errors",
    "fees",
    "genesis",
    "keys",
    "multisig_address",
    "multisig_signature",
    "names",
    "sender_address",
    "sign_transaction",
    "state",
    "transaction_hash",
    "tx",
]
