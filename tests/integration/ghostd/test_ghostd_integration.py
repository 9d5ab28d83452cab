"""Real ghostd_stub processes over QUIC: every RPC, two-node sync, stream resume, SIGKILL."""

from __future__ import annotations

import contextlib

import pytest
import trio
from gdi_support import (
    FEE,
    block_at,
    node_stub,
    signed,
    start_node,
    submit,
    take,
    wait_included,
)
from ghost.node.v1 import node_pb2 as N
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostchain.genesis import DEV_ACCOUNT_BALANCE, dev_account
from zcrypto.hashes import blake3
from zquic.rpc import RpcError, StatusCode

ALICE = dev_account("alice")
BOB = dev_account("bob")
CAROL = dev_account("carol")

pytestmark = pytest.mark.timeout(120)


async def rpc_status(coro) -> StatusCode:
    with pytest.raises(RpcError) as info:
        await coro
    assert info.value.message
    return info.value.code


async def http_get(port: int, path: str) -> str:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    return data.decode()


async def test_every_rpc_over_quic(launch, tmp_path):
    # A long interval: the first transaction is included at once (the chain was quiet), later
    # ones wait in the mempool until ProposeBlock, which makes the mempool RPCs deterministic.
    node, port = await start_node(launch, tmp_path, interval="1h")
    with trio.fail_after(60):
        async with node_stub(tmp_path, port) as stub:
            info = await stub.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)
            assert info.chain_id == "ghostnet-dev" and info.height == 0
            t1 = signed(ALICE, T.transfer(BOB.address, 1234), 0)
            resp = await submit(stub, t1)
            assert resp.status == pb.TRANSACTION_STATUS_PENDING and resp.tx_hash == t1.tx_hash
            first = await take(stub.StreamBlocks(N.StreamBlocksRequest(from_height=1)), 1)
            assert first[0].height == 1 and first[0].block.transactions[0].tx_hash == t1.tx_hash

            www = T.record(pb.RECORD_TYPE_A, "10.1.2.3", host="www")
            t2 = signed(ALICE, T.register_domain("alice.ghost", records=[www]), 1)
            t3 = signed(BOB, T.register_identity("bob", metadata={"url": "https://b"}), 0)
            await submit(stub, t2)
            await submit(stub, t3)
            mi = await stub.GetMempoolInfo(N.GetMempoolInfoRequest(), timeout=5)
            assert mi.size == 2 and mi.total_fee == 2 * FEE
            raw = await stub.GetRawMempool(N.GetRawMempoolRequest(), timeout=5)
            assert list(raw.tx_hashes) == [t2.tx_hash, t3.tx_hash]
            entry = await stub.GetMempoolEntry(
                N.GetMempoolEntryRequest(tx_hash=t3.tx_hash), timeout=5
            )
            assert entry.entry.sender_address == BOB.address_text

            proposed = await stub.ProposeBlock(N.ProposeBlockRequest(), timeout=10)
            blk = proposed.block
            assert blk.header.height == 2 and len(blk.transactions) == 2
            assert (await stub.GetBlock(N.GetBlockRequest(hash=blk.hash), timeout=5)).block == blk
            got = await stub.GetBlock(N.GetBlockRequest(height=2, header_only=True), timeout=5)
            assert got.block.header_bytes == blk.header_bytes and not got.block.transactions
            bh = await stub.GetBlockHash(N.GetBlockHashRequest(height=2), timeout=5)
            best = await stub.GetBestBlockHash(N.GetBestBlockHashRequest(), timeout=5)
            assert bh.hash == best.hash == blk.hash and best.height == 2
            valid = await stub.ValidateBlock(N.ValidateBlockRequest(block=blk), timeout=5)
            assert valid.valid and valid.hash == blk.hash

            tx = await stub.GetTransaction(N.GetTransactionRequest(tx_hash=t2.tx_hash), timeout=5)
            assert tx.transaction.receipt.block_height == 2
            hist = await stub.GetTransactionsByAddress(
                N.GetTransactionsByAddressRequest(address=BOB.address_text), timeout=5
            )
            assert [t.signed.tx_hash for t in hist.transactions] == [t3.tx_hash, t1.tx_hash]
            acc = await stub.GetAccount(N.GetAccountRequest(address=BOB.address_text), timeout=5)
            assert acc.account.balance == DEV_ACCOUNT_BALANCE + 1234 - FEE
            dom = await stub.GetDomain(N.GetDomainRequest(name="alice.ghost"), timeout=5)
            assert dom.domain.owner_address == ALICE.address_text
            res = await stub.ResolveDomain(
                N.ResolveDomainRequest(name="www.alice.ghost"), timeout=5
            )
            assert [r.value for r in res.records] == ["10.1.2.3"] and res.host == "www"
            lst = await stub.ListDomains(N.ListDomainsRequest(), timeout=5)
            assert [d.name for d in lst.domains] == ["alice.ghost"]
            ident = await stub.GetIdentity(N.GetIdentityRequest(name="bob"), timeout=5)
            assert ident.identity.public_key.key == BOB.public_key
            cons = await stub.GetConsensusInfo(N.GetConsensusInfoRequest(), timeout=5)
            assert cons.is_validator and cons.height == 2

            added = await stub.AddPeer(N.AddPeerRequest(endpoint="127.0.0.1:9"), timeout=5)
            peers = await stub.GetPeerInfo(N.GetPeerInfoRequest(), timeout=5)
            assert [p.peer_id for p in peers.peers] == [added.peer_id]
            ban = await stub.BanPeer(N.BanPeerRequest(peer_id=added.peer_id), timeout=5)
            assert ban.banned_until.seconds > 0

            blocks = await take(stub.StreamBlocks(N.StreamBlocksRequest(from_height=0)), 3)
            assert [e.height for e in blocks] == [0, 1, 2]
            txs = await take(stub.StreamTransactions(N.StreamTransactionsRequest(from_height=0)), 3)
            assert [(e.height, e.index) for e in txs] == [(1, 0), (2, 0), (2, 1)]
            ce = await take(stub.StreamConsensusEvents(N.StreamConsensusRequest(from_height=1)), 2)
            assert [e.type for e in ce] == [
                N.CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED,
                N.CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED,
            ]
            de = await take(stub.StreamDomainEvents(N.StreamDomainEventsRequest(from_height=0)), 1)
            assert de[0].name == "alice.ghost" and de[0].height == 2

            # Bad input: a status and a readable message, never INTERNAL.
            junk = pb.SignedTransaction(tx_bytes=b"\xff\x01", tx_hash=blake3(b"\xff\x01"))
            assert await rpc_status(submit(stub, junk)) is StatusCode.INVALID_ARGUMENT
            forged = signed(ALICE, T.transfer(BOB.address, 1), 2)
            forged.signature = bytes(64)
            assert await rpc_status(submit(stub, forged)) is StatusCode.INVALID_ARGUMENT
            wrong_chain = signed(ALICE, T.transfer(BOB.address, 1), 2, chain_id="elsewhere")
            assert await rpc_status(submit(stub, wrong_chain)) is StatusCode.INVALID_ARGUMENT
            assert await rpc_status(submit(stub, t1)) is StatusCode.ALREADY_EXISTS
            replay = signed(ALICE, T.transfer(BOB.address, 1), 0)
            assert await rpc_status(submit(stub, replay)) is StatusCode.FAILED_PRECONDITION
            assert (
                await rpc_status(stub.GetBlock(N.GetBlockRequest(height=999), timeout=5))
                is StatusCode.NOT_FOUND
            )
            assert (
                await rpc_status(stub.GetBlock(N.GetBlockRequest(hash=b"\x00" * 32), timeout=5))
                is StatusCode.NOT_FOUND
            )
            assert (
                await rpc_status(stub.GetAccount(N.GetAccountRequest(address="gh1bad"), timeout=5))
                is StatusCode.INVALID_ARGUMENT
            )
            assert (
                await rpc_status(stub.GetDomain(N.GetDomainRequest(name="nobody.ghost"), timeout=5))
                is StatusCode.NOT_FOUND
            )

        metrics = await http_get(node.admin_port, "/metrics")
        assert 'method="SubmitTransaction"' in metrics and "ghostd_chain_height 2.0" in metrics
        assert "INTERNAL" not in metrics
        # Every handler is counted in flight; all returned, so each series is back at 0.
        assert (
            'ghost_rpc_in_flight{method="SubmitTransaction",service="ghost.node.v1.GhostDService"}'
            " 0.0" in metrics
        )
    assert await node.stop() == 0
    assert "Traceback" not in node.text


async def test_second_node_syncs_and_follows(launch, tmp_path):
    certs = tmp_path / "shared"  # one dev CA for both nodes
    a, a_port = await start_node(launch, certs, data_dir=tmp_path / "a")
    with trio.fail_after(60):
        async with node_stub(certs, a_port) as sa:
            sent = [signed(ALICE, T.transfer(CAROL.address, 10 + n), n) for n in range(3)]
            for stx in sent:
                await submit(sa, stx)
            await wait_included(sa, sent[-1].tx_hash)
        b, b_port = await start_node(
            launch, certs, "--peers", f"127.0.0.1:{a_port}", data_dir=tmp_path / "b"
        )
        async with node_stub(certs, a_port) as sa, node_stub(certs, b_port) as sb:
            info_b = await sb.GetConsensusInfo(N.GetConsensusInfoRequest(), timeout=5)
            assert not info_b.is_validator
            # Submitted to the follower: it forwards to the producer.
            fwd = signed(BOB, T.register_domain("bob.ghost"), 0)
            await submit(sb, fwd)
            last = signed(ALICE, T.transfer(CAROL.address, 99), 3)
            await submit(sa, last)
            for stx in (fwd, last):
                await wait_included(sa, stx.tx_hash)
                await wait_included(sb, stx.tx_hash)
            # Both included and the mempool empty: the producer makes no further block, so
            # its best block is final for this test and the follower must hold the same one.
            mem = await sa.GetMempoolInfo(N.GetMempoolInfoRequest(), timeout=5)
            assert mem.size == 0
            best_a = await sa.GetBestBlockHash(N.GetBestBlockHashRequest(), timeout=5)
            at_b = await block_at(sb, best_a.height)
            assert at_b.block.hash == best_a.hash
            best_b = await sb.GetBestBlockHash(N.GetBestBlockHashRequest(), timeout=5)
            assert best_b.hash == best_a.hash
            for who in (ALICE, BOB, CAROL):
                req = N.GetAccountRequest(address=who.address_text)
                acc_a = (await sa.GetAccount(req, timeout=5)).account
                acc_b = (await sb.GetAccount(req, timeout=5)).account
                assert acc_a == acc_b
            dom = await sb.GetDomain(N.GetDomainRequest(name="bob.ghost"), timeout=5)
            assert dom.domain.owner_address == BOB.address_text
            peers_b = (await sb.GetPeerInfo(N.GetPeerInfoRequest(), timeout=5)).peers
            assert [p.endpoint for p in peers_b] == [f"127.0.0.1:{a_port}"]
            assert peers_b[0].best_height >= 2 and peers_b[0].HasField("connected_since")
            peers_a = (await sa.GetPeerInfo(N.GetPeerInfoRequest(), timeout=5)).peers
            assert any(p.inbound for p in peers_a)
    assert await b.stop() == 0
    assert await a.stop() == 0
    for daemon in (a, b):
        assert "Traceback" not in daemon.text, daemon.text[-3000:]


async def test_stream_resume_after_disconnect_has_no_gap_and_no_duplicate(launch, tmp_path):
    node, port = await start_node(launch, tmp_path, interval="0.1")
    hashes = [signed(ALICE, T.transfer(BOB.address, 1 + n), n) for n in range(12)]
    seen: list[tuple[int, int, bytes]] = []
    with trio.fail_after(60):
        async with node_stub(tmp_path, port) as stub:

            async def feeder():
                # Three groups, each waited into a block before the next: several blocks.
                for group in (hashes[:4], hashes[4:8], hashes[8:]):
                    for stx in group:
                        await submit(stub, stx)
                    await wait_included(stub, group[-1].tx_hash)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(feeder)
                req = N.StreamTransactionsRequest(from_height=0)
                for event in await take(stub.StreamTransactions(req), 4):
                    seen.append((event.height, event.index, event.transaction.signed.tx_hash))
            # Disconnected while the chain moved on; resume from the last height seen.
            while len(seen) < len(hashes):
                # Reconnect with the last height seen; take up to 3 new events, then drop again.
                req = N.StreamTransactionsRequest(from_height=seen[-1][0])
                target = min(len(seen) + 3, len(hashes))
                async with stub.StreamTransactions(req) as stream:
                    async for event in stream:
                        key = (event.height, event.index, event.transaction.signed.tx_hash)
                        if key[:2] <= seen[-1][:2]:
                            assert key in seen  # a replay of something seen, never a new item
                            continue
                        seen.append(key)
                        if len(seen) == target:
                            break
    assert [h for _, _, h in seen] == [s.tx_hash for s in hashes]
    assert seen == sorted(seen) and len({k[:2] for k in seen}) == len(seen)
    assert len({h for h, _, _ in seen}) > 1  # spread over several blocks
    assert await node.stop() == 0
    assert "Traceback" not in node.text


async def test_sigkill_keeps_every_acknowledged_transaction_and_block(launch, tmp_path):
    node, port = await start_node(launch, tmp_path, interval="0.1")
    acked: list[bytes] = []
    blocks: dict[int, bytes] = {}
    with trio.fail_after(60):
        async with node_stub(tmp_path, port) as stub:

            async def watch_blocks():
                async with stub.StreamBlocks(N.StreamBlocksRequest(from_height=0)) as stream:
                    async for event in stream:
                        blocks[event.height] = event.block.hash

            async def in_flight(nonce: int) -> None:
                with contextlib.suppress(RpcError):  # it may or may not be acknowledged
                    await submit(stub, signed(ALICE, T.transfer(BOB.address, 1), nonce))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(watch_blocks)
                try:
                    for n in range(1000):
                        stx = signed(ALICE, T.transfer(BOB.address, 1), n)
                        await submit(stub, stx)
                        acked.append(stx.tx_hash)
                        if len(acked) >= 30 and len(blocks) >= 3:
                            # Mid-stream: the next submission is already on its way.
                            nursery.start_soon(in_flight, n + 1)
                            await node.kill()
                            break
                except RpcError:
                    pass  # the connection died with the process
                nursery.cancel_scope.cancel()
    assert not node.running and len(acked) >= 30 and len(blocks) >= 3
    node2, _ = await start_node(launch, tmp_path, port=port, interval="0.1")
    with trio.fail_after(60):
        async with node_stub(tmp_path, port) as stub:
            for height, block_hash in blocks.items():
                got = await stub.GetBlockHash(N.GetBlockHashRequest(height=height), timeout=5)
                assert got.hash == block_hash, f"block {height} changed or vanished"
            for tx_hash in acked:
                info = await wait_included(stub, tx_hash)  # restored mempool gets mined
                assert info.receipt.status == pb.TRANSACTION_STATUS_SUCCESS
    assert await node2.stop() == 0
    assert "Traceback" not in node2.text


async def test_registers_with_bridge_renews_and_releases_lease(launch, tmp_path):
    """A stand-in registry (zquic.rpc control handler) sees SERVICE_REGISTER, lease renewals
    by HEALTH_CHECK, and the release on SIGTERM."""
    from ghost.bridge.v1 import bridge_pb2 as BR
    from ghostkit.certs import ensure_dev_certs
    from zquic.rpc import RpcServer, serve_rpc
    from zquic.rpc.frames import FrameType
    from zquic.tls import TLSConfig

    seen: list = []
    renewed = trio.Event()
    released = trio.Event()

    async def registry(ftype, message, peer):
        seen.append(message)
        if ftype == FrameType.SERVICE_REGISTER:
            return BR.RegisterResponse(
                result=BR.Status(code=0), lease_id="lease-1", ttl_ms=600, instance_id="gd-1"
            )
        assert message.lease_id == "lease-1" and message.instance_id == "gd-1"
        if message.release:
            released.set()
        elif sum(isinstance(m, BR.HealthCheckRequest) for m in seen) >= 2:
            renewed.set()
        return BR.HealthCheckResponse(result=BR.Status(code=0), ttl_ms=600)

    certs = ensure_dev_certs(tmp_path)
    tls = TLSConfig.from_dev_certs(certs, "ghostbridge", server=True)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            endpoint = await nursery.start(
                lambda task_status: serve_rpc(
                    RpcServer(control_handler=registry),
                    "127.0.0.1",
                    0,
                    tls=tls,
                    task_status=task_status,
                )
            )
            bridge_port = endpoint.local_address[1]
            node, port = await start_node(
                launch, tmp_path, "--bridge-endpoint", f"127.0.0.1:{bridge_port}"
            )
            await renewed.wait()
            reg = seen[0].registration
            assert reg.service == "ghost.node.v1.GhostDService"
            assert (reg.endpoint.host, reg.endpoint.port) == ("127.0.0.1", port)
            assert "SubmitTransaction" in reg.methods and reg.lease_ttl_ms > 0
            assert await node.stop() == 0
            await released.wait()
            nursery.cancel_scope.cancel()
    assert node.events("bridge_registered") and "Traceback" not in node.text


async def test_secrets_stay_out_of_logs_and_metrics(launch, tmp_path):
    """A node with a generated validator key, its passphrase and an admin token, logging at
    debug: none of the three secrets appears in its output or on /metrics."""
    from zcrypto.keyfile import open_key, read_key_file

    key_file = tmp_path / "validator.key"
    passphrase, token = "pass-Phr4se-xyz", "adm1n-t0ken-xyz"
    node, port = await start_node(
        launch,
        tmp_path,
        "--log-level",
        "debug",
        "--validator-key-file",
        str(key_file),
        "--admin-token",
        token,
        env={"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": passphrase},
    )
    with trio.fail_after(30):
        created = await node.wait_event("validator_key_created")
        async with node_stub(tmp_path, port) as stub:
            info = await stub.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)
            assert info.validator_key.key.hex() == created["public_key"]
            # Without the token, admin RPCs are refused even from loopback.
            denied = stub.ProposeBlock(N.ProposeBlockRequest(allow_empty=True), timeout=5)
            assert await rpc_status(denied) is StatusCode.PERMISSION_DENIED
            ok = await stub.ProposeBlock(
                N.ProposeBlockRequest(allow_empty=True),
                timeout=5,
                metadata=[("authorization", f"Bearer {token}")],
            )
            assert ok.block.header.height == 1
        metrics = await http_get(node.admin_port, "/metrics")
    assert await node.stop() == 0
    _, seed = open_key(read_key_file(key_file), passphrase)
    for secret in (passphrase, token, seed.hex()):
        assert secret not in node.text and secret not in metrics


async def test_follower_reconnects_after_producer_restart(launch, tmp_path):
    certs = tmp_path / "shared"
    a, a_port = await start_node(launch, certs, data_dir=tmp_path / "a")
    b, b_port = await start_node(
        launch, certs, "--peers", f"127.0.0.1:{a_port}", data_dir=tmp_path / "b"
    )
    with trio.fail_after(60):
        await b.wait_event("peer_connected")
        assert await a.stop() == 0  # the follower loses its peer and retries
        await b.wait_event("peer_disconnected")
        mark = len(b.lines)
        a2, _ = await start_node(launch, certs, data_dir=tmp_path / "a", port=a_port)
        await b.wait_event("peer_connected", start=mark)  # reconnected by itself
        async with node_stub(certs, a_port) as sa, node_stub(certs, b_port) as sb:
            stx = signed(ALICE, T.transfer(CAROL.address, 5), 0)
            await submit(sb, stx)  # forwarded to the restarted producer
            await wait_included(sb, stx.tx_hash)
            best_a = await sa.GetBestBlockHash(N.GetBestBlockHashRequest(), timeout=5)
            at_b = await block_at(sb, best_a.height)
            assert at_b.block.hash == best_a.hash
            best_b = await sb.GetBestBlockHash(N.GetBestBlockHashRequest(), timeout=5)
            assert best_b.height >= 1
    for daemon in (b, a2):
        assert await daemon.stop() == 0
        assert "Traceback" not in daemon.text
