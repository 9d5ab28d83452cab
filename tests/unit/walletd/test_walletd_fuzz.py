"""Any request, however malformed, gets a deliberate status, never INTERNAL."""

from __future__ import annotations

import trio
from ghostchain.genesis import dev_account
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walletd_stub.keystore import KeyStore, create_record
from walletd_stub.service import SERVICE, WalletServicer
from wd_fakenode import FakeNode
from wd_helpers import PASS
from zcrypto import KeyType, keyfile
from zquic.rpc import RpcError, StatusCode

BOB = dev_account("bob")
NAMES = ["main", "other", "", "nobody", "Main", BOB.address_text, "gh1zz"]
U64 = st.one_of(st.sampled_from([0, 1, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1))
F = FieldDescriptor
SCALARS = {
    F.TYPE_STRING: st.one_of(st.sampled_from(NAMES + [PASS, "alice-id"]), st.text(max_size=20)),
    F.TYPE_BYTES: st.one_of(
        st.binary(max_size=40), st.sampled_from([b"", BOB.address, BOB.public_key, b"\x08" * 33])
    ),
    F.TYPE_UINT64: U64,
    F.TYPE_UINT32: st.integers(0, 2**32 - 1),
    F.TYPE_BOOL: st.booleans(),
    F.TYPE_ENUM: st.integers(0, 5),
    F.TYPE_INT64: st.integers(-(2**40), 2**40),
    F.TYPE_INT32: st.integers(0, 10**9),
}


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
            if depth > 3 or field.message_type.full_name.startswith("google.protobuf"):
                continue
            sub = message(field.message_type, depth + 1)
        else:
            sub = SCALARS[field.type]
        if field.is_repeated:
            values[field.name] = draw(st.lists(sub, max_size=3))
        elif draw(st.booleans()):
            values[field.name] = draw(sub)
    cls_msg = _classes[desc.full_name](
        **{k: v for k, v in values.items() if not isinstance(v, dict) or v}
    )
    return cls_msg


def _collect() -> dict:
    from google.protobuf import message_factory

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


_classes = _collect()
UNARY = [m for m in SERVICE.methods if not m.server_streaming]
ALLOWED = {c for c in StatusCode} - {StatusCode.INTERNAL, StatusCode.UNKNOWN}


@st.composite
def call(draw):  # type: ignore[no-untyped-def]
    method = draw(st.sampled_from(UNARY))
    return method.name, draw(message(method.input_type))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls=st.lists(call(), min_size=1, max_size=4))
def test_no_request_produces_internal(tmp_path_factory, calls) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("fuzz") / "ks.sqlite3"

    async def run() -> None:
        ks = KeyStore(path)
        node = FakeNode()
        try:
            rec = create_record("main", PASS, KeyType.ED25519, keyfile.FAST_INSECURE)
            ks.add(rec)
            node.credit(rec.address_bytes, 10**12)
            wallet = WalletServicer(ks, node, kdf=keyfile.FAST_INSECURE)
            for name, request in calls:
                with trio.fail_after(10):
                    try:
                        await getattr(wallet, name)(request, None)
                    except RpcError as exc:
                        assert exc.code in ALLOWED, (name, request, exc)
                        assert exc.message, (name, exc)
                if node.mempool and len(node.mempool) % 2:
                    node.produce_block()
        finally:
            ks.close()

    trio.run(run)
