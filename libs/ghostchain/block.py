"""Blocks: header encoding, hash, tx_root, proposer signature and structural verification.

Block.hash = BLAKE3-256(header_bytes); Block.signature is the proposer's Ed25519 signature over
header_bytes; verifiers use header_bytes and ignore the decoded Block.header copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ghost.node.v1 import types_pb2
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp
from zcrypto import KeyType, ed25519
from zcrypto.hashes import blake3

from .errors import BlockError
from .keys import key_proto, sender_address, verify_message
from .tx import transaction_hash

__all__ = [
    "MAX_BLOCK_TIMESTAMP_NS",
    "ZERO_HASH",
    "block_hash",
    "build_header",
    "decode_header",
    "encode_header",
    "make_block",
    "sign_block",
    "timestamp_ns",
    "tx_root",
    "verify_block",
]

ZERO_HASH = bytes(32)
# Block timestamps are stored as signed 64-bit nanoseconds (SQLite): up to year 2262.
MAX_BLOCK_TIMESTAMP_NS = 2**63 - 1


def tx_root(tx_hashes: Iterable[bytes]) -> bytes:
    """BLAKE3-256 of the concatenated tx hashes in block order (of b"" when empty)."""
    return blake3(b"".join(tx_hashes))


def timestamp_ns(ts: Timestamp) -> int:
    return ts.seconds * 1_000_000_000 + ts.nanos


def build_header(
    *,
    chain_id: str,
    height: int,
    prev_hash: bytes,
    tx_hashes: Sequence[bytes],
    timestamp_ns: int,
    proposer_key: bytes,
    state_root: bytes = b"",
) -> types_pb2.BlockHeader:
    """A BlockHeader for an Ed25519 proposer key."""
    pk = key_proto(KeyType.ED25519, proposer_key)
    header = types_pb2.BlockHeader(
        chain_id=chain_id,
        height=height,
        prev_hash=prev_hash,
        tx_root=tx_root(tx_hashes),
        state_root=state_root,
        proposer=sender_address(pk),
        proposer_key=pk,
        tx_count=len(tx_hashes),
    )
    header.timestamp.FromNanoseconds(timestamp_ns)
    return header


def encode_header(header: types_pb2.BlockHeader) -> bytes:
    return header.SerializeToString(deterministic=True)


def decode_header(header_bytes: bytes) -> types_pb2.BlockHeader:
    try:
        return types_pb2.BlockHeader.FromString(header_bytes)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise BlockError(f"header_bytes are not a valid BlockHeader: {exc}") from None


def block_hash(header_bytes: bytes) -> bytes:
    return blake3(header_bytes)


def make_block(
    header_bytes: bytes,
    signature: bytes,
    transactions: Sequence[types_pb2.SignedTransaction],
) -> types_pb2.Block:
    return types_pb2.Block(
        header_bytes=header_bytes,
        signature=signature,
        hash=block_hash(header_bytes),
        transactions=list(transactions),
        header=types_pb2.BlockHeader.FromString(header_bytes),
    )


def sign_block(
    header: types_pb2.BlockHeader,
    validator_seed: bytes,
    transactions: Sequence[types_pb2.SignedTransaction],
) -> types_pb2.Block:
    """Encode, hash and sign a header with the validator's Ed25519 seed."""
    if header.proposer_key.key != ed25519.public_key(validator_seed):
        raise ValueError("validator key does not match the header's proposer_key")
    header_bytes = encode_header(header)
    return make_block(header_bytes, ed25519.sign(validator_seed, header_bytes), transactions)


def verify_block(
    block: types_pb2.Block,
    *,
    chain_id: str,
    validators: Sequence[bytes],
    parent_hash: bytes | None = None,
    parent_height: int | None = None,
    parent_timestamp_ns: int | None = None,
    header_only: bool = False,
) -> types_pb2.BlockHeader:
    """Check a non-genesis block's header, hash, signature, link to its parent and tx_root.

    `validators` are the Ed25519 public keys allowed to propose. Transactions themselves are
    checked by the state layer (ghostchain.state.apply_transactions). Returns the decoded header.
    """
    if not block.header_bytes:
        raise BlockError("block has no header_bytes")
    header = decode_header(block.header_bytes)
    computed = block_hash(block.header_bytes)
    if block.hash and block.hash != computed:
        raise BlockError("block hash is not BLAKE3-256(header_bytes)")
    if header.chain_id != chain_id:
        raise BlockError(f"block is for chain {header.chain_id!r}, this is chain {chain_id!r}")
    if header.proposer_key.key_type != KeyType.ED25519:
        raise BlockError("proposer_key must be an Ed25519 key")
    if header.proposer_key.key not in validators:
        raise BlockError("block proposer is not a validator of this chain")
    if header.proposer != sender_address(header.proposer_key):
        raise BlockError("proposer is not the address of proposer_key")
    if not verify_message(
        KeyType.ED25519, header.proposer_key.key, block.header_bytes, block.signature
    ):
        raise BlockError("block signature does not verify for the proposer key")
    if parent_hash is not None and header.prev_hash != parent_hash:
        raise BlockError(f"block {header.height} does not link to the parent: prev_hash mismatch")
    if parent_height is not None and header.height != parent_height + 1:
        raise BlockError(
            f"block height {header.height} does not follow parent height {parent_height}"
        )
    if not 0 <= timestamp_ns(header.timestamp) <= MAX_BLOCK_TIMESTAMP_NS:
        raise BlockError("block timestamp is out of range (1970 to 2262)")
    if parent_timestamp_ns is not None and timestamp_ns(header.timestamp) <= parent_timestamp_ns:
        raise BlockError("block timestamp is not after its parent's")
    if not header_only:
        if len(block.transactions) != header.tx_count:
            raise BlockError(
                f"block has {len(block.transactions)} transactions, header says {header.tx_count}"
            )
        hashes = [transaction_hash(stx.tx_bytes) for stx in block.transactions]
        if tx_root(hashes) != header.tx_root:
            raise BlockError("tx_root does not match the block's transactions")
    return header
