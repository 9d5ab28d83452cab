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
    "check_chain_id",
    "load_genesis",
    "MAX_SUPPLY",
    "MAX_TIMESTAMP_NS",
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


# Every amount, fee and nanosecond timestamp must fit a signed 64-bit integer: that is what
# SQLite (ghostd_stub's storage) can hold. Capping the total supply caps every balance and fee.
MAX_SUPPLY = 2**63 - 1
MAX_TIMESTAMP_NS = 2**63 - 1
MAX_CHAIN_ID_BYTES = 255


def _normalized_allocations(allocs: Sequence[tuple[bytes, int]]) -> tuple[tuple[bytes, int], ...]:
    merged: dict[bytes, int] = {}
    for address, amount in allocs:
        if len(address) != 20:
            raise ValueError("allocation address must be 20 bytes")
        if amount < 0:
            raise ValueError("allocation amount must be >= 0")
        merged[address] = merged.get(address, 0) + amount
    if sum(merged.values()) > MAX_SUPPLY:
        raise ValueError(f"total genesis allocation exceeds {MAX_SUPPLY} base units (2^63 - 1)")
    return tuple(sorted(merged.items()))


def check_chain_id(chain_id: object) -> str:
    """`chain_id` if it is a usable chain id (a non-empty string of at most 255 bytes)."""
    if not isinstance(chain_id, str) or not chain_id:
        raise ValueError("chain_id must be a non-empty string")
    if len(chain_id.encode("utf-8", "surrogatepass")) > MAX_CHAIN_ID_BYTES:
        raise ValueError(f"chain_id must be at most {MAX_CHAIN_ID_BYTES} bytes")
    return chain_id


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


_GENESIS_KEYS = ("chain_id", "validator_key", "timestamp_ns", "fee_schedule", "allocations")


def _int_field(value: object, field: str, maximum: int) -> int:
    """A JSON integer (or a string of decimal digits) in 0..maximum."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be an integer, got {json.dumps(value)[:40]}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{field} must be between 0 and {maximum}, got {value}")
    return value


def _object(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{field} must be a JSON object")
    return value


def _parse_genesis(data: object) -> Genesis:
    data = _object(data, "the file")
    unknown = sorted(set(data) - set(_GENESIS_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (allowed: {', '.join(_GENESIS_KEYS)})")
    for name in ("chain_id", "validator_key"):
        if name not in data:
            raise ValueError(f"missing key {name!r}")
    chain_id = check_chain_id(data["chain_id"])
    hex_key = data["validator_key"]
    try:
        if not isinstance(hex_key, str):
            raise ValueError
        validator_key = bytes.fromhex(hex_key)
    except ValueError:
        raise ValueError(
            "validator_key must be hex: 64 hex digits, the validator's Ed25519 public key"
        ) from None
    if len(validator_key) != 32:
        raise ValueError(
            "validator_key must be 32 bytes (64 hex digits, Ed25519),"
            f" got {len(validator_key)} bytes"
        )
    fees = _object(data.get("fee_schedule", {}), "fee_schedule")
    unknown = sorted(set(fees) - {"base_fee", "fee_per_byte"})
    if unknown:
        raise ValueError(f"unknown key fee_schedule.{unknown[0]} (allowed: base_fee, fee_per_byte)")
    fee_schedule = FeeSchedule(
        base_fee=_int_field(
            fees.get("base_fee", DEFAULT_FEE_SCHEDULE.base_fee), "fee_schedule.base_fee", MAX_SUPPLY
        ),
        fee_per_byte=_int_field(
            fees.get("fee_per_byte", DEFAULT_FEE_SCHEDULE.fee_per_byte),
            "fee_schedule.fee_per_byte",
            MAX_SUPPLY,
        ),
    )
    allocs = data.get("allocations", [])
    if not isinstance(allocs, list):
        raise ValueError("allocations must be a JSON list of {address, amount} objects")
    parsed = []
    for i, entry in enumerate(allocs):
        where = f"allocations[{i}]"
        entry = _object(entry, where)
        for name in ("address", "amount"):
            if name not in entry:
                raise ValueError(f"missing key {where}.{name}")
        text = entry["address"]
        try:
            if not isinstance(text, str):
                raise ValueError("must be a gh1... address string")
            address = parse_address(text)
        except ValueError as exc:
            raise ValueError(f"{where}.address: {exc}") from None
        parsed.append((address, _int_field(entry["amount"], f"{where}.amount", MAX_SUPPLY)))
    timestamp = _int_field(
        data.get("timestamp_ns", DEV_GENESIS_TIME_NS), "timestamp_ns", MAX_TIMESTAMP_NS
    )
    return Genesis(
        chain_id=chain_id,
        validator_key=validator_key,
        allocations=_normalized_allocations(parsed),
        fee_schedule=fee_schedule,
        timestamp_ns=timestamp,
    )


def load_genesis(path: str | Path) -> Genesis:
    """Read a genesis JSON file:

    {"chain_id": "...", "validator_key": "<hex ed25519 public key>",
     "timestamp_ns": 0, "fee_schedule": {"base_fee": 1000, "fee_per_byte": 10},
     "allocations": [{"address": "gh1...", "amount": 1000000000}]}

    Raises ValueError with one readable line: `genesis file <path>: <what is wrong>`, naming
    the missing or bad key. Integers must fit 0..2^63-1 (SQLite's range); so must the total
    of the allocations.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"genesis file {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"genesis file {path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"genesis file {path}: not valid JSON: {exc.msg}"
            f" (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise ValueError(f"genesis file {path}: not valid JSON") from None
    try:
        return _parse_genesis(data)
    except ValueError as exc:
        raise ValueError(f"genesis file {path}: {exc}") from None


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
