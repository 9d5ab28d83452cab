"""Any request to a unary GhostDService RPC, however malformed, gets a deliberate status:
never INTERNAL/UNKNOWN, and no handler raises anything but RpcError.

Requests are generated from the proto descriptors (boundary integers 0, 2^63-1, 2^63, 2^64-1,
empty and large bytes, random strings, unknown enum values), plus well-signed transactions and
validator-signed blocks carrying boundary nonces, fees, amounts, heights and timestamps, so the
chain and storage code behind the signature checks is reached too.
"""

from __future__ import annotations

import trio
from gd_helpers import ALICE, BOB, CHAIN, VALIDATOR, FakeContext, make_core
from ghost.node.v1 import node_pb2 as n
from ghostchain import block as B
from ghostchain import tx as T
from ghostd_stub.node import SERVICE, Node
from ghostd_stub.server import GhostDService
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zquic.rpc import PeerInfo, RpcError, StatusCode

F = FieldDescriptor
BOUNDARY = [0, 1, 2**63 - 1, 2**63, 2**64 - 1]
U64 = st.one_of(st.sampled_from(BOUNDARY), st.integers(0, 2**64 - 1))
I64 = st.one_of(st.sampled_from([-(2**63), -1, 0, 2**63 - 1]), st.integers(-(2**63), 2**63 - 1))
STRINGS = ["", "alice.ghost", "ALICE.GHOST.", "a..ghost", "127.0.0.1:9", "[::1]:1", "x:99999",
           ALICE.address_text, "gh1zz", "p-000000000000", "é", "\x00"]  # fmt: skip
BYTES = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", bytes(32), b"\xff" * 32, b"\x00" * 100_000, ALICE.address]),
)
SCALARS = {
    F.TYPE_STRING: st.one_of(st.sampled_from(STRINGS), st.text(max_size=20)),
    F.TYPE_BYTES: BYTES,
    F.TYPE_UINT64: U64,
    F.TYPE_UINT32: st.one_of(st.sampled_from([0, 1, 2**32 - 1]), st.integers(0, 2**32 - 1)),
    F.TYPE_INT64: I64,
    F.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    F.TYPE_BOOL: st.booleans(),
    F.TYPE_ENUM: st.one_of(st.integers(0, 12), st.sampled_from([-1, 2**31 - 1])),
}
WELL_KNOWN = {
    "google.protobuf.Duration": st.builds(
        Duration,
        seconds=st.sampled_from([0, 1, -1, 86400, 315_360_000, 315_576_000_000, -315_576_000_000]),
        nanos=st.sampled_from([0, 1, -1, 999_999_999, -999_999_999]),
    ),
    "google.protobuf.Timestamp": st.builds(
        Timestamp,
        seconds=st.sampled_from([0, -1, 1_767_225_600, 253_402_300_799, -62_135_596_800]),
        nanos=st.sampled_from([0, 999_999_999]),
    ),
}


def _collect() -> dict:
    out: dict = {}

    def walk(d: Descriptor) -> None:
        if d.full_name in out:
            return
        out[d.full_name] = message_factory.GetMessageClass(d)
        for f in d.fields:
            if f.message_type is not None:
                walk(f.message_type)

    for m in SERVICE.methods:
        walk(m.input_type)
    return out


CLASSES = _collect()


@st.composite
def message(draw, desc: Descriptor, depth: int = 0):  # type: ignore[no-untyped-def]
    values: dict = {}
    for field in desc.fields:
        if field.containing_oneof is not None and draw(st.integers(0, 2)) == 0:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            values[field.name] = draw(
                st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)
            )
            continue
        if field.type == F.TYPE_MESSAGE:
            name = field.message_type.full_name
            if name in WELL_KNOWN:
                sub = WELL_KNOWN[name]
            elif depth > 3 or name.startswith("google.protobuf"):
                continue
            else:
                sub = message(field.message_type, depth + 1)
        else:
            sub = SCALARS[field.type]
        if field.is_repeated:
            values[field.name] = draw(st.lists(sub, max_size=3))
        elif draw(st.booleans()):
            values[field.name] = draw(sub)
    return CLASSES[desc.full_name](**{k: v for k, v in values.items() if v != {}})


@st.composite
def signed_tx(draw):  # type: ignore[no-untyped-def]
    """A correctly signed transaction with boundary-valued fields."""
    account = draw(st.sampled_from([ALICE, BOB]))
    payload = draw(
        st.sampled_from(
            [
                lambda amount: T.transfer(BOB.address, amount),
                lambda amount: T.register_domain("fuzz.ghost", ttl=amount % 2**32),
                lambda amount: T.register_identity("fuzz"),
            ]
        )
    )(draw(st.one_of(st.integers(1, 10**6), U64)))
    tx = T.build_transaction(
        chain_id=draw(st.sampled_from([CHAIN, CHAIN, "other"])),
        sender=account.key_proto(),
        nonce=draw(st.sampled_from([0, 0, 0, 1, 2**63, 2**64 - 1])),
        fee=draw(st.one_of(st.just(100_000), st.sampled_from([10**15, 2**63, 2**64 - 1]), U64)),
        payload=payload,
    )
    if draw(st.integers(0, 3)) == 0:
        tx.timestamp.seconds = draw(I64)
    return T.sign_transaction(tx, account.key_type, account.secret)


@st.composite
def signed_block(draw):  # type: ignore[no-untyped-def]
    """A block signed by the (public) dev validator with boundary height and timestamp."""
    txs = draw(st.lists(signed_tx(), max_size=2))
    header = B.build_header(
        chain_id=CHAIN,
        height=draw(st.one_of(st.sampled_from([1, 1, 2]), U64)),
        prev_hash=draw(st.sampled_from([bytes(32), b"\x01" * 32])),
        tx_hashes=[t.tx_hash for t in txs],
        timestamp_ns=0,
        proposer_key=VALIDATOR.public_key,
    )
    header.timestamp.seconds = draw(st.one_of(st.sampled_from([1_900_000_000, 2**62]), I64))
    header.timestamp.nanos = draw(st.sampled_from([0, 999_999_999]))
    return B.sign_block(header, VALIDATOR.secret, txs)


UNARY = [m for m in SERVICE.methods if not m.server_streaming]
CRAFTED = {
    "SubmitTransaction": signed_tx().map(lambda t: n.SubmitTransactionRequest(transaction=t)),
    "ValidateBlock": signed_block().map(lambda b: n.ValidateBlockRequest(block=b)),
    "ProposeBlock": st.builds(
        n.ProposeBlockRequest, allow_empty=st.booleans(), max_transactions=st.integers(0, 3)
    ),
    "BanPeer": st.builds(
        n.BanPeerRequest,
        endpoint=st.just("127.0.0.1:9"),
        duration=WELL_KNOWN["google.protobuf.Duration"],
    ),
    "GetBlock": st.builds(n.GetBlockRequest, height=U64, header_only=st.booleans()),
}
ALLOWED = set(StatusCode) - {StatusCode.INTERNAL, StatusCode.UNKNOWN}
CONTEXTS = st.sampled_from(
    [
        FakeContext(),
        FakeContext(peer=PeerInfo(address=("10.0.0.1", 1))),
        FakeContext(peer=PeerInfo(address="garbage")),
        FakeContext(metadata=(("authorization", "Bearer tok"), ("x", b"\xff"))),
        FakeContext(metadata=(("authorization", 5),)),
    ]
)


@st.composite
def call(draw):  # type: ignore[no-untyped-def]
    method = draw(st.sampled_from(UNARY))
    generic = message(method.input_type)
    crafted = CRAFTED.get(method.name)
    request = draw(generic if crafted is None else st.one_of(generic, crafted, crafted))
    return method.name, request, draw(CONTEXTS)


def test_every_unary_method_is_covered() -> None:
    names = {m.name for m in UNARY}
    assert len(names) == 21 and names <= set(dir(GhostDService))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    producing=st.booleans(),
    token=st.sampled_from(["", "tok"]),
    calls=st.lists(call(), min_size=1, max_size=5),
)
def test_no_request_produces_internal(tmp_path_factory, producing, token, calls) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("fuzz")

    async def run() -> None:
        core = make_core(path, validator=producing)
        try:
            svc = GhostDService(Node(core, producing=producing), admin_token=token)
            for name, request, context in calls:
                with trio.fail_after(10):
                    try:
                        await getattr(svc, name)(request, context)
                    except RpcError as exc:
                        assert exc.code in ALLOWED, (name, request, exc)
                        assert exc.message, (name, exc)
        finally:
            core.storage.close()

    trio.run(run)
