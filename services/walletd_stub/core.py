"""Pure wallet logic: fees, transaction building, batch planning, multisig collection,
balance deltas. No I/O: the servicer fetches chain state, calls these, then submits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import attrs
from ghost.node.v1 import types_pb2
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp
from zcrypto import InvalidAddressError, KeyType, format_address, parse_address

from .chain import (
    FeeSchedule,
    encode_tx,
    key_proto,
    multisig_address,
    sender_address,
    tx_hash,
    verify_message,
)
from .errors import WalletError, invalid, precondition
from .keystore import Signer

MAX_BATCH = 256
_KEY_SIZES = {KeyType.ED25519: 32, KeyType.SECP256K1: 33}


# ---------------------------------------------------------------- inputs


def parse_address_arg(text: str, field: str) -> bytes:
    """Raw 20-byte address from a "gh1..." request field, or INVALID_ARGUMENT naming it."""
    if not text:
        raise invalid(f"{field} is required (a gh1... address)")
    try:
        return parse_address(text)
    except InvalidAddressError as exc:
        raise invalid(f"{field} {text[:60]!r} is not a valid address: {exc}") from None


def check_public_key(key: types_pb2.PublicKey, what: str) -> KeyType:
    """The key's type, or INVALID_ARGUMENT if the type is unknown or the bytes do not fit."""
    try:
        kt = KeyType(key.key_type)
    except ValueError:
        raise invalid(f"{what}: key_type must be KEY_TYPE_ED25519 or KEY_TYPE_SECP256K1") from None
    if len(key.key) != _KEY_SIZES[kt]:
        raise invalid(
            f"{what}: a {kt.name} public key is {_KEY_SIZES[kt]} bytes, got {len(key.key)}"
        )
    try:
        sender_address(key)  # validates the encoding (secp256k1 prefix byte)
    except ValueError as exc:
        raise invalid(f"{what}: not a valid {kt.name} public key ({exc})") from None
    return kt


def key_address(key: types_pb2.PublicKey) -> str:
    return format_address(sender_address(key))


def now_timestamp() -> Timestamp:
    # Whole seconds: the encoded size then does not depend on the nanoseconds, so a fee
    # estimated now still covers the same transaction signed a moment later.
    return Timestamp(seconds=int(time.time()))


# ---------------------------------------------------------------- chain state


@attrs.frozen
class ChainView:
    """What the wallet needs from GetBlockchainInfo."""

    chain_id: str
    fees: FeeSchedule
    height: int


@attrs.frozen
class AccountView:
    """An address's confirmed state plus its own transactions still in the mempool."""

    address: str
    balance: int
    nonce: int
    height: int
    pending_nonces: frozenset[int] = frozenset()
    pending_outgoing: int = 0
    public_key: types_pb2.PublicKey | None = None
    multisig: types_pb2.MultiSigPolicy | None = None

    @property
    def next_nonce(self) -> int:
        n = self.nonce
        while n in self.pending_nonces:
            n += 1
        return n

    @property
    def available(self) -> int:
        return max(0, self.balance - self.pending_outgoing)


def pending_summary(
    address_bytes: bytes, infos: Iterable[types_pb2.TransactionInfo], min_nonce: int = 0
) -> tuple[frozenset[int], int]:
    """(nonces, amount + fee total) of `address_bytes`'s own pending transactions.

    Entries below `min_nonce` (the confirmed nonce) were included meanwhile and are skipped,
    so a block landing between the two reads never counts a transaction twice.
    """
    nonces: set[int] = set()
    outgoing = 0
    for info in infos:
        if info.receipt.status != types_pb2.TRANSACTION_STATUS_PENDING:
            continue
        tx = info.transaction
        if tx.sender != address_bytes or tx.nonce < min_nonce:
            continue
        nonces.add(tx.nonce)
        outgoing += tx.fee + (tx.transfer.amount if tx.WhichOneof("payload") == "transfer" else 0)
    return frozenset(nonces), outgoing


# ---------------------------------------------------------------- fees


def fill_fee(tx: types_pb2.Transaction, fees: FeeSchedule, fee: int | None) -> bytes:
    """Set tx.fee (given, or the minimum for the final size) and return tx_bytes.

    The minimum depends on the size, which depends on the fee's varint length: iterate to the
    fixed point (the fee only grows, so it converges in a few steps).
    """
    if fee is not None:
        tx.fee = fee
        tx_bytes = encode_tx(tx)
        minimum = fees.min_fee(len(tx_bytes))
        if fee < minimum:
            raise invalid(
                f"fee {fee} is below the chain minimum {minimum} for this {len(tx_bytes)}-byte "
                f"transaction (base_fee {fees.base_fee} + {fees.fee_per_byte} per byte)"
            )
        return tx_bytes
    tx.fee = 0
    for _ in range(16):
        tx_bytes = encode_tx(tx)
        needed = fees.min_fee(len(tx_bytes))
        if tx.fee >= needed:
            return tx_bytes
        tx.fee = needed
    raise AssertionError("fee estimate did not converge")  # varints cap the growth at 10 bytes


@attrs.frozen
class FeeEstimate:
    gas_units: int
    gas_price: int
    base_fee: int
    fee: int


def estimate(tx: types_pb2.Transaction, fees: FeeSchedule, fee: int | None = None) -> FeeEstimate:
    """EstimateGas of docs/contracts.md: gas_units = len(tx_bytes) as it would be signed."""
    work = types_pb2.Transaction()
    work.CopyFrom(tx)
    tx_bytes = fill_fee(work, fees, fee)
    return FeeEstimate(
        gas_units=len(tx_bytes),
        gas_price=fees.fee_per_byte,
        base_fee=fees.base_fee,
        fee=work.fee,
    )


def cost(tx: types_pb2.Transaction) -> int:
    """What the transaction takes from the sender's balance if it succeeds."""
    amount = tx.transfer.amount if tx.WhichOneof("payload") == "transfer" else 0
    return tx.fee + amount


def require_funds(view: AccountView, needed: int, who: str) -> None:
    if needed > view.available:
        pending = (
            f" ({view.pending_outgoing} already committed to pending transactions)"
            if view.pending_outgoing
            else ""
        )
        raise precondition(
            f"insufficient funds: {who} has {view.available} base units available{pending}, "
            f"this needs {needed} (amount plus fee)"
        )


# ---------------------------------------------------------------- building and signing


def base_tx(chain: ChainView, sender: bytes, nonce: int) -> types_pb2.Transaction:
    tx = types_pb2.Transaction(chain_id=chain.chain_id, sender=sender, nonce=nonce)
    tx.timestamp.CopyFrom(now_timestamp())
    return tx


def transfer_tx(
    chain: ChainView, signer_key: types_pb2.PublicKey, nonce: int, to: bytes, amount: int
) -> types_pb2.Transaction:
    if amount <= 0:
        raise invalid("amount must be greater than 0 base units")
    tx = base_tx(chain, sender_address(signer_key), nonce)
    tx.sender_key.CopyFrom(signer_key)
    tx.transfer.to = to
    tx.transfer.amount = amount
    return tx


def sign_single(tx_bytes: bytes, signer: Signer) -> types_pb2.SignedTransaction:
    return types_pb2.SignedTransaction(
        tx_bytes=tx_bytes, signature=signer.sign(tx_bytes), tx_hash=tx_hash(tx_bytes)
    )


def parse_tx_bytes(tx_bytes: bytes) -> types_pb2.Transaction:
    if not tx_bytes:
        raise invalid("tx_bytes is empty")
    tx = types_pb2.Transaction()
    try:
        tx.ParseFromString(tx_bytes)
    except DecodeError:
        raise invalid("tx_bytes is not a serialized ghost.node.v1.Transaction") from None
    return tx


# ---------------------------------------------------------------- batches


@attrs.frozen
class BatchItem:
    to: bytes
    amount: int
    fee: int | None  # as requested; None = estimate


@attrs.define
class PlannedTransfer:
    tx: types_pb2.Transaction  # nonce and fee filled
    fee_given: bool


def plan_batch(
    items: Sequence[BatchItem],
    chain: ChainView,
    view: AccountView,
    signer_key: types_pb2.PublicKey,
    who: str,
) -> list[PlannedTransfer]:
    """Validate a whole batch before anything is submitted.

    Nonces are consecutive from the account's next nonce; every fee meets the minimum; the
    balance covers the sum of all amounts and fees on top of what pending transactions
    already spend. Any problem rejects the batch, naming the transfer's index.
    """
    if not items:
        raise invalid("transfers is empty: a batch needs at least one transfer")
    if len(items) > MAX_BATCH:
        raise invalid(f"a batch holds at most {MAX_BATCH} transfers, got {len(items)}")
    plans: list[PlannedTransfer] = []
    total = 0
    nonce = view.next_nonce
    for i, item in enumerate(items):
        if item.amount <= 0:
            raise invalid(f"transfers[{i}]: amount must be greater than 0 base units")
        tx = transfer_tx(chain, signer_key, nonce + i, item.to, item.amount)
        try:
            fill_fee(tx, chain.fees, item.fee)
        except WalletError as exc:
            raise invalid(f"transfers[{i}]: {exc.message}") from None
        total += cost(tx)
        plans.append(PlannedTransfer(tx=tx, fee_given=item.fee is not None))
    require_funds(view, total, f"{who} (whole batch of {len(items)})")
    return plans


def renonce(plan: PlannedTransfer, nonce: int, fees: FeeSchedule) -> bytes:
    """Move a planned transfer to another nonce (after a failed submission freed one).

    Nonces only go down here, so the encoding never grows and a given fee stays sufficient;
    an estimated fee is recomputed for the new size.
    """
    plan.tx.nonce = nonce
    return fill_fee(plan.tx, fees, plan.tx.fee if plan.fee_given else None)


# ---------------------------------------------------------------- multisig


def normalize_policy(policy: types_pb2.MultiSigPolicy) -> tuple[types_pb2.MultiSigPolicy, bytes]:
    """The policy with keys sorted ascending (as the address requires) and its address."""
    if not policy.public_keys:
        raise invalid("policy.public_keys is empty: a multisig policy needs 1..16 keys")
    for i, key in enumerate(policy.public_keys):
        check_public_key(key, f"policy.public_keys[{i}]")
    keys = sorted(policy.public_keys, key=lambda k: bytes(k.key))
    for a, b in zip(keys, keys[1:], strict=False):
        if a.key == b.key:
            raise invalid("policy.public_keys lists the same key twice")
    out = types_pb2.MultiSigPolicy(threshold=policy.threshold)
    out.public_keys.extend(keys)
    try:
        address = multisig_address(out)
    except ValueError as exc:
        raise invalid(f"policy: {exc}") from None
    return out, address


def key_index(policy: types_pb2.MultiSigPolicy, key_type: int, key: bytes) -> int | None:
    for i, member in enumerate(policy.public_keys):
        if member.key_type == key_type and member.key == key:
            return i
    return None


def collect_signatures(
    tx_bytes: bytes,
    policy: types_pb2.MultiSigPolicy,
    local: Sequence[tuple[str, Signer]],
    external: Sequence[tuple[types_pb2.PublicKey, bytes]],
) -> list[types_pb2.MultiSigSignature]:
    """Valid member signatures over tx_bytes, one per key, ascending key_index.

    A signer who is not a member, or an external signature that does not verify, rejects
    the request: silently dropping it would leave the caller wondering why the threshold
    was not met.
    """
    found: dict[int, bytes] = {}
    for name, signer in local:
        idx = key_index(policy, int(signer.key_type), signer.public_key)
        if idx is None:
            raise invalid(f"local signer {name!r} holds a key that is not in the policy")
        found[idx] = signer.sign(tx_bytes)
    for i, (key, sig) in enumerate(external):
        check_public_key(key, f"external_signatures[{i}].public_key")
        idx = key_index(policy, key.key_type, key.key)
        if idx is None:
            raise invalid(
                f"external_signatures[{i}] is from {key_address(key)}, which is not in the policy"
            )
        if not verify_message(key.key_type, key.key, tx_bytes, sig):
            raise invalid(
                f"external_signatures[{i}] (key index {idx}) is not a valid signature over "
                "these tx_bytes"
            )
        found.setdefault(idx, sig)
    return [types_pb2.MultiSigSignature(key_index=i, signature=found[i]) for i in sorted(found)]


# ---------------------------------------------------------------- balances


def _signed_delta(address: bytes, tx: types_pb2.Transaction, status: int, fee_paid: int) -> int:
    delta = 0
    transfer = tx.transfer if tx.WhichOneof("payload") == "transfer" else None
    if tx.sender == address:
        delta -= fee_paid
        if status == types_pb2.TRANSACTION_STATUS_SUCCESS and transfer is not None:
            delta -= transfer.amount
    if (
        status == types_pb2.TRANSACTION_STATUS_SUCCESS
        and transfer is not None
        and transfer.to == address
    ):
        delta += transfer.amount
    return delta


def balance_delta(address: bytes, info: types_pb2.TransactionInfo) -> int:
    """How an included transaction changed `address`'s balance (fees to the proposer aside)."""
    receipt = info.receipt
    if receipt.status not in (
        types_pb2.TRANSACTION_STATUS_SUCCESS,
        types_pb2.TRANSACTION_STATUS_FAILED,
    ):
        return 0
    return _signed_delta(address, info.transaction, receipt.status, receipt.fee_paid)


def touches(address: bytes, tx: types_pb2.Transaction) -> bool:
    if tx.sender == address:
        return True
    return tx.WhichOneof("payload") == "transfer" and tx.transfer.to == address


def direction(address: bytes, tx: types_pb2.Transaction) -> int:
    """wallet_pb2.Direction value of `tx` for `address` (1 in, 2 out, 3 self, 0 neither)."""
    out = tx.sender == address
    into = tx.WhichOneof("payload") == "transfer" and tx.transfer.to == address
    if out and into:
        return 3
    if out:
        return 2
    if into:
        return 1
    return 0


def key_from_tx(tx: types_pb2.Transaction) -> types_pb2.PublicKey | None:
    return tx.sender_key if tx.WhichOneof("authority") == "sender_key" else None


__all__ = [
    "AccountView",
    "BatchItem",
    "ChainView",
    "FeeEstimate",
    "PlannedTransfer",
    "balance_delta",
    "base_tx",
    "check_public_key",
    "collect_signatures",
    "cost",
    "direction",
    "estimate",
    "fill_fee",
    "key_address",
    "key_from_tx",
    "key_index",
    "key_proto",
    "normalize_policy",
    "now_timestamp",
    "parse_address_arg",
    "parse_tx_bytes",
    "pending_summary",
    "plan_batch",
    "renonce",
    "require_funds",
    "sign_single",
    "touches",
    "transfer_tx",
]
