"""Genesis: chain id, validator, fee rule and initial allocations; and the dev genesis.

The genesis block is derived, not signed: every node computes it from the same Genesis and so
agrees on its hash. Its header commits to the allocations and fee rule through state_root =
BLAKE3-256(canonical genesis encoding), so two nodes with different genesis configs have
different genesis hashes and a follower notices at once.

Dev accounts come from deterministic seeds, BLAKE3(b"ghostnet-dev-seed-v1:" + label). They
are public knowledge: for development and tests only, never for value.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import attrs
from ghost.node.v1 import types_pb2
from zcrypto import KeyType, ed25519, secp256k1
from zcrypto.address import derive_address, format_address, parse_address
from zcrypto.hashes import blake3

from .block import ZERO_HASH, build_header, encode_header, make_block
from .fees import DEFAULT_FEE_SCHEDULE, FeeSchedule
from .state import StateView, new_account

__all__ = [
    "DEV_ACCOUNT_BALANCE",
    "DEV_CHAIN_ID",
    "DEV_LABELS",
    "DevAccount",
    "Genesis",
    "apply_genesis",
    "dev_account",
    "dev_accounts",
    "dev_genesis",
    "dev_seed",
    "genesis_block",
    "load_genesis",
]

DEV_CHAIN_ID = "ghostnet-dev"
DEV_LABELS: tuple[str, ...] = ("alice", "bob", "carol", "dave", "erin")
DEV_ACCOUNT_BALANCE = 1_000_000 * 10**9  # 1,000,000 GHOST each
DEV_GENESIS_TIME_NS = 1_767_225_600 * 1_000_000_000  # 2026-01-01T00:00:00Z


def dev_seed(label: str) -> bytes:
    """32-byte private key of a dev account. PUBLIC: development and tests only."""
    return blake3(b"ghostnet-dev-seed-v1:" + label.encode())


@attrs.frozen
class DevAccount:
    label: str
    key_type: KeyType
    secret: bytes = attrs.field(repr=False)
    public_key: bytes
    address: bytes

    @property
    def address_text(self) -> str:
        return format_address(self.address)

    def key_proto(self) -> types_pb2.PublicKey:
        return types_pb2.PublicKey(key_type=int(self.key_type), key=self.public_key)


def dev_account(label: str, key_type: KeyType = KeyType.ED25519) -> DevAccount:
    """A deterministic dev account. secp256k1 variants use the label + ":secp256k1" seed."""
    if key_type is KeyType.ED25519:
        secret = dev_seed(label)
        pub = ed25519.public_key(secret)
    else:
        secret = dev_seed(label + ":secp256k1")
        pub = secp256k1.public_key(secret)
    return DevAccount(label, key_type, secret, pub, derive_address(key_type, pub))


def dev_accounts() -> list[DevAccount]:
    """The funded dev accounts: Ed25519 and secp256k1 variants of each DEV_LABELS entry."""
    return [dev_account(lb, kt) for lb in DEV_LABELS for kt in (KeyType.ED25519, KeyType.SECP256K1)]


@attrs.frozen
class Genesis:
    chain_id: str
    validator_key: bytes  # Ed25519 public key of the proof-of-authority validator
    allocations: tuple[tuple[bytes, int], ...]  # (raw address, base units), sorted by address
    fee_schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE
    timestamp_ns: int = DEV_GENESIS_TIME_NS

    def commitment(self) -> bytes:
        """BLAKE3 of a canonical encoding of everything genesis fixes (the genesis state_root)."""
        parts = [
            b"ghost-genesis-v1",
            struct.pack(">H", len(self.chain_id.encode())) + self.chain_id.encode(),
            self.validator_key,
            struct.pack(
                ">QQQ",
                self.fee_schedule.base_fee,
                self.fee_schedule.fee_per_byte,
                self.timestamp_ns,
            ),
            struct.pack(">I", len(self.allocations)),
        ]
        for address, amount in self.allocations:
            parts.append(address + struct.pack(">Q", amount))
        return blake3(b"".join(parts))


def _normalized_allocations(allocs: Sequence[tuple[bytes, int]]) -> tuple[tuple[bytes, int], ...]:
    merged: dict[bytes, int] = {}
    for address, amount in allocs:
        if len(address) != 20:
            raise ValueError("allocation address must be 20 bytes")
        if amount < 0:
            raise ValueError("allocation amount must be >= 0")
        merged[address] = merged.get(address, 0) + amount
    if sum(merged.values()) >= 2**64:
        raise ValueError("total genesis allocation exceeds the uint64 range")
    return tuple(sorted(merged.items()))


def dev_genesis(
    chain_id: str = DEV_CHAIN_ID, fee_schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE
) -> Genesis:
    """Dev chain: the dev validator (label "validator") and every dev account funded."""
    return Genesis(
        chain_id=chain_id,
        validator_key=dev_account("validator").public_key,
        allocations=_normalized_allocations(
            [(acc.address, DEV_ACCOUNT_BALANCE) for acc in dev_accounts()]
        ),
        fee_schedule=fee_schedule,
    )


def load_genesis(path: str | Path) -> Genesis:
    """Read a genesis JSON file:

    {"chain_id": "...", "validator_key": "<hex ed25519 public key>",
     "timestamp_ns": 0, "fee_schedule": {"base_fee": 1000, "fee_per_byte": 10},
     "allocations": [{"address": "gh1...", "amount": 1000000000}]}

    Raises ValueError with a readable message.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"genesis file {path}: {exc}") from None
    try:
        key = bytes.fromhex(data["validator_key"])
        if len(key) != 32:
            raise ValueError("validator_key must be 32 bytes of hex (Ed25519)")
        fees = data.get("fee_schedule", {})
        return Genesis(
            chain_id=str(data["chain_id"]),
            validator_key=key,
            allocations=_normalized_allocations(
                [
                    (parse_address(a["address"]), int(a["amount"]))
                    for a in data.get("allocations", [])
                ]
            ),
            fee_schedule=FeeSchedule(
                base_fee=int(fees.get("base_fee", DEFAULT_FEE_SCHEDULE.base_fee)),
                fee_per_byte=int(fees.get("fee_per_byte", DEFAULT_FEE_SCHEDULE.fee_per_byte)),
            ),
            timestamp_ns=int(data.get("timestamp_ns", DEV_GENESIS_TIME_NS)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"genesis file {path}: {exc!s}") from None


def genesis_block(genesis: Genesis) -> types_pb2.Block:
    """Height 0, prev_hash zero, no transactions, unsigned (derived by every node)."""
    header = build_header(
        chain_id=genesis.chain_id,
        height=0,
        prev_hash=ZERO_HASH,
        tx_hashes=[],
        timestamp_ns=genesis.timestamp_ns,
        proposer_key=genesis.validator_key,
        state_root=genesis.commitment(),
    )
    return make_block(encode_header(header), b"", [])


def apply_genesis(state: StateView, genesis: Genesis) -> None:
    for address, amount in genesis.allocations:
        account = new_account(address)
        account.balance = amount
        state.put_account(account)
