"""Shape checks on the wallet, node and zns contracts: the RPCs the integration guide names,
streaming shapes, integer amounts, pagination, stream resumption, naming and comments."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

import pytest
from ghost.node.v1 import node_pb2, types_pb2
from ghost.wallet.v1 import wallet_pb2
from ghost.zns.v1 import zns_pb2
from ghostkit import protogen
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    FileDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)

FILES: tuple[FileDescriptor, ...] = (
    types_pb2.DESCRIPTOR,
    node_pb2.DESCRIPTOR,
    wallet_pb2.DESCRIPTOR,
    zns_pb2.DESCRIPTOR,
)
OUR_PACKAGES = ("ghost.node.v1", "ghost.wallet.v1", "ghost.zns.v1")

U, S = "unary", "server_stream"
REQUIRED: dict[str, dict[str, str]] = {
    "ghost.wallet.v1.WalletService": {
        **dict.fromkeys(
            [
                "CreateAccount", "GetBalance", "ListAccounts", "DeleteAccount",
                "SendTransaction", "BatchTransactions", "GetTransaction",
                "GetTransactionHistory", "EstimateGas", "SignData", "SignTransaction",
                "VerifySignature", "MultiSig", "GetIdentity", "RegisterIdentity",
                "UpdateIdentity", "ResolveIdentity",
            ],
            U,
        ),
        "StreamTransactions": S,
        "StreamBalanceUpdates": S,
    },
    "ghost.node.v1.GhostDService": {
        **dict.fromkeys(
            [
                "GetBlockchainInfo", "GetBlock", "GetBlockHash", "GetBestBlockHash",
                "GetMempoolInfo", "GetRawMempool", "GetMempoolEntry", "GetPeerInfo", "AddPeer",
                "BanPeer", "GetConsensusInfo", "ProposeBlock", "ValidateBlock",
                "SubmitTransaction", "GetAccount", "GetTransaction", "GetTransactionsByAddress",
                "GetDomain", "ResolveDomain", "ListDomains", "GetIdentity",
            ],
            U,
        ),
        "StreamBlocks": S,
        "StreamTransactions": S,
        "StreamConsensusEvents": S,
        "StreamDomainEvents": S,
    },
    "ghost.zns.v1.ZNSService": {
        **dict.fromkeys(
            [
                "ResolveDomain", "RegisterDomain", "UpdateDomain", "DeleteDomain", "ListDomains",
                "GetRecord", "SetRecord", "DeleteRecord", "ListRecords", "GetDomainIdentity",
                "VerifyDomainOwnership",
            ],
            U,
        ),
        "StreamDomainUpdates": S,
        "SubscribeDomainChanges": S,
    },
}  # fmt: skip

# RPCs that return a list that can grow without bound, beyond the List* ones.
PAGINATED_EXTRA = {
    "GetRawMempool", "GetPeerInfo", "GetTransactionsByAddress", "GetTransactionHistory",
}  # fmt: skip
# Unary responses whose repeated fields are bounded by the request or by one object.
BOUNDED_REPEATED = {
    "ghost.node.v1.GetBlockResponse",  # one block's transactions
    "ghost.node.v1.ProposeBlockResponse",
    "ghost.node.v1.GetConsensusInfoResponse",  # the validator set
    "ghost.node.v1.ResolveDomainResponse",  # one host's records
    "ghost.zns.v1.ResolveDomainResponse",
    "ghost.zns.v1.GetRecordResponse",  # one (type, host) record set
    "ghost.wallet.v1.BatchTransactionsResponse",  # one result per requested transfer
    "ghost.wallet.v1.MultiSigResponse",  # at most n <= 16 signatures
}

AMOUNT_NAME = re.compile(r"(^|_)(amount|balance|fee)s?($|_)|(^|_)gas|^value$")
# Text fields that happen to be called "value" and are not amounts.
NOT_AMOUNTS = {
    "ghost.node.v1.DomainRecord.value",  # record data, e.g. an IP address
    "ghost.node.v1.DeleteRecord.value",
    "ghost.bridge.v1.MetadataEntry.value",  # call metadata text
}
INTEGER_TYPES = {
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SINT64,
}  # fmt: skip


def all_files() -> list[FileDescriptor]:
    """Our files plus every other ghost.* proto that is present (e.g. bridge)."""

    mods = [".".join(p.with_suffix("").parts) + "_pb2" for p in protogen.proto_files()]
    return [importlib.import_module(m).DESCRIPTOR for m in mods]


def messages(files: tuple[FileDescriptor, ...] | list[FileDescriptor]) -> Iterator[Descriptor]:
    def walk(d: Descriptor) -> Iterator[Descriptor]:
        yield d
        for nested in d.nested_types:
            yield from walk(nested)

    for f in files:
        for d in f.message_types_by_name.values():
            yield from walk(d)


def enums(files: tuple[FileDescriptor, ...]) -> Iterator[EnumDescriptor]:
    for f in files:
        yield from f.enum_types_by_name.values()
        for d in messages((f,)):
            yield from d.enum_types


def service(full_name: str) -> ServiceDescriptor:
    package, name = full_name.rsplit(".", 1)
    f = {f.package: f for f in FILES if f.services_by_name}[package]
    return f.services_by_name[name]


@pytest.mark.parametrize("full_name", sorted(REQUIRED))
def test_every_required_rpc_exists_with_its_streaming_shape(full_name: str) -> None:
    svc = service(full_name)
    assert svc.full_name == full_name
    missing = set(REQUIRED[full_name]) - set(svc.methods_by_name)
    assert not missing, f"{full_name} lacks {sorted(missing)}"
    for name, shape in REQUIRED[full_name].items():
        m = svc.methods_by_name[name]
        assert not m.client_streaming, f"{name} must not be client-streaming"
        assert m.server_streaming == (shape == S), f"{name} must be {shape}"


def test_guide_message_names_are_kept() -> None:
    # The integration guide names these request/response types; clients written from it
    # should find them (DomainEvent is shared from ghost.node.v1 on purpose).
    names = {
        ("ghost.wallet.v1.WalletService", "StreamTransactions"): "ghost.wallet.v1.TransactionEvent",
        ("ghost.wallet.v1.WalletService", "StreamBalanceUpdates"): "ghost.wallet.v1.BalanceUpdate",
        ("ghost.node.v1.GhostDService", "StreamBlocks"): "ghost.node.v1.BlockEvent",
        ("ghost.node.v1.GhostDService", "StreamConsensusEvents"): "ghost.node.v1.ConsensusEvent",
        ("ghost.zns.v1.ZNSService", "StreamDomainUpdates"): "ghost.node.v1.DomainEvent",
        ("ghost.zns.v1.ZNSService", "SubscribeDomainChanges"): "ghost.zns.v1.DomainChangeEvent",
    }
    for (svc, method), out in names.items():
        assert service(svc).methods_by_name[method].output_type.full_name == out
    for name, m in _methods():
        if not m.server_streaming:
            assert m.input_type.name == f"{name}Request", name
            assert m.output_type.name == f"{name}Response", name


def test_no_float_or_double_anywhere_in_our_contracts() -> None:
    floats = [
        f.full_name
        for d in messages(FILES)
        for f in d.fields
        if f.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)
    ]
    assert floats == []


def test_amount_like_fields_are_integers() -> None:
    checked, bad = 0, []
    for d in messages(all_files()):
        if d.GetOptions().map_entry:
            continue
        for f in d.fields:
            # A message-typed field (e.g. fee_schedule) is checked through its own fields.
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                continue
            if not AMOUNT_NAME.search(f.name) or f.full_name in NOT_AMOUNTS:
                continue
            checked += 1
            if f.type not in INTEGER_TYPES:
                bad.append(f.full_name)
    assert bad == []
    assert checked > 20  # the pattern really matched the amount fields


def test_amount_rule_would_catch_a_string_amount() -> None:
    assert AMOUNT_NAME.search("amount") and AMOUNT_NAME.search("fee_paid")
    assert AMOUNT_NAME.search("gas_units") and AMOUNT_NAME.search("previous_balance")
    assert AMOUNT_NAME.search("value") and AMOUNT_NAME.search("total_fees")
    assert not AMOUNT_NAME.search("feeder") and not AMOUNT_NAME.search("coffee")
    assert not AMOUNT_NAME.search("binary_value")


def test_transfer_amount_and_fees_are_uint64() -> None:
    u64 = FieldDescriptor.TYPE_UINT64
    assert types_pb2.Transfer.DESCRIPTOR.fields_by_name["amount"].type == u64
    assert types_pb2.Transaction.DESCRIPTOR.fields_by_name["fee"].type == u64
    assert types_pb2.Account.DESCRIPTOR.fields_by_name["balance"].type == u64
    assert wallet_pb2.SendTransactionRequest.DESCRIPTOR.fields_by_name["amount"].type == u64


def _methods() -> Iterator[tuple[str, MethodDescriptor]]:
    for full_name in REQUIRED:
        yield from service(full_name).methods_by_name.items()


def test_list_rpcs_paginate() -> None:
    listing = [(n, m) for n, m in _methods() if n.startswith("List") or n in PAGINATED_EXTRA]
    assert len(listing) >= 8
    for name, m in listing:
        req = m.input_type.fields_by_name
        resp = m.output_type.fields_by_name
        assert req["page_size"].type == FieldDescriptor.TYPE_UINT32, name
        assert req["page_token"].type == FieldDescriptor.TYPE_STRING, name
        assert resp["next_page_token"].type == FieldDescriptor.TYPE_STRING, name


def test_unbounded_lists_are_paginated() -> None:
    # A unary response with a top-level repeated field is either paginated or known bounded.
    for name, m in _methods():
        if m.server_streaming:
            continue
        out = m.output_type
        repeated = [f for f in out.fields if f.is_repeated]
        if repeated and out.full_name not in BOUNDED_REPEATED:
            assert "next_page_token" in out.fields_by_name, f"{name} returns an unpaged list"


def test_streams_resume_from_height() -> None:
    for name, m in _methods():
        if not m.server_streaming:
            continue
        from_height = m.input_type.fields_by_name["from_height"]
        assert from_height.type == FieldDescriptor.TYPE_UINT64, name
        # Presence distinguishes "from genesis" (0) from "live only" (unset).
        assert from_height.has_presence, name
        height = m.output_type.fields_by_name["height"]
        assert height.type == FieldDescriptor.TYPE_UINT64, name


def test_enums_start_with_unspecified() -> None:
    for e in enums(FILES):
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", e.name).upper()
        zero = e.values_by_number[0].name
        assert zero == f"{prefix}_UNSPECIFIED", e.full_name
        assert all(v.name.startswith(prefix + "_") for v in e.values), e.full_name


def test_key_type_numbers_are_the_on_chain_constants() -> None:
    assert types_pb2.KEY_TYPE_ED25519 == 1
    assert types_pb2.KEY_TYPE_SECP256K1 == 2
    record_types = set(types_pb2.RecordType.keys())
    for kind in ("A", "AAAA", "TXT", "CNAME", "MX", "SRV", "GHOST", "ZNS", "ETH"):
        assert f"RECORD_TYPE_{kind}" in record_types


def test_field_names_are_snake_case_and_addresses_follow_the_convention() -> None:
    raw_roles = {"sender", "to", "owner", "new_owner", "proposer", "address_bytes"}
    for d in messages(FILES):
        for f in d.fields:
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", f.name), f.full_name
            if f.name.endswith("address") or f.name == "addresses":
                assert f.type == FieldDescriptor.TYPE_STRING, f"{f.full_name}: gh1 text form"
            if f.name in raw_roles:
                assert f.type == FieldDescriptor.TYPE_BYTES, f"{f.full_name}: raw 20 bytes"


def test_times_are_timestamps() -> None:
    time_name = re.compile(r"(^timestamp$|_at$|_time$|^time_|_since$|_until$|^last_seen$)")
    seen = 0
    for d in messages(FILES):
        for f in d.fields:
            if time_name.search(f.name):
                seen += 1
                assert f.message_type is not None, f.full_name
                assert f.message_type.full_name == "google.protobuf.Timestamp", f.full_name
    assert seen > 10


def test_signed_chain_objects_carry_exact_bytes() -> None:
    # Signatures and hashes cover serialized bytes carried verbatim, never a re-encoding.
    signed = types_pb2.SignedTransaction.DESCRIPTOR.fields_by_name
    assert signed["tx_bytes"].type == FieldDescriptor.TYPE_BYTES
    assert signed["multisig_signatures"].message_type.name == "MultiSigSignature"
    block = types_pb2.Block.DESCRIPTOR.fields_by_name
    assert block["header_bytes"].type == FieldDescriptor.TYPE_BYTES
    assert block["signature"].type == FieldDescriptor.TYPE_BYTES

    tx = types_pb2.Transaction(chain_id="ghostnet-dev", sender=bytes(20), nonce=3, fee=1000)
    tx.sender_key.key_type = types_pb2.KEY_TYPE_ED25519
    tx.sender_key.key = bytes(32)
    tx.transfer.to = bytes(range(20))
    tx.transfer.amount = 5 * 10**9
    back = types_pb2.Transaction.FromString(tx.SerializeToString(deterministic=True))
    assert back.WhichOneof("payload") == "transfer"
    assert back.WhichOneof("authority") == "sender_key"
    assert back.transfer.amount == 5_000_000_000


def test_sign_data_prefix_never_parses_as_a_transaction() -> None:
    # docs/contracts.md: SignData signs this prefix || data; its first byte is an invalid
    # protobuf tag (field 8, wire type 7), so a data signature can't be a transaction's.
    from google.protobuf.message import DecodeError

    with pytest.raises(DecodeError):
        types_pb2.Transaction.FromString(b"GhostNet signed data v1\n" + b"anything")


def test_every_message_and_enum_is_documented() -> None:
    fds = protogen.descriptor_set()
    undocumented = []
    for fd in fds.file:
        if fd.package not in OUR_PACKAGES:
            continue
        docs = {
            tuple(loc.path): loc.leading_comments.strip() for loc in fd.source_code_info.location
        }
        msg_tag = descriptor_pb2.FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER
        enum_tag = descriptor_pb2.FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER
        for i, m in enumerate(fd.message_type):
            if not docs.get((msg_tag, i)):
                undocumented.append(f"{fd.package}.{m.name}")
        for i, e in enumerate(fd.enum_type):
            if not docs.get((enum_tag, i)):
                undocumented.append(f"{fd.package}.{e.name}")
    assert undocumented == []
