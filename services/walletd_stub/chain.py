"""The few chain rules the wallet applies, taken from ghostchain (never re-implemented here).

Encoding and hashing follow docs/contracts.md "Canonical signing bytes": deterministic
serialization, BLAKE3-256 of the bytes as signed.
"""

from __future__ import annotations

from ghost.node.v1 import types_pb2
from ghostchain.fees import FeeSchedule
from ghostchain.keys import (
    MAX_MULTISIG_KEYS,
    key_proto,
    multisig_address,
    sender_address,
    verify_message,
)
from ghostchain.tx import encode_transaction, transaction_hash

__all__ = [
    "MAX_MULTISIG_KEYS",
    "SIGN_DATA_PREFIX",
    "FeeSchedule",
    "encode_tx",
    "key_proto",
    "multisig_address",
    "sender_address",
    "tx_hash",
    "verify_message",
]

# docs/contracts.md "SignData": 'G' (0x47) is an invalid protobuf tag, so data signatures can
# never authorise a Transaction.
SIGN_DATA_PREFIX = b"GhostNet signed data v1\n"


def encode_tx(tx: types_pb2.Transaction) -> bytes:
    """tx_bytes: deterministic serialization (matters for identity metadata maps)."""
    return encode_transaction(tx)


def tx_hash(tx_bytes: bytes) -> bytes:
    """BLAKE3-256(tx_bytes)."""
    return transaction_hash(tx_bytes)
