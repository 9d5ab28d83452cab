"""Pure state transitions: accounts, fees, domains and identities.

Nothing here does I/O. A `StateView` is whatever stores accounts, domains and identities
(`MemoryState` here, SQLite in ghostd_stub); `Overlay` buffers writes on top of any view so a
transaction, a block or the mempool's speculative state can be applied and then committed or
dropped as a whole.

Rules (docs/ghostd.md, "Chain rules"):
- nonce must equal the sender's nonce (lower: replay, higher: gap); fee >= the schedule's
  minimum; the balance must cover the fee; the timestamp may not be far ahead of the block.
- A valid transaction always pays its fee to the proposer and bumps the nonce. If its payload
  then fails (non-owner, unknown name, insufficient funds for the amount...), the payload's
  effects are dropped and the receipt is FAILED. With `strict=True` (mempool admission and
  block building) a failing payload raises TxError instead, so such transactions are refused
  before they reach a block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs
from ghost.node.v1 import types_pb2
from zcrypto.address import format_address

from .block import timestamp_ns
from .errors import TxError, TxErrorCode
from .fees import FeeSchedule
from .keys import sender_address
from .names import DEFAULT_DOMAIN_TTL, DEFAULT_TLDS, MAX_RECORDS_PER_DOMAIN

__all__ = [
    "MAX_FUTURE_NS",
    "U64_MAX",
    "BlockContext",
    "MemoryState",
    "Overlay",
    "StateView",
    "TxOutcome",
    "apply_transaction",
    "domain_view",
    "identity_view",
]

U64_MAX = 2**64 - 1
# A transaction's timestamp may be at most this far ahead of the block's.
MAX_FUTURE_NS = 10 * 60 * 1_000_000_000

_S = types_pb2


class StateView(Protocol):
    """Chain state as ghostchain reads and writes it. Getters return copies (or None)."""

    def get_account(self, address: bytes) -> _S.Account | None: ...
    def get_domain(self, name: str) -> _S.Domain | None: ...
    def get_identity(self, name: str) -> _S.Identity | None: ...
    def put_account(self, account: _S.Account) -> None: ...
    def put_domain(self, domain: _S.Domain) -> None: ...
    def delete_domain(self, name: str) -> None: ...
    def put_identity(self, identity: _S.Identity) -> None: ...


def _copy(msg):  # type: ignore[no-untyped-def]
    if msg is None:
        return None
    out = type(msg)()
    out.CopyFrom(msg)
    return out


@attrs.define
class MemoryState:
    """A dict-backed StateView (tests, genesis computation, small tools)."""

    accounts: dict[bytes, _S.Account] = attrs.field(factory=dict)
    domains: dict[str, _S.Domain] = attrs.field(factory=dict)
    identities: dict[str, _S.Identity] = attrs.field(factory=dict)

    def get_account(self, address: bytes) -> _S.Account | None:
        return _copy(self.accounts.get(address))

    def get_domain(self, name: str) -> _S.Domain | None:
        return _copy(self.domains.get(name))

    def get_identity(self, name: str) -> _S.Identity | None:
        return _copy(self.identities.get(name))

    def put_account(self, account: _S.Account) -> None:
        self.accounts[account.address_bytes] = _copy(account)

    def put_domain(self, domain: _S.Domain) -> None:
        self.domains[domain.name] = _copy(domain)

    def delete_domain(self, name: str) -> None:
        self.domains.pop(name, None)

    def put_identity(self, identity: _S.Identity) -> None:
        self.identities[identity.name] = _copy(identity)


_DELETED = object()


@attrs.define
class Overlay:
    """Buffered writes over a base view; `commit()` pushes them down, dropping it discards."""

    base: StateView
    accounts: dict[bytes, _S.Account] = attrs.field(factory=dict)
    domains: dict[str, object] = attrs.field(factory=dict)  # Domain or _DELETED
    identities: dict[str, _S.Identity] = attrs.field(factory=dict)

    def get_account(self, address: bytes) -> _S.Account | None:
        if address in self.accounts:
            return _copy(self.accounts[address])
        return self.base.get_account(address)

    def get_domain(self, name: str) -> _S.Domain | None:
        if name in self.domains:
            found = self.domains[name]
            return None if found is _DELETED else _copy(found)
        return self.base.get_domain(name)

    def get_identity(self, name: str) -> _S.Identity | None:
        if name in self.identities:
            return _copy(self.identities[name])
        return self.base.get_identity(name)

    def put_account(self, account: _S.Account) -> None:
        self.accounts[account.address_bytes] = _copy(account)

    def put_domain(self, domain: _S.Domain) -> None:
        self.domains[domain.name] = _copy(domain)

    def delete_domain(self, name: str) -> None:
        self.domains[name] = _DELETED

    def put_identity(self, identity: _S.Identity) -> None:
        self.identities[identity.name] = _copy(identity)

    def commit(self) -> None:
        """Write every buffered change to the base view and clear the buffer."""
        for account in self.accounts.values():
            self.base.put_account(account)
        for name, domain in self.domains.items():
            if domain is _DELETED:
                self.base.delete_domain(name)
            else:
                self.base.put_domain(domain)  # type: ignore[arg-type]
        for identity in self.identities.values():
            self.base.put_identity(identity)
        self.clear()

    def clear(self) -> None:
        self.accounts.clear()
        self.domains.clear()
        self.identities.clear()

    def deleted_domains(self) -> list[str]:
        return [n for n, d in self.domains.items() if d is _DELETED]


@attrs.frozen
class BlockContext:
    """The block a transaction is applied in."""

    height: int
    timestamp_ns: int
    proposer: bytes  # raw address receiving fees
    fee_schedule: FeeSchedule
    tlds: tuple[str, ...] = DEFAULT_TLDS


@attrs.define
class TxOutcome:
    """Result of applying one transaction."""

    tx_hash: bytes
    status: int  # TRANSACTION_STATUS_SUCCESS or _FAILED
    fee_paid: int
    error: str = ""
    domain_events: list[_S.DomainEvent] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return self.status == _S.TRANSACTION_STATUS_SUCCESS


def new_account(address: bytes) -> _S.Account:
    return _S.Account(address=format_address(address), address_bytes=address)


def domain_view(state: StateView, domain: _S.Domain) -> _S.Domain:
    """The domain as readers see it: owner text form, and the identity key defaulted to the
    owner account's key when RegisterDomain/UpdateDomain set none."""
    out = _copy(domain)
    out.owner_address = format_address(domain.owner)
    if not out.HasField("owner_public_key"):
        owner = state.get_account(domain.owner)
        if owner is not None and owner.HasField("public_key"):
            out.owner_public_key.CopyFrom(owner.public_key)
    return out


def identity_view(identity: _S.Identity) -> _S.Identity:
    out = _copy(identity)
    out.owner_address = format_address(identity.owner)
    return out


def _fail(code: TxErrorCode, message: str) -> TxError:
    return TxError(code, message)


def _owned_domain(state: StateView, name: str, sender: bytes) -> _S.Domain:
    domain = state.get_domain(name)
    if domain is None:
        raise _fail(TxErrorCode.PRECONDITION, f"domain {name} is not registered")
    if domain.owner != sender:
        raise _fail(TxErrorCode.NOT_OWNER, f"only the owner of {name} may change it")
    return domain


def _touch(domain: _S.Domain, ctx: BlockContext) -> None:
    domain.updated_height = ctx.height
    domain.updated_at.FromNanoseconds(ctx.timestamp_ns)


def _record_key(rec: _S.DomainRecord) -> tuple[int, str, str]:
    return (rec.type, rec.host, rec.value)


def _upsert_record(domain: _S.Domain, rec: _S.DomainRecord) -> None:
    kept = []
    for existing in domain.records:
        if _record_key(existing) == _record_key(rec):
            continue
        # CNAME is single valued per host.
        if (
            rec.type == _S.RECORD_TYPE_CNAME
            and existing.type == rec.type
            and (existing.host == rec.host)
        ):
            continue
        kept.append(existing)
    kept.append(rec)
    if len(kept) > MAX_RECORDS_PER_DOMAIN:
        raise _fail(
            TxErrorCode.PRECONDITION,
            f"domain {domain.name} would exceed {MAX_RECORDS_PER_DOMAIN} records",
        )
    del domain.records[:]
    domain.records.extend(kept)


def _sender_key(tx: _S.Transaction) -> _S.PublicKey | None:
    return tx.sender_key if tx.WhichOneof("authority") == "sender_key" else None


def _apply_payload(
    state: StateView, tx: _S.Transaction, ctx: BlockContext
) -> list[tuple[int, str, bool]]:
    """Apply the payload; returns (event type, name, deleted) per domain change."""
    kind = tx.WhichOneof("payload")
    sender = tx.sender
    if kind == "transfer":
        body = tx.transfer
        src = state.get_account(sender)
        assert src is not None  # the fee step created it
        if src.balance < body.amount:
            raise _fail(
                TxErrorCode.INSUFFICIENT_FUNDS,
                f"insufficient funds: balance {src.balance} after the fee, transfer needs"
                f" {body.amount} base units",
            )
        src.balance -= body.amount
        src.updated_height = ctx.height
        state.put_account(src)
        dst = state.get_account(body.to) or new_account(body.to)
        if dst.balance + body.amount > U64_MAX:
            raise _fail(TxErrorCode.PRECONDITION, "recipient balance would overflow")
        dst.balance += body.amount
        dst.updated_height = ctx.height
        state.put_account(dst)
        return []
    if kind == "register_domain":
        body = tx.register_domain
        if state.get_domain(body.name) is not None:
            raise _fail(TxErrorCode.ALREADY_EXISTS, f"domain {body.name} is already registered")
        # A name below someone else's registered domain would hijack their namespace.
        labels = body.name.split(".")
        for i in range(1, len(labels) - 1):
            parent = state.get_domain(".".join(labels[i:]))
            if parent is not None and parent.owner != sender:
                raise _fail(
                    TxErrorCode.NOT_OWNER,
                    f"{body.name} is under {parent.name}, which belongs to another account",
                )
        domain = _S.Domain(
            name=body.name,
            owner=body.owner or sender,
            ttl=body.ttl or DEFAULT_DOMAIN_TTL,
            registered_height=ctx.height,
        )
        if body.HasField("owner_public_key"):
            domain.owner_public_key.CopyFrom(body.owner_public_key)
        for rec in body.records:
            _upsert_record(domain, rec)
        domain.registered_at.FromNanoseconds(ctx.timestamp_ns)
        _touch(domain, ctx)
        state.put_domain(domain)
        return [(_S.DOMAIN_EVENT_TYPE_REGISTERED, body.name, False)]
    if kind == "update_domain":
        body = tx.update_domain
        domain = _owned_domain(state, body.name, sender)
        if body.HasField("ttl"):
            domain.ttl = body.ttl or DEFAULT_DOMAIN_TTL
        if body.HasField("owner_public_key"):
            domain.owner_public_key.CopyFrom(body.owner_public_key)
        _touch(domain, ctx)
        state.put_domain(domain)
        return [(_S.DOMAIN_EVENT_TYPE_UPDATED, body.name, False)]
    if kind == "transfer_domain":
        body = tx.transfer_domain
        domain = _owned_domain(state, body.name, sender)
        domain.owner = body.new_owner
        # The explicit identity key was the old owner's; the new owner's account key applies.
        domain.ClearField("owner_public_key")
        _touch(domain, ctx)
        state.put_domain(domain)
        return [(_S.DOMAIN_EVENT_TYPE_TRANSFERRED, body.name, False)]
    if kind == "delete_domain":
        body = tx.delete_domain
        _owned_domain(state, body.name, sender)
        state.delete_domain(body.name)
        return [(_S.DOMAIN_EVENT_TYPE_DELETED, body.name, True)]
    if kind == "set_record":
        body = tx.set_record
        domain = _owned_domain(state, body.name, sender)
        _upsert_record(domain, body.record)
        _touch(domain, ctx)
        state.put_domain(domain)
        return [(_S.DOMAIN_EVENT_TYPE_RECORD_SET, body.name, False)]
    if kind == "delete_record":
        body = tx.delete_record
        domain = _owned_domain(state, body.name, sender)
        kept = [
            r
            for r in domain.records
            if not (
                r.type == body.record_type
                and r.host == body.host
                and (not body.value or r.value == body.value)
            )
        ]
        if len(kept) == len(domain.records):
            tname = _S.RecordType.Name(body.record_type).removeprefix("RECORD_TYPE_")
            where = f"{body.host}.{body.name}" if body.host else body.name
            raise _fail(TxErrorCode.PRECONDITION, f"no matching {tname} record at {where}")
        del domain.records[:]
        domain.records.extend(kept)
        _touch(domain, ctx)
        state.put_domain(domain)
        return [(_S.DOMAIN_EVENT_TYPE_RECORD_DELETED, body.name, False)]
    if kind == "register_identity":
        body = tx.register_identity
        if state.get_identity(body.name) is not None:
            raise _fail(TxErrorCode.ALREADY_EXISTS, f"identity {body.name} is already registered")
        key = body.public_key if body.HasField("public_key") else _sender_key(tx)
        if key is None:
            raise _fail(
                TxErrorCode.MALFORMED, "a multisig sender must give the identity's public_key"
            )
        identity = _S.Identity(
            name=body.name,
            owner=sender,
            public_key=key,
            metadata={k: v for k, v in body.metadata.items() if v},
            registered_height=ctx.height,
            updated_height=ctx.height,
        )
        identity.registered_at.FromNanoseconds(ctx.timestamp_ns)
        identity.updated_at.FromNanoseconds(ctx.timestamp_ns)
        state.put_identity(identity)
        return []
    if kind == "update_identity":
        body = tx.update_identity
        identity = state.get_identity(body.name)
        if identity is None:
            raise _fail(TxErrorCode.PRECONDITION, f"identity {body.name} is not registered")
        if identity.owner != sender:
            raise _fail(
                TxErrorCode.NOT_OWNER, f"only the owner of identity {body.name} may change it"
            )
        if body.HasField("public_key"):
            identity.public_key.CopyFrom(body.public_key)
        for key, value in body.metadata.items():
            if value:
                identity.metadata[key] = value
            else:
                identity.metadata.pop(key, None)
        if len(identity.metadata) > 64:
            raise _fail(TxErrorCode.PRECONDITION, "identity would exceed 64 metadata entries")
        identity.updated_height = ctx.height
        identity.updated_at.FromNanoseconds(ctx.timestamp_ns)
        state.put_identity(identity)
        return []
    raise _fail(TxErrorCode.MALFORMED, "transaction has no payload")


def check_admission(
    state: StateView, tx: _S.Transaction, tx_len: int, ctx: BlockContext
) -> _S.Account:
    """The checks that make a transaction includable at all: fee, timestamp, nonce, balance.

    Returns the sender's account as read (a new empty one if unknown)."""
    minimum = ctx.fee_schedule.min_fee(tx_len)
    if tx.fee < minimum:
        raise _fail(
            TxErrorCode.FEE_TOO_LOW,
            f"fee {tx.fee} is below the minimum {minimum} base units for {tx_len} bytes",
        )
    if tx.HasField("timestamp") and timestamp_ns(tx.timestamp) > ctx.timestamp_ns + MAX_FUTURE_NS:
        raise _fail(TxErrorCode.TIMESTAMP_IN_FUTURE, "transaction timestamp is too far ahead")
    account = state.get_account(tx.sender) or new_account(tx.sender)
    if tx.nonce < account.nonce:
        raise _fail(
            TxErrorCode.NONCE_TOO_LOW,
            f"nonce {tx.nonce} was already used: the account's next nonce is {account.nonce}",
        )
    if tx.nonce > account.nonce:
        raise _fail(
            TxErrorCode.NONCE_TOO_HIGH,
            f"nonce {tx.nonce} leaves a gap: the account's next nonce is {account.nonce}",
        )
    if account.balance < tx.fee:
        raise _fail(
            TxErrorCode.INSUFFICIENT_FUNDS,
            f"insufficient funds: balance {account.balance} cannot pay the fee {tx.fee}",
        )
    return account


def apply_transaction(
    state: StateView,
    stx: _S.SignedTransaction,
    tx: _S.Transaction,
    ctx: BlockContext,
    *,
    index: int = 0,
    strict: bool = False,
) -> TxOutcome:
    """Apply one transaction whose signature was already checked (tx.decode_and_verify).

    Raises TxError if the transaction cannot be included (fee, timestamp, nonce, balance), or,
    with strict=True, if its payload fails. Otherwise writes the fee charge, nonce bump and (on
    success) the payload's effects to `state` and returns the outcome.
    """
    tx_hash = stx.tx_hash
    work = Overlay(state)
    account = check_admission(work, tx, len(stx.tx_bytes), ctx)
    account.balance -= tx.fee
    account.nonce += 1
    account.updated_height = ctx.height
    if tx.WhichOneof("authority") == "sender_key":
        account.public_key.CopyFrom(tx.sender_key)
    else:
        account.multisig.CopyFrom(tx.sender_multisig)
    work.put_account(account)
    if tx.fee:
        proposer = work.get_account(ctx.proposer) or new_account(ctx.proposer)
        proposer.balance += tx.fee
        proposer.updated_height = ctx.height
        work.put_account(proposer)

    payload = Overlay(work)
    try:
        changes = _apply_payload(payload, tx, ctx)
    except TxError as exc:
        if strict:
            raise
        work.commit()
        return TxOutcome(tx_hash, _S.TRANSACTION_STATUS_FAILED, tx.fee, error=exc.message)
    payload.commit()
    events = []
    for event_type, name, deleted in changes:
        event = _S.DomainEvent(
            height=ctx.height,
            index=index,
            tx_hash=tx_hash,
            type=event_type,
            name=name,
            deleted=deleted,
        )
        event.timestamp.FromNanoseconds(ctx.timestamp_ns)
        if not deleted:
            domain = work.get_domain(name)
            assert domain is not None
            event.domain.CopyFrom(domain_view(work, domain))
        events.append(event)
    work.commit()
    return TxOutcome(tx_hash, _S.TRANSACTION_STATUS_SUCCESS, tx.fee, domain_events=events)


def apply_transactions(
    state: StateView,
    items: Sequence[tuple[_S.SignedTransaction, _S.Transaction]],
    ctx: BlockContext,
) -> list[TxOutcome]:
    """Apply a block's transactions in order (non-strict). Raises TxError naming the index of
    the first transaction that cannot be included; `state` is then partly written, so pass
    an Overlay and drop it on error."""
    outcomes = []
    for i, (stx, tx) in enumerate(items):
        try:
            outcomes.append(apply_transaction(state, stx, tx, ctx, index=i))
        except TxError as exc:
            raise TxError(exc.code, f"transaction {i}: {exc.message}") from None
    return outcomes


def account_key(account: _S.Account) -> _S.PublicKey | None:
    return account.public_key if account.HasField("public_key") else None


def address_of(pk: _S.PublicKey) -> bytes:
    return sender_address(pk)
