"""Request values beyond SQLite's signed 64-bit range, ban durations and forged page tokens:
each gets a deliberate status (never INTERNAL), and refused requests change nothing."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from gd_helpers import ALICE, FakeContext, make_core, transfer
from ghost.node.v1 import node_pb2 as n
from ghostd_stub import server as S
from ghostd_stub.node import Node, now_ns
from ghostd_stub.server import DEFAULT_BAN, MAX_BAN, GhostDService
from ghostd_stub.storage import PeerRow
from google.protobuf.duration_pb2 import Duration
from zquic.rpc import RpcError, StatusCode

CTX = FakeContext()
HUGE = [2**63 - 1, 2**63, 2**64 - 1]


@pytest.fixture
async def svc(tmp_path):
    core = make_core(tmp_path)
    yield GhostDService(Node(core, producing=True, block_interval=0.01))
    core.storage.close()


async def status_of(coro) -> tuple[StatusCode, str]:
    with pytest.raises(RpcError) as info:
        await coro
    assert info.value.message
    return info.value.code, info.value.message


@pytest.mark.parametrize("height", HUGE)
async def test_heights_beyond_the_tip_and_sqlite_range_are_not_found(svc, height):
    code, msg = await status_of(svc.GetBlock(n.GetBlockRequest(height=height), CTX))
    assert code is StatusCode.NOT_FOUND and str(height) in msg and "best height is 0" in msg
    code, msg = await status_of(svc.GetBlockHash(n.GetBlockHashRequest(height=height), CTX))
    assert code is StatusCode.NOT_FOUND and str(height) in msg


def test_storage_reads_answer_nothing_for_out_of_range_integers(tmp_path):
    core = make_core(tmp_path)
    st = core.storage
    try:
        for v in (2**63, 2**64 - 1, -1):
            assert st.block_at(v) is None and st.hash_at(v) is None
            assert st.blocks_from(v, 5) == [] and st.txs_in_block(v) == []
            assert st.txs_by_address(ALICE.address, v, 5) == []
        assert len(st.blocks_from(0, 2**64)) == 1  # a huge limit is clamped, not an error
        assert st.domain_events(0, 2**64) == []
        with pytest.raises(ValueError, match="out of range"):
            st.peer_save(PeerRow("127.0.0.1:1", False, 2**63, ""))
        assert st.peers_load() == []
    finally:
        st.close()


@pytest.mark.parametrize(
    "duration",
    [
        Duration(seconds=315_576_000_000),  # the largest protobuf Duration
        Duration(seconds=MAX_BAN + 1),
        Duration(seconds=-1),
        Duration(seconds=1, nanos=-5),
        Duration(seconds=0, nanos=2_000_000_000),
    ],
)
async def test_bad_ban_durations_are_refused_before_anything_changes(svc, duration):
    req = n.BanPeerRequest(endpoint="127.0.0.1:9", duration=duration, reason="x")
    code, msg = await status_of(svc.BanPeer(req, CTX))
    assert code is StatusCode.INVALID_ARGUMENT and "duration" in msg
    assert svc.node.bans == {}
    assert await svc.node.run_sync(svc.core.storage.peers_load) == []


async def test_longest_and_default_bans_are_applied_and_stored(svc):
    before = now_ns()
    req = n.BanPeerRequest(endpoint="127.0.0.1:9", duration=Duration(seconds=MAX_BAN))
    until = (await svc.BanPeer(req, CTX)).banned_until.ToNanoseconds()
    assert until - before >= MAX_BAN * 10**9
    dflt = await svc.BanPeer(n.BanPeerRequest(endpoint="127.0.0.1:8"), CTX)
    zero = await svc.BanPeer(n.BanPeerRequest(endpoint="127.0.0.1:7", duration=Duration()), CTX)
    for resp in (dflt, zero):
        assert resp.banned_until.ToNanoseconds() - before >= DEFAULT_BAN * 10**9
    rows = await svc.node.run_sync(svc.core.storage.peers_load)
    assert {r.endpoint: r.banned_until_ns for r in rows}["127.0.0.1:9"] == until
    assert set(svc.node.bans) == {"127.0.0.1:7", "127.0.0.1:8", "127.0.0.1:9"}


async def test_ban_and_permanent_peer_are_all_or_nothing_when_the_save_fails(svc, monkeypatch):
    def broken(_row):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(svc.core.storage, "peer_save", broken)
    with pytest.raises(sqlite3.OperationalError):
        await svc.BanPeer(n.BanPeerRequest(endpoint="127.0.0.1:9"), CTX)
    assert svc.node.bans == {} and svc.node.is_banned("127.0.0.1:9") is None
    with pytest.raises(sqlite3.OperationalError):
        await svc.AddPeer(n.AddPeerRequest(endpoint="127.0.0.1:9", permanent=True), CTX)
    assert svc.node.peers == {}


def _token(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


async def test_forged_page_tokens_are_invalid_argument(svc):
    await svc.SubmitTransaction(n.SubmitTransactionRequest(transaction=transfer()), CTX)
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    by_addr = S._filter_key("by-address", ALICE.address_text, False)
    for cursor in (2**63, 2**64 - 1, 10**30, True, -1, 1.5):
        req = n.GetTransactionsByAddressRequest(
            address=ALICE.address_text, page_token=_token({"c": cursor, "f": by_addr})
        )
        code, msg = await status_of(svc.GetTransactionsByAddress(req, CTX))
        assert code is StatusCode.INVALID_ARGUMENT and "page_token" in msg, cursor
    # the largest offset a token may carry still answers, with an empty page
    ok = n.GetTransactionsByAddressRequest(
        address=ALICE.address_text, page_token=_token({"c": S.MAX_OFFSET, "f": by_addr})
    )
    assert list((await svc.GetTransactionsByAddress(ok, CTX)).transactions) == []
    domains = S._filter_key("domains", "")
    bad_tokens = [
        json.dumps({"c": "\ud800", "f": domains}),  # a lone surrogate SQLite cannot bind
        "[" * 100_000 + "]" * 100_000,  # deeper than json can recurse
    ]
    for raw in bad_tokens:
        token = base64.urlsafe_b64encode(raw.encode()).decode()
        req = n.ListDomainsRequest(page_token=token)
        code, _ = await status_of(svc.ListDomains(req, CTX))
        assert code is StatusCode.INVALID_ARGUMENT
    code, _ = await status_of(svc.GetRawMempool(n.GetRawMempoolRequest(page_token="A" * 5000), CTX))
    assert code is StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("endpoint", ["h:\u00b2", "h:\u0661\u0662", "h:0", "h:65536", ":1", "h"])
async def test_bad_peer_endpoints_are_invalid_argument(svc, endpoint):
    for call in (
        svc.AddPeer(n.AddPeerRequest(endpoint=endpoint), CTX),
        svc.BanPeer(n.BanPeerRequest(endpoint=endpoint), CTX),
    ):
        code, msg = await status_of(call)
        assert code is StatusCode.INVALID_ARGUMENT and "must be host:port" in msg
    assert svc.node.peers == {} and svc.node.bans == {}
