"""GhostDService handlers called directly with a fake call context (no sockets)."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from gd_helpers import ALICE, BOB, FEE, FakeContext, make_core, signed, transfer
from ghost.node.v1 import node_pb2 as n
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostd_stub.node import Node
from ghostd_stub.server import GhostDService
from zcrypto.hashes import blake3
from zquic.rpc import PeerInfo, RpcError, StatusCode

CTX = FakeContext()


@pytest.fixture
async def svc(tmp_path):
    core = make_core(tmp_path)
    node = Node(core, producing=True, block_interval=0.01)
    yield GhostDService(node)
    core.storage.close()


async def status_of(coro) -> tuple[StatusCode, str]:
    with pytest.raises(RpcError) as info:
        await coro
    assert info.value.message  # always a readable message
    return info.value.code, info.value.message


async def submit(svc, stx):
    return await svc.SubmitTransaction(n.SubmitTransactionRequest(transaction=stx), CTX)


async def test_chain_info_and_blocks(svc):
    info = await svc.GetBlockchainInfo(n.GetBlockchainInfoRequest(), CTX)
    assert info.chain_id == "ghostnet-dev" and info.height == 0
    assert info.genesis_hash == info.best_block_hash and info.fee_schedule.base_fee == 1000
    assert info.validator_address.startswith("gh1") and info.version.startswith("ghostd_stub/")
    await submit(svc, transfer())
    blk = (await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)).block
    by_height = (await svc.GetBlock(n.GetBlockRequest(height=1), CTX)).block
    by_hash = (await svc.GetBlock(n.GetBlockRequest(hash=blk.hash), CTX)).block
    assert by_height == by_hash and len(by_height.transactions) == 1
    head = (await svc.GetBlock(n.GetBlockRequest(height=1, header_only=True), CTX)).block
    assert not head.transactions and head.header_bytes == blk.header_bytes
    assert (await svc.GetBlockHash(n.GetBlockHashRequest(height=1), CTX)).hash == blk.hash
    best = await svc.GetBestBlockHash(n.GetBestBlockHashRequest(), CTX)
    assert (best.hash, best.height) == (blk.hash, 1)
    code, msg = await status_of(svc.GetBlock(n.GetBlockRequest(height=42), CTX))
    assert code is StatusCode.NOT_FOUND and "42" in msg
    code, _ = await status_of(svc.GetBlock(n.GetBlockRequest(hash=b"\x01" * 32), CTX))
    assert code is StatusCode.NOT_FOUND
    code, _ = await status_of(svc.GetBlock(n.GetBlockRequest(hash=b"short"), CTX))
    assert code is StatusCode.INVALID_ARGUMENT
    code, _ = await status_of(svc.GetBlock(n.GetBlockRequest(), CTX))
    assert code is StatusCode.INVALID_ARGUMENT
    code, _ = await status_of(svc.GetBlockHash(n.GetBlockHashRequest(height=9), CTX))
    assert code is StatusCode.NOT_FOUND


async def test_submit_maps_every_refusal_to_its_status(svc):
    ok = await submit(svc, transfer())
    assert ok.status == pb.TRANSACTION_STATUS_PENDING and ok.tx_hash == transfer().tx_hash
    junk = pb.SignedTransaction(tx_bytes=b"\xff\x00", tx_hash=blake3(b"\xff\x00"))
    bad_sig = transfer(nonce=1)
    bad_sig.signature = bytes(64)
    await submit(svc, signed(ALICE, T.register_domain("alice.ghost"), nonce=1))
    cases = [
        (junk, StatusCode.INVALID_ARGUMENT, "not a valid Transaction"),
        (bad_sig, StatusCode.INVALID_ARGUMENT, "signature"),
        (transfer(nonce=9), StatusCode.FAILED_PRECONDITION, "gap"),
        (transfer(nonce=0), StatusCode.ALREADY_EXISTS, "already"),
        (
            signed(ALICE, T.transfer(BOB.address, 1), nonce=2, fee=1),
            StatusCode.INVALID_ARGUMENT,
            "minimum",
        ),
        (signed(BOB, T.delete_domain("alice.ghost")), StatusCode.PERMISSION_DENIED, "owner"),
        (
            signed(BOB, T.transfer(ALICE.address, 2 * 10**18)),
            StatusCode.FAILED_PRECONDITION,
            "insufficient funds",
        ),
    ]
    for stx, expected, fragment in cases:
        code, msg = await status_of(submit(svc, stx))
        assert (code, fragment in msg) == (expected, True), msg
    code, _ = await status_of(svc.SubmitTransaction(n.SubmitTransactionRequest(), CTX))
    assert code is StatusCode.INVALID_ARGUMENT


async def test_mempool_rpcs_and_pagination(svc):
    for i in range(5):
        await submit(svc, transfer(nonce=i))
    info = await svc.GetMempoolInfo(n.GetMempoolInfoRequest(), CTX)
    assert info.size == 5 and info.total_fee == 5 * FEE and info.total_bytes > 0
    page1 = await svc.GetRawMempool(n.GetRawMempoolRequest(page_size=2), CTX)
    page2 = await svc.GetRawMempool(
        n.GetRawMempoolRequest(page_size=2, page_token=page1.next_page_token), CTX
    )
    page3 = await svc.GetRawMempool(
        n.GetRawMempoolRequest(page_size=2, page_token=page2.next_page_token), CTX
    )
    hashes = list(page1.tx_hashes) + list(page2.tx_hashes) + list(page3.tx_hashes)
    assert hashes == [transfer(nonce=i).tx_hash for i in range(5)]
    assert page3.next_page_token == ""
    code, _ = await status_of(svc.GetRawMempool(n.GetRawMempoolRequest(page_token="zz!"), CTX))
    assert code is StatusCode.INVALID_ARGUMENT
    entry = (await svc.GetMempoolEntry(n.GetMempoolEntryRequest(tx_hash=hashes[1]), CTX)).entry
    assert entry.nonce == 1 and entry.sender_address == ALICE.address_text
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    code, msg = await status_of(
        svc.GetMempoolEntry(n.GetMempoolEntryRequest(tx_hash=hashes[1]), CTX)
    )
    assert code is StatusCode.NOT_FOUND and "block 1" in msg


async def test_admin_rpcs_need_loopback_or_token(svc, tmp_path):
    remote = FakeContext(peer=PeerInfo(address=("192.0.2.7", 4000)))
    for call in (
        svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), remote),
        svc.AddPeer(n.AddPeerRequest(endpoint="127.0.0.1:1"), remote),
        svc.BanPeer(n.BanPeerRequest(endpoint="127.0.0.1:1"), remote),
    ):
        code, _ = await status_of(call)
        assert code is StatusCode.PERMISSION_DENIED
    svc.admin_token = "s3cret"
    code, _ = await status_of(svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX))
    assert code is StatusCode.PERMISSION_DENIED
    good = FakeContext(metadata=(("authorization", "Bearer s3cret"),), peer=remote.peer)
    resp = await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), good)
    assert resp.block.header.height == 1


async def test_propose_and_validate(svc):
    code, msg = await status_of(svc.ProposeBlock(n.ProposeBlockRequest(), CTX))
    assert code is StatusCode.FAILED_PRECONDITION and "allow_empty" in msg
    blk = (await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)).block
    v = await svc.ValidateBlock(n.ValidateBlockRequest(block=blk), CTX)
    assert v.valid and v.hash == blk.hash and v.error == ""
    forged = pb.Block()
    forged.CopyFrom(blk)
    forged.signature = bytes(64)
    v = await svc.ValidateBlock(n.ValidateBlockRequest(block=forged), CTX)
    assert not v.valid and "signature" in v.error
    garbage = pb.Block(header_bytes=b"\xff\xff")
    v = await svc.ValidateBlock(n.ValidateBlockRequest(block=garbage), CTX)
    assert not v.valid and v.error
    code, _ = await status_of(svc.ValidateBlock(n.ValidateBlockRequest(), CTX))
    assert code is StatusCode.INVALID_ARGUMENT
    svc.node.producing = False
    code, _ = await status_of(svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX))
    assert code is StatusCode.FAILED_PRECONDITION


async def test_transactions_accounts_and_history(svc):
    await submit(svc, transfer(nonce=0, amount=5))
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    await submit(svc, transfer(nonce=1, amount=6))
    info = (
        await svc.GetTransaction(
            n.GetTransactionRequest(tx_hash=transfer(nonce=0, amount=5).tx_hash), CTX
        )
    ).transaction
    assert info.receipt.status == pb.TRANSACTION_STATUS_SUCCESS and info.receipt.block_height == 1
    assert info.to_address == BOB.address_text and info.receipt.fee_paid == FEE
    pending = (
        await svc.GetTransaction(
            n.GetTransactionRequest(tx_hash=transfer(nonce=1, amount=6).tx_hash), CTX
        )
    ).transaction
    assert pending.receipt.status == pb.TRANSACTION_STATUS_PENDING
    code, _ = await status_of(svc.GetTransaction(n.GetTransactionRequest(tx_hash=bytes(32)), CTX))
    assert code is StatusCode.NOT_FOUND
    req = n.GetTransactionsByAddressRequest(
        address=BOB.address_text, include_pending=True, page_size=1
    )
    first = await svc.GetTransactionsByAddress(req, CTX)
    req.page_token = first.next_page_token
    second = await svc.GetTransactionsByAddress(req, CTX)
    statuses = [t.receipt.status for t in (*first.transactions, *second.transactions)]
    assert statuses == [pb.TRANSACTION_STATUS_PENDING, pb.TRANSACTION_STATUS_SUCCESS]
    assert second.next_page_token == ""
    req2 = n.GetTransactionsByAddressRequest(address=BOB.address_text, page_token=req.page_token)
    code, msg = await status_of(svc.GetTransactionsByAddress(req2, CTX))
    assert code is StatusCode.INVALID_ARGUMENT and "filters" in msg
    code, _ = await status_of(
        svc.GetTransactionsByAddress(n.GetTransactionsByAddressRequest(address="gh1nope"), CTX)
    )
    assert code is StatusCode.INVALID_ARGUMENT
    acc = (await svc.GetAccount(n.GetAccountRequest(address=ALICE.address_text), CTX)).account
    assert acc.nonce == 2 and acc.public_key.key == ALICE.public_key
    stranger = T.sender_address(pb.PublicKey(key_type=1, key=b"\x05" * 32))
    from zcrypto.address import format_address

    resp = await svc.GetAccount(n.GetAccountRequest(address=format_address(stranger)), CTX)
    assert resp.account.balance == 0 and resp.account.nonce == 0 and resp.height == 1


async def test_domains_and_identities(svc):
    www = T.record(pb.RECORD_TYPE_A, "10.0.0.9", host="www")
    apex = T.record(pb.RECORD_TYPE_TXT, "hi", ttl=30)
    await submit(svc, signed(ALICE, T.register_domain("alice.ghost", records=[www, apex], ttl=300)))
    await submit(svc, signed(ALICE, T.register_domain("zed.ghost"), nonce=1))
    await submit(svc, signed(BOB, T.register_domain("bob.zns")))
    await submit(svc, signed(BOB, T.register_identity("bob", metadata={"url": "x"}), nonce=1))
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    d = await svc.GetDomain(n.GetDomainRequest(name="Alice.Ghost."), CTX)
    assert d.domain.owner_address == ALICE.address_text and d.height == 1
    r = await svc.ResolveDomain(n.ResolveDomainRequest(name="WWW.alice.ghost."), CTX)
    assert r.domain.name == "alice.ghost" and r.host == "www"
    assert [(x.value, x.ttl) for x in r.records] == [("10.0.0.9", 300)]  # ttl defaulted
    r = await svc.ResolveDomain(
        n.ResolveDomainRequest(name="alice.ghost", types=[pb.RECORD_TYPE_A]), CTX
    )
    assert list(r.records) == []
    for req, expected in [
        (svc.GetDomain(n.GetDomainRequest(name="nobody.ghost"), CTX), StatusCode.NOT_FOUND),
        (svc.GetDomain(n.GetDomainRequest(name="bad name"), CTX), StatusCode.INVALID_ARGUMENT),
        (
            svc.ResolveDomain(n.ResolveDomainRequest(name="x.nobody.ghost"), CTX),
            StatusCode.NOT_FOUND,
        ),
        (svc.ResolveDomain(n.ResolveDomainRequest(name=""), CTX), StatusCode.INVALID_ARGUMENT),
        (svc.GetIdentity(n.GetIdentityRequest(name="carol"), CTX), StatusCode.NOT_FOUND),
        (svc.GetIdentity(n.GetIdentityRequest(name="Bad!"), CTX), StatusCode.INVALID_ARGUMENT),
    ]:
        assert (await status_of(req))[0] is expected
    ident = (await svc.GetIdentity(n.GetIdentityRequest(name="bob"), CTX)).identity
    assert ident.owner_address == BOB.address_text and dict(ident.metadata) == {"url": "x"}
    page = await svc.ListDomains(n.ListDomainsRequest(page_size=2), CTX)
    assert [d.name for d in page.domains] == ["alice.ghost", "bob.zns"]
    rest = await svc.ListDomains(
        n.ListDomainsRequest(page_size=2, page_token=page.next_page_token), CTX
    )
    assert [d.name for d in rest.domains] == ["zed.ghost"] and rest.next_page_token == ""
    mine = await svc.ListDomains(n.ListDomainsRequest(owner_address=ALICE.address_text), CTX)
    assert [d.name for d in mine.domains] == ["alice.ghost", "zed.ghost"]


async def test_peers_add_list_ban(svc):
    code, _ = await status_of(svc.AddPeer(n.AddPeerRequest(endpoint="no-port"), CTX))
    assert code is StatusCode.INVALID_ARGUMENT
    added = await svc.AddPeer(n.AddPeerRequest(endpoint="127.0.0.1:9", permanent=True), CTX)
    again = await svc.AddPeer(n.AddPeerRequest(endpoint="127.0.0.1:9"), CTX)
    assert added.added and not again.added and again.peer_id == added.peer_id
    peers = (await svc.GetPeerInfo(n.GetPeerInfoRequest(), CTX)).peers
    assert [(p.peer_id, p.endpoint, p.permanent) for p in peers] == [
        (added.peer_id, "127.0.0.1:9", True)
    ]
    ban = await svc.BanPeer(n.BanPeerRequest(peer_id=added.peer_id, reason="spam"), CTX)
    assert ban.banned_until.seconds > 0
    assert (await svc.GetPeerInfo(n.GetPeerInfoRequest(), CTX)).peers == []
    code, msg = await status_of(svc.AddPeer(n.AddPeerRequest(endpoint="127.0.0.1:9"), CTX))
    assert code is StatusCode.FAILED_PRECONDITION and "spam" in msg
    code, _ = await status_of(svc.BanPeer(n.BanPeerRequest(peer_id="p-nope"), CTX))
    assert code is StatusCode.NOT_FOUND
    rows = svc.core.storage.peers_load()
    assert [(r.endpoint, r.reason) for r in rows] == [("127.0.0.1:9", "spam")]


async def test_consensus_info(svc):
    await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    info = await svc.GetConsensusInfo(n.GetConsensusInfoRequest(), CTX)
    assert info.algorithm == "poa" and info.height == 1 and info.finalized_height == 1
    assert info.is_validator and info.validators[0].blocks_proposed == 1
    assert info.next_proposer_key.key == svc.core.genesis.validator_key


# ------------------------------------------------------------------ streams


async def take(agen, count: int) -> list:
    out = []
    try:
        async for item in agen:
            out.append(item)
            if len(out) == count:
                break
    finally:
        await agen.aclose()
    return out


async def test_stream_blocks_replays_then_follows_live_without_gaps(svc):
    for _ in range(3):
        await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    got: list = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def consume():
                got.extend(
                    await take(svc.StreamBlocks(n.StreamBlocksRequest(from_height=1), CTX), 5)
                )

            nursery.start_soon(consume)
            await trio.testing.wait_all_tasks_blocked()
            assert len(svc.node.hub.subscribers) == 1  # replayed 1..3, now waiting live
            for _ in range(2):
                await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    assert [e.height for e in got] == [1, 2, 3, 4, 5]
    assert all(e.block.header.height == e.height for e in got)


async def test_stream_resume_from_last_height_has_no_gap(svc):
    for _ in range(4):
        await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    with trio.fail_after(10):
        first = await take(svc.StreamBlocks(n.StreamBlocksRequest(from_height=0), CTX), 3)
        last = first[-1].height
        for _ in range(2):  # the chain moves on while the client is away
            await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
        second = await take(svc.StreamBlocks(n.StreamBlocksRequest(from_height=last), CTX), 5)
    seen = {e.height for e in first}
    fresh = [e.height for e in second if e.height not in seen]
    assert [e.height for e in first] + fresh == list(range(7))


async def test_slow_consumer_beyond_memory_replays_from_storage(svc):
    for _ in range(10):
        await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    svc.node.recent.clear()  # as if every block had left the in-memory window
    with trio.fail_after(10):
        events = await take(
            svc.StreamBlocks(n.StreamBlocksRequest(from_height=0, header_only=True), CTX), 11
        )
    assert [e.height for e in events] == list(range(11))
    assert all(not e.block.transactions for e in events)


async def test_stream_without_from_height_starts_after_the_call(svc):
    await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    got: list = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def consume():
                got.extend(await take(svc.StreamBlocks(n.StreamBlocksRequest(), CTX), 1))

            nursery.start_soon(consume)
            await trio.testing.wait_all_tasks_blocked()
            await svc.ProposeBlock(n.ProposeBlockRequest(allow_empty=True), CTX)
    assert [e.height for e in got] == [2]


async def test_stream_transactions_pending_then_included_and_filter(svc):
    got: list = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            req = n.StreamTransactionsRequest(addresses=[BOB.address_text], include_pending=True)

            async def consume():
                got.extend(await take(svc.StreamTransactions(req, CTX), 2))

            nursery.start_soon(consume)
            await trio.testing.wait_all_tasks_blocked()
            await submit(svc, signed(ALICE, T.register_identity("ally")))  # not BOB's: filtered
            await submit(svc, transfer(nonce=1))
            await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    assert [(e.height, e.index, e.transaction.receipt.status) for e in got] == [
        (0, 0, pb.TRANSACTION_STATUS_PENDING),
        (1, 1, pb.TRANSACTION_STATUS_SUCCESS),
    ]
    replay = await take(svc.StreamTransactions(n.StreamTransactionsRequest(from_height=1), CTX), 2)
    assert [(e.height, e.index) for e in replay] == [(1, 0), (1, 1)]


async def test_consensus_and_domain_event_streams(svc):
    await submit(svc, signed(ALICE, T.register_domain("alice.ghost")))
    await submit(svc, signed(BOB, T.register_domain("bob.ghost")))
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    await submit(svc, signed(ALICE, T.delete_domain("alice.ghost"), nonce=1))
    await svc.ProposeBlock(n.ProposeBlockRequest(), CTX)
    with trio.fail_after(10):
        cons = await take(
            svc.StreamConsensusEvents(n.StreamConsensusRequest(from_height=0), CTX), 5
        )
        doms = await take(
            svc.StreamDomainEvents(
                n.StreamDomainEventsRequest(from_height=0, names=["alice.ghost"]), CTX
            ),
            2,
        )
    C = n.ConsensusEventType
    assert [(e.height, C.Name(e.type)) for e in cons] == [
        (0, "CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED"),
        (1, "CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED"),
        (1, "CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED"),
        (2, "CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED"),
        (2, "CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED"),
    ]
    assert [(e.height, e.index, e.type, e.deleted) for e in doms] == [
        (1, 0, pb.DOMAIN_EVENT_TYPE_REGISTERED, False),
        (2, 0, pb.DOMAIN_EVENT_TYPE_DELETED, True),
    ]
    assert doms[0].domain.name == "alice.ghost" and not doms[1].HasField("domain")


async def test_rejected_block_is_a_live_consensus_event(svc):
    got: list = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def consume():
                got.extend(
                    await take(svc.StreamConsensusEvents(n.StreamConsensusRequest(), CTX), 1)
                )

            nursery.start_soon(consume)
            await trio.testing.wait_all_tasks_blocked()
            forged = pb.Block(header_bytes=b"\x10\x05")  # height 5, nothing else
            with pytest.raises(Exception, match="does not extend|signature|chain"):
                await svc.node.import_block(forged, "test")
    assert got[0].type == n.CONSENSUS_EVENT_TYPE_BLOCK_REJECTED and got[0].detail


async def test_non_producing_node_checks_then_forwards_or_is_unavailable(svc):
    svc.node.producing = False
    junk = pb.SignedTransaction(tx_bytes=b"\xff\x00", tx_hash=blake3(b"\xff\x00"))
    code, _ = await status_of(submit(svc, junk))
    assert code is StatusCode.INVALID_ARGUMENT  # checked locally, never forwarded
    code, msg = await status_of(submit(svc, transfer()))
    assert code is StatusCode.UNAVAILABLE and "not connected" in msg
    assert not svc.core.mempool


def test_live_only_queues_are_bounded_and_count_drops():
    from ghostd_stub.node import LIVE_BUFFER, Hub

    hub = Hub()
    with hub.subscribe(pending=True) as slow, hub.subscribe() as blocks_only:
        for i in range(LIVE_BUFFER + 6):
            hub.publish_pending(pb.TransactionInfo(sender_address=str(i)))
        assert len(slow.pending) == LIVE_BUFFER and slow.dropped == 6
        assert slow.pending[0].sender_address == "6"  # the oldest went first
        assert blocks_only.pending is None and blocks_only.dropped == 0
    assert not hub.subscribers


async def test_streams_refuse_bad_filters_with_invalid_argument(svc):
    bad_calls = [
        svc.StreamTransactions(n.StreamTransactionsRequest(addresses=["gh1nope"]), CTX),
        svc.StreamDomainEvents(n.StreamDomainEventsRequest(names=["Not A Name"]), CTX),
    ]
    for agen in bad_calls:
        with trio.fail_after(5):
            code, _ = await status_of(take(agen, 1))
        assert code is StatusCode.INVALID_ARGUMENT
