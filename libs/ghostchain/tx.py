"""Transactions: build, encode deterministically, sign (single key or multisig), verify.

Signatures and hashes cover `SignedTransaction.tx_bytes` exactly as they travel; a receiver
parses those bytes but never re-encodes them (docs/contracts.md, "Canonical signing bytes").
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence

from ghost.node.v1 import types_pb2
from google.protobuf.message import DecodeError
from zcrypto import KeyType
from zcrypto.hashes import blake3

from .errors import TxError, TxErrorCode
from .keys import (
    key_proto,
    multisig_address,
    public_key_of,
    sender_address,
    sign_message,
    verify_message,
)
from .names import (
    MAX_RECORDS_PER_DOMAIN,
    MAX_TTL,
    validate_domain_name,
    validate_identity_name,
    validate_metadata,
    validate_record,
)

__all__ = [
    "DEFAULT_MAX_TX_SIZE",
    "PAYLOAD_KINDS",
    "assemble_multisig",
    "build_transaction",
    "decode_and_verify",
    "decode_transaction",
    "delete_domain",
    "delete_record",
    "encode_transaction",
    "multisig_address",
    "multisig_signature",
    "payload_kind",
    "recipient",
    "record",
    "register_domain",
    "register_identity",
    "sender_address",
    "set_record",
    "sign_transaction",
    "transaction_hash",
    "transfer",
    "transfer_domain",
    "update_domain",
    "update_identity",
    "validate_payload",
]

DEFAULT_MAX_TX_SIZE = 16 * 1024
PAYLOAD_KINDS: tuple[str, ...] = tuple(
    f.name for f in types_pb2.Transaction.DESCRIPTOR.oneofs_by_name["payload"].fields
)
# Payload message class name -> Transaction oneof field name ("Transfer" -> "transfer").
_FIELD_BY_TYPE = {
    f.message_type.name: f.name
    for f in types_pb2.Transaction.DESCRIPTOR.oneofs_by_name["payload"].fields
}

Payload = (
    types_pb2.Transfer
    | types_pb2.RegisterDomain
    | types_pb2.UpdateDomain
    | types_pb2.TransferDomain
    | types_pb2.DeleteDomain
    | types_pb2.SetRecord
    | types_pb2.DeleteRecord
    | types_pb2.RegisterIdentity
    | types_pb2.UpdateIdentity
)
Sender = types_pb2.PublicKey | types_pb2.MultiSigPolicy | tuple[KeyType | int, bytes]


# ------------------------------------------------------------------ payload builders


def transfer(to: bytes, amount: int) -> types_pb2.Transfer:
    return types_pb2.Transfer(to=bytes(to), amount=amount)


def record(
    type: int,  # noqa: A002 - mirrors the proto field
    value: str,
    host: str = "",
    ttl: int = 0,
    priority: int = 0,
    weight: int = 0,
    port: int = 0,
) -> types_pb2.DomainRecord:
    return types_pb2.DomainRecord(
        type=type, host=host, value=value, ttl=ttl, priority=priority, weight=weight, port=port
    )


def register_domain(
    name: str,
    *,
    owner: bytes = b"",
    owner_public_key: types_pb2.PublicKey | None = None,
    records: Iterable[types_pb2.DomainRecord] = (),
    ttl: int = 0,
) -> types_pb2.RegisterDomain:
    msg = types_pb2.RegisterDomain(name=name, owner=bytes(owner), records=list(records), ttl=ttl)
    if owner_public_key is not None:
        msg.owner_public_key.CopyFrom(owner_public_key)
    return msg


def update_domain(
    name: str, *, ttl: int | None = None, owner_public_key: types_pb2.PublicKey | None = None
) -> types_pb2.UpdateDomain:
    msg = types_pb2.UpdateDomain(name=name)
    if ttl is not None:
        msg.ttl = ttl
    if owner_public_key is not None:
        msg.owner_public_key.CopyFrom(owner_public_key)
    return msg


def transfer_domain(name: str, new_owner: bytes) -> types_pb2.TransferDomain:
    return types_pb2.TransferDomain(name=name, new_owner=bytes(new_owner))


def delete_domain(name: str) -> types_pb2.DeleteDomain:
    return types_pb2.DeleteDomain(name=name)


def set_record(name: str, rec: types_pb2.DomainRecord) -> types_pb2.SetRecord:
    return types_pb2.SetRecord(name=name, record=rec)


def delete_record(
    name: str, record_type: int, host: str = "", value: str = ""
) -> types_pb2.DeleteRecord:
    return types_pb2.DeleteRecord(name=name, record_type=record_type, host=host, value=value)


def register_identity(
    name: str,
    *,
    public_key: types_pb2.PublicKey | None = None,
    metadata: Mapping[str, str] | None = None,
) -> types_pb2.RegisterIdentity:
    msg = types_pb2.RegisterIdentity(name=name, metadata=dict(metadata or {}))
    if public_key is not None:
        msg.public_key.CopyFrom(public_key)
    return msg


def update_identity(
    name: str,
    *,
    public_key: types_pb2.PublicKey | None = None,
    metadata: Mapping[str, str] | None = None,
) -> types_pb2.UpdateIdentity:
    msg = types_pb2.UpdateIdentity(name=name, metadata=dict(metadata or {}))
    if public_key is not None:
        msg.public_key.CopyFrom(public_key)
    return msg


# ------------------------------------------------------------------ transactions


def build_transaction(
    *,
    chain_id: str,
    sender: Sender,
    nonce: int,
    fee: int,
    payload: Payload,
    timestamp: _dt.datetime | None = None,
) -> types_pb2.Transaction:
    """An unsigned Transaction. `sender` is a PublicKey, a (key_type, key) pair or a
    MultiSigPolicy; Transaction.sender is derived from it. `timestamp` defaults to now (UTC)."""
    tx = types_pb2.Transaction(chain_id=chain_id, nonce=nonce, fee=fee)
    if isinstance(sender, types_pb2.MultiSigPolicy):
        tx.sender_multisig.CopyFrom(sender)
        tx.sender = multisig_address(sender)
    else:
        pk = sender if isinstance(sender, types_pb2.PublicKey) else key_proto(*sender)
        tx.sender_key.CopyFrom(pk)
        tx.sender = sender_address(pk)
    field = _FIELD_BY_TYPE.get(type(payload).DESCRIPTOR.name)
    if field is None:
        raise TypeError(f"not a transaction payload: {type(payload).__name__}")
    getattr(tx, field).CopyFrom(payload)
    ts = timestamp or _dt.datetime.now(_dt.UTC)
    tx.timestamp.FromDatetime(ts)
    return tx


def encode_transaction(tx: types_pb2.Transaction) -> bytes:
    """Deterministic serialization: the bytes that are signed, hashed and sent."""
    return tx.SerializeToString(deterministic=True)


def transaction_hash(tx_bytes: bytes) -> bytes:
    """tx_hash = BLAKE3-256(tx_bytes)."""
    return blake3(tx_bytes)


def sign_transaction(
    tx: types_pb2.Transaction | bytes, key_type: KeyType | int, secret: bytes
) -> types_pb2.SignedTransaction:
    """Sign a single-key transaction; returns SignedTransaction with tx_bytes, signature and
    tx_hash. Raises ValueError if `secret` is not the key named in tx.sender_key."""
    tx_bytes = tx if isinstance(tx, bytes) else encode_transaction(tx)
    parsed = types_pb2.Transaction.FromString(tx_bytes) if isinstance(tx, bytes) else tx
    if parsed.WhichOneof("authority") != "sender_key":
        raise ValueError("transaction has no sender_key; use multisig_signature for multisig")
    kt = KeyType(key_type)
    if parsed.sender_key.key_type != kt or parsed.sender_key.key != public_key_of(kt, secret):
        raise ValueError("signing key does not match the transaction's sender_key")
    return types_pb2.SignedTransaction(
        tx_bytes=tx_bytes,
        signature=sign_message(kt, secret, tx_bytes),
        tx_hash=transaction_hash(tx_bytes),
    )


def multisig_signature(
    policy: types_pb2.MultiSigPolicy, tx_bytes: bytes, key_type: KeyType | int, secret: bytes
) -> types_pb2.MultiSigSignature:
    """One member's signature over tx_bytes, with its key_index in `policy`.

    Raises ValueError if the key is not a member of the policy."""
    kt = KeyType(key_type)
    pub = public_key_of(kt, secret)
    for i, member in enumerate(policy.public_keys):
        if member.key_type == kt and member.key == pub:
            return types_pb2.MultiSigSignature(
                key_index=i, signature=sign_message(kt, secret, tx_bytes)
            )
    raise ValueError("signing key is not a member of the multisig policy")


def assemble_multisig(
    tx: types_pb2.Transaction | bytes, signatures: Iterable[types_pb2.MultiSigSignature]
) -> types_pb2.SignedTransaction:
    """SignedTransaction for a multisig sender: signatures sorted by key_index, one per index
    (the first given wins). Does not check the threshold: decode_and_verify does."""
    tx_bytes = tx if isinstance(tx, bytes) else encode_transaction(tx)
    by_index: dict[int, types_pb2.MultiSigSignature] = {}
    for sig in signatures:
        by_index.setdefault(sig.key_index, sig)
    return types_pb2.SignedTransaction(
        tx_bytes=tx_bytes,
        multisig_signatures=[by_index[i] for i in sorted(by_index)],
        tx_hash=transaction_hash(tx_bytes),
    )


def decode_transaction(tx_bytes: bytes) -> types_pb2.Transaction:
    """Parse tx_bytes; TxError(MALFORMED) if they are not a Transaction."""
    try:
        return types_pb2.Transaction.FromString(tx_bytes)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        message = f"tx_bytes are not a valid Transaction: {exc}"
        raise TxError(TxErrorCode.MALFORMED, message) from None


def payload_kind(tx: types_pb2.Transaction) -> str | None:
    """Name of the payload oneof field ("transfer", "register_domain", ...) or None."""
    return tx.WhichOneof("payload")


def recipient(tx: types_pb2.Transaction) -> bytes:
    """Raw recipient of a transfer or new owner of a domain transfer; b"" otherwise."""
    kind = tx.WhichOneof("payload")
    if kind == "transfer":
        return tx.transfer.to
    if kind == "register_domain":
        return tx.register_domain.owner
    if kind == "transfer_domain":
        return tx.transfer_domain.new_owner
    return b""


def _malformed(message: str) -> TxError:
    return TxError(TxErrorCode.MALFORMED, message)


def _check_key(pk: types_pb2.PublicKey, what: str) -> None:
    try:
        sender_address(pk)
    except ValueError as exc:
        raise _malformed(f"{what} is not a valid public key: {exc}") from None


def _check_owner(raw: bytes, what: str, *, allow_empty: bool = False) -> None:
    if allow_empty and not raw:
        return
    if len(raw) != 20:
        raise _malformed(f"{what} must be a 20-byte raw address, got {len(raw)} bytes")


def validate_payload(tx: types_pb2.Transaction, tlds: Sequence[str] | None = None) -> None:
    """State-independent checks of the payload (names, records, amounts, addresses)."""
    kw = {} if tlds is None else {"tlds": tuple(tlds)}
    kind = tx.WhichOneof("payload")
    if kind is None:
        raise _malformed("transaction has no payload")
    body = getattr(tx, kind)
    if kind == "transfer":
        _check_owner(body.to, "transfer recipient")
        if body.amount == 0:
            raise _malformed("transfer amount must be greater than 0")
    elif kind == "register_domain":
        validate_domain_name(body.name, **kw)
        _check_owner(body.owner, "owner", allow_empty=True)
        if body.HasField("owner_public_key"):
            _check_key(body.owner_public_key, "owner_public_key")
        for rec in body.records:
            validate_record(rec)
        if len(body.records) > MAX_RECORDS_PER_DOMAIN:
            raise _malformed(f"a domain holds at most {MAX_RECORDS_PER_DOMAIN} records")
        if body.ttl > MAX_TTL:
            raise _malformed(f"ttl {body.ttl} exceeds the limit of {MAX_TTL} seconds")
    elif kind == "update_domain":
        validate_domain_name(body.name, **kw)
        if body.HasField("owner_public_key"):
            _check_key(body.owner_public_key, "owner_public_key")
        if body.HasField("ttl") and body.ttl > MAX_TTL:
            raise _malformed(f"ttl {body.ttl} exceeds the limit of {MAX_TTL} seconds")
    elif kind == "transfer_domain":
        validate_domain_name(body.name, **kw)
        _check_owner(body.new_owner, "new_owner")
    elif kind == "delete_domain":
        validate_domain_name(body.name, **kw)
    elif kind == "set_record":
        validate_domain_name(body.name, **kw)
        if not body.HasField("record"):
            raise _malformed("set_record has no record")
        validate_record(body.record)
    elif kind == "delete_record":
        validate_domain_name(body.name, **kw)
        if body.record_type == types_pb2.RECORD_TYPE_UNSPECIFIED:
            raise _malformed("delete_record needs a record_type")
        if body.record_type not in types_pb2.RecordType.values():
            raise _malformed(f"unknown record_type {body.record_type}")
    elif kind in ("register_identity", "update_identity"):
        validate_identity_name(body.name)
        if body.HasField("public_key"):
            _check_key(body.public_key, "public_key")
        validate_metadata(dict(body.metadata), allow_empty_values=kind == "update_identity")


def decode_and_verify(
    stx: types_pb2.SignedTransaction,
    chain_id: str,
    *,
    max_tx_size: int = DEFAULT_MAX_TX_SIZE,
    tlds: Sequence[str] | None = None,
) -> types_pb2.Transaction:
    """Check everything about a signed transaction that needs no chain state and return the
    parsed Transaction: size, hash, encoding, chain id, sender address, signatures (multisig
    threshold included) and the payload's static rules. Raises TxError naming the problem."""
    tx_bytes = stx.tx_bytes
    if not tx_bytes:
        raise _malformed("transaction has no tx_bytes")
    if len(tx_bytes) > max_tx_size:
        raise TxError(
            TxErrorCode.TOO_LARGE,
            f"transaction is {len(tx_bytes)} bytes, the limit is {max_tx_size}",
        )
    computed = transaction_hash(tx_bytes)
    if not stx.tx_hash:
        raise TxError(TxErrorCode.HASH_MISMATCH, "tx_hash is missing (BLAKE3-256 of tx_bytes)")
    if stx.tx_hash != computed:
        raise TxError(TxErrorCode.HASH_MISMATCH, "tx_hash is not BLAKE3-256(tx_bytes)")
    tx = decode_transaction(tx_bytes)
    if tx.chain_id != chain_id:
        raise TxError(
            TxErrorCode.WRONG_CHAIN,
            f"transaction is for chain {tx.chain_id!r}, this is chain {chain_id!r}",
        )
    _check_owner(tx.sender, "sender")
    authority = tx.WhichOneof("authority")
    if authority == "sender_key":
        _check_key(tx.sender_key, "sender_key")
        if sender_address(tx.sender_key) != tx.sender:
            raise TxError(TxErrorCode.SENDER_MISMATCH, "sender is not the address of sender_key")
        if stx.multisig_signatures:
            raise TxError(TxErrorCode.BAD_SIGNATURE, "single-key transaction has multisig sigs")
        if not stx.signature:
            raise TxError(TxErrorCode.BAD_SIGNATURE, "transaction is not signed")
        if not verify_message(tx.sender_key.key_type, tx.sender_key.key, tx_bytes, stx.signature):
            raise TxError(TxErrorCode.BAD_SIGNATURE, "signature does not verify for sender_key")
    elif authority == "sender_multisig":
        policy = tx.sender_multisig
        try:
            address = multisig_address(policy)
        except ValueError as exc:
            raise _malformed(f"invalid multisig policy: {exc}") from None
        if address != tx.sender:
            raise TxError(TxErrorCode.SENDER_MISMATCH, "sender is not the multisig policy address")
        if stx.signature:
            raise TxError(
                TxErrorCode.BAD_SIGNATURE, "multisig transaction must leave signature empty"
            )
        _verify_multisig(policy, tx_bytes, stx.multisig_signatures)
    else:
        raise _malformed("transaction has neither sender_key nor sender_multisig")
    validate_payload(tx, tlds)
    return tx


def _verify_multisig(
    policy: types_pb2.MultiSigPolicy,
    tx_bytes: bytes,
    signatures: Sequence[types_pb2.MultiSigSignature],
) -> None:
    previous = -1
    for sig in signatures:
        if sig.key_index <= previous:
            raise TxError(
                TxErrorCode.BAD_SIGNATURE,
                "multisig signatures must have distinct keys in ascending key_index",
            )
        previous = sig.key_index
        if sig.key_index >= len(policy.public_keys):
            raise TxError(
                TxErrorCode.BAD_SIGNATURE,
                f"multisig key_index {sig.key_index} is out of range"
                f" (policy has {len(policy.public_keys)} keys)",
            )
        member = policy.public_keys[sig.key_index]
        if not verify_message(member.key_type, member.key, tx_bytes, sig.signature):
            raise TxError(
                TxErrorCode.BAD_SIGNATURE,
                f"multisig signature for key_index {sig.key_index} does not verify",
            )
    if len(signatures) < policy.threshold:
        raise TxError(
            TxErrorCode.THRESHOLD_NOT_MET,
            f"multisig needs {policy.threshold} signatures, got {len(signatures)}",
        )
