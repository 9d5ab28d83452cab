"""Chain rule errors with reason codes that map onto gRPC status codes.

ghostchain does not import the RPC layer: each reason names its gRPC status as a string
(`TxError.grpc_status`), and servers translate it with `StatusCode[err.grpc_status]`.
"""

from __future__ import annotations

import enum

__all__ = ["BlockError", "ChainError", "TxError", "TxErrorCode"]


class TxErrorCode(enum.Enum):
    """Why a transaction was refused; `grpc_status` names the gRPC status it maps to."""

    # The bytes are not a well-formed transaction (parse error, missing fields, bad values).
    MALFORMED = "malformed"
    # tx_hash is missing or is not BLAKE3-256(tx_bytes).
    HASH_MISMATCH = "hash_mismatch"
    # A signature does not verify, is missing, or multisig signatures are out of order.
    BAD_SIGNATURE = "bad_signature"
    # Transaction.sender is not the address of the authorising key or policy.
    SENDER_MISMATCH = "sender_mismatch"
    # chain_id names another chain.
    WRONG_CHAIN = "wrong_chain"
    # len(tx_bytes) exceeds the node's maximum transaction size.
    TOO_LARGE = "too_large"
    # fee < base_fee + fee_per_byte * len(tx_bytes). The schedule is public (GetBlockchainInfo),
    # so a low fee is a property of the request itself.
    FEE_TOO_LOW = "fee_too_low"
    # Multisig: fewer valid signatures than the threshold.
    THRESHOLD_NOT_MET = "threshold_not_met"
    # Timestamp too far ahead of the block (or node) clock.
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    # nonce below the account's nonce: already used (a replay).
    NONCE_TOO_LOW = "nonce_too_low"
    # nonce above the account's nonce: earlier transactions are missing (a gap).
    NONCE_TOO_HIGH = "nonce_too_high"
    # Balance cannot cover the fee (plus the amount, for transfers).
    INSUFFICIENT_FUNDS = "insufficient_funds"
    # The payload refers to state that does not allow it (unknown domain, record, identity).
    PRECONDITION = "precondition"
    # A name or identity that already exists.
    ALREADY_EXISTS = "already_exists"
    # The same transaction (tx_hash) is already in the mempool or on chain.
    DUPLICATE = "duplicate"
    # The sender does not own the domain or identity it tries to change.
    NOT_OWNER = "not_owner"
    # The mempool is full.
    MEMPOOL_FULL = "mempool_full"

    @property
    def grpc_status(self) -> str:
        return _GRPC_STATUS[self]


_GRPC_STATUS: dict[TxErrorCode, str] = {
    TxErrorCode.MALFORMED: "INVALID_ARGUMENT",
    TxErrorCode.HASH_MISMATCH: "INVALID_ARGUMENT",
    TxErrorCode.BAD_SIGNATURE: "INVALID_ARGUMENT",
    TxErrorCode.SENDER_MISMATCH: "INVALID_ARGUMENT",
    TxErrorCode.WRONG_CHAIN: "INVALID_ARGUMENT",
    TxErrorCode.TOO_LARGE: "INVALID_ARGUMENT",
    TxErrorCode.FEE_TOO_LOW: "INVALID_ARGUMENT",
    TxErrorCode.THRESHOLD_NOT_MET: "INVALID_ARGUMENT",
    TxErrorCode.TIMESTAMP_IN_FUTURE: "INVALID_ARGUMENT",
    TxErrorCode.NONCE_TOO_LOW: "FAILED_PRECONDITION",
    TxErrorCode.NONCE_TOO_HIGH: "FAILED_PRECONDITION",
    TxErrorCode.INSUFFICIENT_FUNDS: "FAILED_PRECONDITION",
    TxErrorCode.PRECONDITION: "FAILED_PRECONDITION",
    TxErrorCode.ALREADY_EXISTS: "ALREADY_EXISTS",
    TxErrorCode.DUPLICATE: "ALREADY_EXISTS",
    TxErrorCode.NOT_OWNER: "PERMISSION_DENIED",
    TxErrorCode.MEMPOOL_FULL: "RESOURCE_EXHAUSTED",
}


class ChainError(Exception):
    """Base class of ghostchain's rule errors; `str(err)` is meant for a person."""


class TxError(ChainError):
    """A transaction breaks a chain rule. `code` says which; `grpc_status` how to report it."""

    def __init__(self, code: TxErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def grpc_status(self) -> str:
        return self.code.grpc_status

    def __repr__(self) -> str:
        return f"TxError({self.code.name}, {self.message!r})"


class BlockError(ChainError):
    """A block is invalid (structure, hash, signature, link, timestamp or transactions)."""
