"""The trio side of a node: serialised access to ChainCore, block production, live
notifications for streams, peers (sync from another node) and submission forwarding."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import structlog
import trio
from ghost.node.v1 import node_pb2
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostchain.errors import BlockError
from zcrypto.hashes import blake3

from .chain import ChainCore, Committed, MempoolItem

__all__ = ["Hub", "Node", "PeerState", "Subscription", "VERSION"]

VERSION = "ghostd_stub/0.1.0"
SERVICE = node_pb2.DESCRIPTOR.services_by_name["GhostDService"]
R = TypeVar("R")
_log = structlog.get_logger("ghostd_stub")

# Recently committed blocks kept in memory so live followers need no storage read.
RECENT_BLOCKS = 256
# Live-only events (pending transactions, rejections) buffered per subscriber; beyond this the
# oldest are dropped and counted (they cannot be replayed, by contract).
LIVE_BUFFER = 1024
REPLAY_BATCH = 32


def now_ns() -> int:
    return time.time_ns()


@attrs.define(eq=False)
class Subscription:
    """One stream's view of the hub: a wake-up flag plus bounded live-only queues."""

    pending: deque[pb.TransactionInfo] | None = None
    rejections: deque[node_pb2.ConsensusEvent] | None = None
    dropped: int = 0
    _wakeup: trio.Event = attrs.field(factory=trio.Event)

    def reset(self) -> None:
        """Call before looking at the chain, so a notification after it is not lost."""
        if self._wakeup.is_set():
            self._wakeup = trio.Event()

    async def wait(self) -> None:
        await self._wakeup.wait()

    def wake(self) -> None:
        self._wakeup.set()


@attrs.define(eq=False)
class Hub:
    """In-process broadcast: blocks are announced as 'the tip moved' (subscribers read the
    blocks themselves, from memory or storage, so none is ever missed); live-only events go
    to bounded per-subscriber queues."""

    subscribers: set[Subscription] = attrs.field(factory=set)

    @contextmanager
    def subscribe(
        self, *, pending: bool = False, rejections: bool = False
    ) -> Iterator[Subscription]:
        sub = Subscription(
            pending=deque() if pending else None,
            rejections=deque() if rejections else None,
        )
        self.subscribers.add(sub)
        try:
            yield sub
        finally:
            self.subscribers.discard(sub)

    def notify_tip(self) -> None:
        for sub in self.subscribers:
            sub.wake()

    def _push(self, queue_name: str, item: Any) -> None:
        for sub in self.subscribers:
            queue = getattr(sub, queue_name)
            if queue is None:
                continue
            if len(queue) >= LIVE_BUFFER:
                queue.popleft()
                sub.dropped += 1
            queue.append(item)
            sub.wake()

    def publish_pending(self, info: pb.TransactionInfo) -> None:
        self._push("pending", info)

    def publish_rejection(self, event: node_pb2.ConsensusEvent) -> None:
        self._push("rejections", event)


@attrs.define(eq=False)
class PeerState:
    endpoint: str
    permanent: bool
    inbound: bool = False
    peer_id: str = ""
    connected_since_ns: int = 0
    last_seen_ns: int = 0
    best_height: int = 0
    rtt: float = 0.0
    version: str = ""
    bytes_sent: int = 0
    bytes_received: int = 0
    last_error: str = ""
    channel: Any = None
    scope: trio.CancelScope | None = None

    def __attrs_post_init__(self) -> None:
        if not self.peer_id:
            self.peer_id = peer_id_for(self.endpoint, self.inbound)

    @property
    def connected(self) -> bool:
        return self.connected_since_ns != 0


def peer_id_for(endpoint: str, inbound: bool = False) -> str:
    return ("in-" if inbound else "p-") + blake3(endpoint.encode())[:6].hex()


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" -> (host, port); ValueError naming the problem."""
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(f"endpoint {endpoint!r} must be host:port (port 1-65535)")
    return host.strip("[]"), int(port)


@attrs.define(eq=False)
class Node:
    core: ChainCore
    block_interval: float = 1.0
    producing: bool = False
    client_tls: Any = None
    log: Any = _log
    hub: Hub = attrs.field(factory=Hub)
    lock: trio.Lock = attrs.field(factory=trio.Lock)
    recent: dict[int, Committed] = attrs.field(factory=dict)
    peers: dict[str, PeerState] = attrs.field(factory=dict)  # by endpoint
    bans: dict[str, tuple[int, str]] = attrs.field(factory=dict)  # endpoint -> (until_ns, why)
    mempool_nonempty: trio.Event = attrs.field(factory=trio.Event)
    nursery: trio.Nursery | None = None
    blocks_committed: int = 0
    on_commit: Callable[[Committed], None] | None = None
    tip_height: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.tip_height = self.core.tip().height

    # ---- serialised core access

    async def run_sync(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a ChainCore call in a worker thread, one at a time (SQLite fsyncs happen
        there, never on the event loop). Not abandoned on cancel: a write completes."""
        async with self.lock:
            return await trio.to_thread.run_sync(fn, *args)

    async def start(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery
        dropped = await self.run_sync(self.core.load_mempool, now_ns())
        for item in dropped:
            self.log.info("mempool_dropped", tx_hash=item.stx.tx_hash.hex(), reason="invalid")
        if self.core.mempool:
            self.mempool_nonempty.set()
        self.log.info(
            "chain_loaded",
            chain_id=self.core.chain_id,
            height=self.core.tip().height,
            mempool=len(self.core.mempool),
            validator=self.producing,
        )
        if self.producing:
            nursery.start_soon(self._produce_loop)

    # ---- transactions

    async def submit(self, stx: pb.SignedTransaction) -> MempoolItem:
        item = await self.run_sync(self.core.submit, stx, now_ns())
        self.mempool_nonempty.set()
        self.hub.publish_pending(self.core.mempool_info(item))
        self.log.info(
            "tx_accepted",
            tx_hash=item.stx.tx_hash.hex(),
            kind=T.payload_kind(item.tx),
            nonce=item.tx.nonce,
            size=item.size,
        )
        return item

    async def forward_submit(self, stx: pb.SignedTransaction) -> node_pb2.SubmitTransactionResponse:
        """A follower hands a submission to the node it follows (the producer)."""
        from zquic.rpc import RpcError, StatusCode, Stub

        # Cheap local checks first, so garbage never leaves this node.
        await self.run_sync(self.core.check_new, stx)
        for peer in self.peers.values():
            if peer.channel is not None and not peer.inbound:
                stub = Stub(peer.channel, SERVICE)
                resp = await stub.SubmitTransaction(
                    node_pb2.SubmitTransactionRequest(transaction=stx), timeout=15
                )
                self.log.info("tx_forwarded", tx_hash=stx.tx_hash.hex(), peer=peer.peer_id)
                return resp
        raise RpcError(
            StatusCode.UNAVAILABLE,
            "this node follows another node and is not connected to it; try again later",
        )

    # ---- blocks

    def _committed(self, committed: Committed, source: str) -> None:
        self.tip_height = committed.height
        self.recent[committed.height] = committed
        self.recent.pop(committed.height - RECENT_BLOCKS, None)
        self.blocks_committed += 1
        if not self.core.mempool:
            self.mempool_nonempty = trio.Event()
        for item in committed.dropped:
            self.log.info("mempool_dropped", tx_hash=item.stx.tx_hash.hex(), reason="invalid")
        self.log.info(
            "block_committed",
            height=committed.height,
            hash=committed.block.hash.hex(),
            txs=len(committed.infos),
            source=source,
        )
        if self.on_commit is not None:
            self.on_commit(committed)
        self.hub.notify_tip()

    async def produce(self, *, allow_empty: bool = False, max_txs: int = 0) -> Committed | None:
        def run() -> Committed | None:
            return self.core.produce_block(now_ns(), max_txs=max_txs, allow_empty=allow_empty)

        committed = await self.run_sync(run)
        if committed is not None:
            self._committed(committed, "produced")
        elif not self.core.mempool:
            self.mempool_nonempty = trio.Event()  # a stale wake-up must not spin the loop
        return committed

    async def _produce_loop(self) -> None:
        while True:
            await self.mempool_nonempty.wait()
            # Keep at least block_interval between blocks; a quiet chain answers at once.
            since = (now_ns() - self.core.tip().timestamp_ns) / 1e9
            if since < self.block_interval:
                await trio.sleep(self.block_interval - since)
            try:
                await self.produce()
            except Exception:  # a bug must not stop the chain silently
                self.log.exception("block_production_failed")
                await trio.sleep(self.block_interval)

    async def import_block(self, block: pb.Block, source: str) -> Committed | None:
        try:
            committed = await self.run_sync(self.core.import_block, block, now_ns())
        except BlockError as exc:
            self.reject(block, str(exc), source)
            raise
        if committed is not None:
            self._committed(committed, source)
        return committed

    def reject(self, block: pb.Block, reason: str, source: str) -> None:
        header = block.header if block.HasField("header") else pb.BlockHeader()
        self.log.warning("block_rejected", height=header.height, reason=reason, source=source)
        event = node_pb2.ConsensusEvent(
            height=header.height,
            type=node_pb2.CONSENSUS_EVENT_TYPE_BLOCK_REJECTED,
            block_hash=blake3(block.header_bytes) if block.header_bytes else b"",
            proposer_key=header.proposer_key,
            detail=reason,
        )
        event.timestamp.FromNanoseconds(now_ns())
        self.hub.publish_rejection(event)

    # ---- reads for streams

    async def committed_range(self, start: int, end: int) -> list[Committed]:
        """Blocks start..end from memory when all are recent, else from storage."""
        if all(h in self.recent for h in range(start, end + 1)):
            return [self.recent[h] for h in range(start, end + 1)]
        return await self.run_sync(self.core.committed_range, start, end)

    async def follow(self, sub: Subscription, from_height: int) -> AsyncIterator[Committed | None]:
        """Every committed block from `from_height` on, in order, forever: replay from storage
        then live. Call inside `hub.subscribe()` entered before reading the tip. Yields None
        each time it has caught up (and after a wake-up), so callers can flush live queues."""
        next_height = from_height
        while True:
            sub.reset()
            while next_height <= self.tip_height:
                end = min(self.tip_height, next_height + REPLAY_BATCH - 1)
                for committed in await self.committed_range(next_height, end):
                    yield committed
                    next_height = committed.height + 1
            yield None
            await sub.wait()

    # ---- peers

    def is_banned(self, endpoint: str) -> str | None:
        ban = self.bans.get(endpoint)
        if ban is None:
            return None
        until, reason = ban
        if until <= now_ns():
            del self.bans[endpoint]
            return None
        return reason or "banned"

    def add_peer(self, endpoint: str, permanent: bool) -> tuple[PeerState, bool]:
        parse_endpoint(endpoint)
        existing = self.peers.get(endpoint)
        if existing is not None:
            existing.permanent = existing.permanent or permanent
            return existing, False
        peer = PeerState(endpoint=endpoint, permanent=permanent)
        self.peers[endpoint] = peer
        if self.nursery is not None:
            self.nursery.start_soon(self._follow_peer, peer)
        return peer, True

    def ban(self, endpoint: str, until_ns: int, reason: str) -> None:
        self.bans[endpoint] = (until_ns, reason)
        peer = self.peers.pop(endpoint, None)
        if peer is not None and peer.scope is not None:
            peer.scope.cancel()
        for key, p in list(self.peers.items()):
            if p.inbound and p.endpoint == endpoint and p.scope is not None:
                p.scope.cancel()
                self.peers.pop(key, None)

    async def _follow_peer(self, peer: PeerState) -> None:
        """Pull every block from `peer` from our tip on and keep following; reconnect with
        backoff. Each block is verified (signature, link, transactions) before it is stored."""
        from zquic.rpc import Stub, connect_rpc

        host, port = parse_endpoint(peer.endpoint)
        backoff = 0.2
        with trio.CancelScope() as scope:
            peer.scope = scope
            while True:
                try:
                    async with connect_rpc(host, port, tls=self.client_tls) as channel:
                        stub = Stub(channel, SERVICE)
                        t0 = time.perf_counter()
                        info = await stub.GetBlockchainInfo(
                            node_pb2.GetBlockchainInfoRequest(), timeout=10
                        )
                        peer.rtt = time.perf_counter() - t0
                        if info.genesis_hash != self.core.genesis_hash:
                            peer.last_error = "peer is on another chain (genesis differs)"
                            self.log.error(
                                "peer_wrong_chain", peer=peer.endpoint, chain_id=info.chain_id
                            )
                            await trio.sleep(10)
                            continue
                        peer.version = info.version
                        peer.best_height = info.height
                        peer.connected_since_ns = now_ns()
                        peer.last_seen_ns = now_ns()
                        peer.channel = channel
                        peer.last_error = ""
                        self.log.info("peer_connected", peer=peer.endpoint, height=info.height)
                        request = node_pb2.StreamBlocksRequest(from_height=self.tip_height + 1)
                        metadata = [("ghost-node-version", VERSION)]
                        async with stub.StreamBlocks(request, metadata=metadata) as stream:
                            async for event in stream:
                                peer.last_seen_ns = now_ns()
                                peer.best_height = max(peer.best_height, event.height)
                                peer.bytes_received += event.ByteSize()
                                await self.import_block(event.block, f"peer:{peer.peer_id}")
                                backoff = 0.2
                except BlockError as exc:
                    peer.last_error = str(exc)
                except Exception as exc:  # any transport/RPC failure: retry later
                    peer.last_error = str(exc) or type(exc).__name__
                    self.log.info("peer_disconnected", peer=peer.endpoint, error=peer.last_error)
                finally:
                    peer.channel = None
                    peer.connected_since_ns = 0
                await trio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
