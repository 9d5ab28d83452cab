"""GhostDService: every RPC of proto/ghost/node/v1/node.proto over a Node.

Handlers translate between protobuf and the node, and turn every refusal into a gRPC status
with a readable message (ghostchain TxError codes name their status). Nothing here touches
SQLite directly.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import AsyncIterator
from typing import Any

import attrs
from ghost.node.v1 import node_pb2 as npb
from ghost.node.v1 import types_pb2 as pb
from ghostchain import tx as T
from ghostchain.errors import BlockError, TxError
from ghostchain.names import validate_domain_name, validate_identity_name
from google.protobuf.duration_pb2 import Duration
from zcrypto.address import format_address, parse_address
from zcrypto.compare import constant_time_equal
from zcrypto.errors import InvalidAddressError
from zcrypto.hashes import blake3
from zquic.rpc import RpcError, StatusCode

from .chain import ChainCore, stored_info
from .node import VERSION, Node, PeerState, now_ns, parse_endpoint, peer_id_for
from .storage import PeerRow

__all__ = ["GhostDService", "DEFAULT_BAN", "DEFAULT_PAGE_SIZE", "MAX_BAN", "MAX_PAGE_SIZE"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_BAN = 24 * 3600
# Longest ban BanPeer accepts (10 years); longer durations are refused with INVALID_ARGUMENT.
MAX_BAN = 10 * 365 * 24 * 3600
# Tokens this server issues are short; anything longer is not one of them.
MAX_TOKEN_CHARS = 1024
# Offsets in page tokens stay far below SQLite's signed 64-bit limit.
MAX_OFFSET = 2**62


def _invalid(message: str) -> RpcError:
    return RpcError(StatusCode.INVALID_ARGUMENT, message)


def tx_error(exc: TxError) -> RpcError:
    return RpcError(StatusCode[exc.grpc_status], exc.message)


def _hash32(value: bytes, field: str) -> bytes:
    if len(value) != 32:
        raise _invalid(f"{field} must be a 32-byte hash, got {len(value)} bytes")
    return value


def _address(text: str, field: str = "address") -> bytes:
    if not text:
        raise _invalid(f"{field} is required (gh1... text form)")
    try:
        return parse_address(text)
    except InvalidAddressError as exc:
        raise _invalid(f"{field}: {exc}") from None


def _duration(seconds: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def _page_size(requested: int) -> int:
    return DEFAULT_PAGE_SIZE if requested == 0 else min(requested, MAX_PAGE_SIZE)


def _filter_key(*parts: object) -> str:
    return blake3(repr(parts).encode())[:6].hex()


def _encode_token(cursor: object, fkey: str) -> str:
    raw = json.dumps({"c": cursor, "f": fkey}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, fkey: str) -> Any:
    """The cursor in `token`, or None for the first page; INVALID_ARGUMENT if foreign."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid("page_token is not a token this server issued")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        cursor, key = data["c"], data["f"]
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        raise _invalid("page_token is not a token this server issued") from None
    if key != fkey:
        raise _invalid("page_token belongs to a request with different filters")
    return cursor


def _offset(token: str, fkey: str) -> int:
    cursor = _decode_token(token, fkey)
    if cursor is None:
        return 0
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= MAX_OFFSET:
        raise _invalid("page_token is not a token this server issued")
    return cursor


def _ban_seconds(request: npb.BanPeerRequest) -> float:
    """The ban length BanPeer asked for: unset or zero = DEFAULT_BAN; INVALID_ARGUMENT
    outside 0..MAX_BAN (checked before anything changes)."""
    if not request.HasField("duration"):
        return DEFAULT_BAN
    d = request.duration
    if not -999_999_999 <= d.nanos <= 999_999_999 or (d.seconds * d.nanos < 0):
        raise _invalid("duration is not a valid Duration (nanos out of range or of another sign)")
    nanos = d.seconds * 1_000_000_000 + d.nanos
    if not 0 <= nanos <= MAX_BAN * 1_000_000_000:
        raise _invalid(
            f"duration must be between 0 and {MAX_BAN} s (10 years); 0 or unset means"
            f" {DEFAULT_BAN} s (24 h), got {nanos / 1e9:g} s"
        )
    return nanos / 1e9 or DEFAULT_BAN


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON can carry
        return False
    return True


def _strip(block: pb.Block, header_only: bool) -> pb.Block:
    if not header_only or not block.transactions:
        return block
    out = pb.Block()
    out.CopyFrom(block)
    del out.transactions[:]
    return out


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@attrs.define(eq=False)
class GhostDService:
    """Bind with `RpcServer.add_service(SERVICE, GhostDService(node, ...))`."""

    node: Node
    admin_token: str = attrs.field(default="", repr=False)

    @property
    def core(self) -> ChainCore:
        return self.node.core

    def _require_admin(self, context: Any) -> None:
        """Admin RPCs: with an admin token configured, callers must send
        `authorization: Bearer <token>`; without one, only loopback callers may."""
        if self.admin_token:
            given = ""
            for key, value in getattr(context, "metadata", ()) or ():
                if key == "authorization" and isinstance(value, str):
                    given = value.removeprefix("Bearer ").strip()
            if not constant_time_equal(given.encode(), self.admin_token.encode()):
                raise RpcError(
                    StatusCode.PERMISSION_DENIED,
                    "admin RPC: send the node's admin token as 'authorization: Bearer <token>'",
                )
            return
        peer = getattr(context, "peer", None)
        if not _is_loopback(getattr(peer, "address", None)):
            raise RpcError(
                StatusCode.PERMISSION_DENIED,
                "admin RPC: allowed from loopback only (or configure an admin token)",
            )

    # ---- blockchain

    async def GetBlockchainInfo(
        self, request: npb.GetBlockchainInfoRequest, context: Any
    ) -> npb.GetBlockchainInfoResponse:
        core = self.core
        async with self.node.lock:
            tip = core.tip()
            mempool_size = len(core.mempool)
        resp = npb.GetBlockchainInfoResponse(
            chain_id=core.chain_id,
            height=tip.height,
            best_block_hash=tip.hash,
            genesis_hash=core.genesis_hash,
            validator_key=pb.PublicKey(
                key_type=pb.KEY_TYPE_ED25519, key=core.genesis.validator_key
            ),
            validator_address=format_address(core.validator_address),
            mempool_size=mempool_size,
            fee_schedule=core.fee_schedule.to_proto(),
            block_interval=_duration(self.node.block_interval),
            version=VERSION,
        )
        resp.best_block_time.FromNanoseconds(tip.timestamp_ns)
        return resp

    async def GetBlock(self, request: npb.GetBlockRequest, context: Any) -> npb.GetBlockResponse:
        which = request.WhichOneof("selector")
        with_txs = not request.header_only
        if which == "height":
            block = await self.node.run_sync(
                lambda: self.core.get_block(height=request.height, with_txs=with_txs)
            )
            if block is None:
                raise RpcError(
                    StatusCode.NOT_FOUND,
                    f"no block at height {request.height} (best height is {self.node.tip_height})",
                )
        elif which == "hash":
            h = _hash32(request.hash, "hash")
            block = await self.node.run_sync(
                lambda: self.core.get_block(block_hash=h, with_txs=with_txs)
            )
            if block is None:
                raise RpcError(StatusCode.NOT_FOUND, f"no block with hash {h.hex()}")
        else:
            raise _invalid("set either height or hash")
        return npb.GetBlockResponse(block=block)

    async def GetBlockHash(
        self, request: npb.GetBlockHashRequest, context: Any
    ) -> npb.GetBlockHashResponse:
        h = await self.node.run_sync(self.core.storage.hash_at, request.height)
        if h is None:
            raise RpcError(
                StatusCode.NOT_FOUND,
                f"no block at height {request.height} (best height is {self.node.tip_height})",
            )
        return npb.GetBlockHashResponse(hash=h)

    async def GetBestBlockHash(
        self, request: npb.GetBestBlockHashRequest, context: Any
    ) -> npb.GetBestBlockHashResponse:
        async with self.node.lock:
            tip = self.core.tip()
        return npb.GetBestBlockHashResponse(hash=tip.hash, height=tip.height)

    # ---- mempool

    async def GetMempoolInfo(
        self, request: npb.GetMempoolInfoRequest, context: Any
    ) -> npb.GetMempoolInfoResponse:
        async with self.node.lock:  # a worker thread may be changing the mempool
            items = list(self.core.mempool.values())
        return npb.GetMempoolInfoResponse(
            size=len(items),
            total_bytes=sum(i.size for i in items),
            total_fee=sum(i.tx.fee for i in items),
            max_bytes=self.core.mempool_max_bytes,
            fee_schedule=self.core.fee_schedule.to_proto(),
        )

    async def GetRawMempool(
        self, request: npb.GetRawMempoolRequest, context: Any
    ) -> npb.GetRawMempoolResponse:
        fkey = _filter_key("mempool")
        offset = _offset(request.page_token, fkey)
        size = _page_size(request.page_size)
        async with self.node.lock:
            hashes = list(self.core.mempool.keys())
        page = hashes[offset : offset + size]
        more = offset + size < len(hashes)
        return npb.GetRawMempoolResponse(
            tx_hashes=page, next_page_token=_encode_token(offset + size, fkey) if more else ""
        )

    async def GetMempoolEntry(
        self, request: npb.GetMempoolEntryRequest, context: Any
    ) -> npb.GetMempoolEntryResponse:
        h = _hash32(request.tx_hash, "tx_hash")
        async with self.node.lock:
            item = self.core.mempool.get(h)
        if item is None:
            height = await self.node.run_sync(self.core.storage.has_tx, h)
            where = f"; it was included in block {height}" if height is not None else ""
            raise RpcError(
                StatusCode.NOT_FOUND, f"transaction {h.hex()} is not in the mempool{where}"
            )
        entry = npb.MempoolEntry(
            tx_hash=h,
            fee=item.tx.fee,
            size=item.size,
            sender_address=format_address(item.tx.sender),
            nonce=item.tx.nonce,
            transaction=item.stx,
        )
        entry.time_added.FromNanoseconds(item.time_added_ns)
        return npb.GetMempoolEntryResponse(entry=entry)

    # ---- peers

    def _peer_proto(self, peer: PeerState) -> npb.PeerInfo:
        info = npb.PeerInfo(
            peer_id=peer.peer_id,
            endpoint=peer.endpoint,
            inbound=peer.inbound,
            best_height=peer.best_height,
            rtt=_duration(peer.rtt),
            version=peer.version,
            bytes_sent=peer.bytes_sent,
            bytes_received=peer.bytes_received,
            permanent=peer.permanent,
        )
        if peer.connected_since_ns:
            info.connected_since.FromNanoseconds(peer.connected_since_ns)
        if peer.last_seen_ns:
            info.last_seen.FromNanoseconds(peer.last_seen_ns)
        return info

    async def GetPeerInfo(
        self, request: npb.GetPeerInfoRequest, context: Any
    ) -> npb.GetPeerInfoResponse:
        fkey = _filter_key("peers")
        offset = _offset(request.page_token, fkey)
        size = _page_size(request.page_size)
        peers = sorted(self.node.peers.values(), key=lambda p: p.peer_id)
        page = peers[offset : offset + size]
        more = offset + size < len(peers)
        return npb.GetPeerInfoResponse(
            peers=[self._peer_proto(p) for p in page],
            next_page_token=_encode_token(offset + size, fkey) if more else "",
        )

    async def AddPeer(self, request: npb.AddPeerRequest, context: Any) -> npb.AddPeerResponse:
        self._require_admin(context)
        try:
            parse_endpoint(request.endpoint)
        except ValueError as exc:
            raise _invalid(str(exc)) from None
        banned = self.node.is_banned(request.endpoint)
        if banned is not None:
            raise RpcError(
                StatusCode.FAILED_PRECONDITION, f"peer {request.endpoint} is banned ({banned})"
            )
        if request.permanent:  # stored first: a failed save changes nothing
            await self.node.run_sync(
                self.core.storage.peer_save, PeerRow(request.endpoint, True, 0, "")
            )
        peer, added = self.node.add_peer(request.endpoint, request.permanent)
        return npb.AddPeerResponse(peer_id=peer.peer_id, added=added)

    async def BanPeer(self, request: npb.BanPeerRequest, context: Any) -> npb.BanPeerResponse:
        self._require_admin(context)
        which = request.WhichOneof("peer")
        if which == "peer_id":
            match = [p for p in self.node.peers.values() if p.peer_id == request.peer_id]
            if not match:
                raise RpcError(StatusCode.NOT_FOUND, f"no peer with id {request.peer_id!r}")
            endpoint = match[0].endpoint
        elif which == "endpoint":
            try:
                parse_endpoint(request.endpoint)
            except ValueError as exc:
                raise _invalid(str(exc)) from None
            endpoint = request.endpoint
        else:
            raise _invalid("set either peer_id or endpoint")
        seconds = _ban_seconds(request)
        until = now_ns() + int(seconds * 1e9)
        # Stored first, then enforced: a failed save leaves neither a ban nor a half one.
        await self.node.run_sync(
            self.core.storage.peer_save, PeerRow(endpoint, False, until, request.reason)
        )
        self.node.ban(endpoint, until, request.reason)
        resp = npb.BanPeerResponse()
        resp.banned_until.FromNanoseconds(until)
        return resp

    # ---- consensus

    async def GetConsensusInfo(
        self, request: npb.GetConsensusInfoRequest, context: Any
    ) -> npb.GetConsensusInfoResponse:
        core = self.core
        async with self.node.lock:
            tip = core.tip()
        key = pb.PublicKey(key_type=pb.KEY_TYPE_ED25519, key=core.genesis.validator_key)
        resp = npb.GetConsensusInfoResponse(
            algorithm="poa",
            validators=[
                npb.Validator(
                    public_key=key,
                    address=format_address(core.validator_address),
                    blocks_proposed=tip.height,  # every block after genesis
                )
            ],
            next_proposer_key=key,
            height=tip.height,
            finalized_height=tip.height,
            block_interval=_duration(self.node.block_interval),
            is_validator=self.node.producing,
        )
        resp.last_block_time.FromNanoseconds(tip.timestamp_ns)
        return resp

    async def ProposeBlock(
        self, request: npb.ProposeBlockRequest, context: Any
    ) -> npb.ProposeBlockResponse:
        self._require_admin(context)
        if not self.node.producing:
            raise RpcError(
                StatusCode.FAILED_PRECONDITION,
                "this node does not produce blocks (no validator key, or it follows a peer)",
            )
        async with self.node.lock:
            empty = not self.core.mempool
        if empty and not request.allow_empty:
            raise RpcError(
                StatusCode.FAILED_PRECONDITION,
                "the mempool is empty; set allow_empty to produce an empty block",
            )
        committed = await self.node.produce(
            allow_empty=request.allow_empty, max_txs=request.max_transactions
        )
        if committed is None:
            raise RpcError(
                StatusCode.FAILED_PRECONDITION, "no transaction in the mempool is valid any more"
            )
        return npb.ProposeBlockResponse(block=committed.block)

    async def ValidateBlock(
        self, request: npb.ValidateBlockRequest, context: Any
    ) -> npb.ValidateBlockResponse:
        if not request.HasField("block"):
            raise _invalid("block is required")
        block = request.block
        computed = blake3(block.header_bytes) if block.header_bytes else b""
        try:
            await self.node.run_sync(self.core.validate_block, block)
        except BlockError as exc:
            return npb.ValidateBlockResponse(valid=False, error=str(exc), hash=computed)
        return npb.ValidateBlockResponse(valid=True, hash=computed)

    # ---- transactions and accounts

    async def SubmitTransaction(
        self, request: npb.SubmitTransactionRequest, context: Any
    ) -> npb.SubmitTransactionResponse:
        if not request.HasField("transaction"):
            raise _invalid("transaction is required")
        stx = request.transaction
        try:
            if not self.node.producing:
                # Only the producer keeps a mempool; a follower hands submissions over.
                return await self.node.forward_submit(stx)
            item = await self.node.submit(stx)
        except TxError as exc:
            raise tx_error(exc) from None
        return npb.SubmitTransactionResponse(
            tx_hash=item.stx.tx_hash, status=pb.TRANSACTION_STATUS_PENDING
        )

    async def GetTransaction(
        self, request: npb.GetTransactionRequest, context: Any
    ) -> npb.GetTransactionResponse:
        h = _hash32(request.tx_hash, "tx_hash")
        info = await self.node.run_sync(self.core.transaction, h)
        if info is None:
            raise RpcError(StatusCode.NOT_FOUND, f"transaction {h.hex()} not found")
        return npb.GetTransactionResponse(transaction=info)

    async def GetTransactionsByAddress(
        self, request: npb.GetTransactionsByAddressRequest, context: Any
    ) -> npb.GetTransactionsByAddressResponse:
        address = _address(request.address)
        fkey = _filter_key("by-address", request.address, request.include_pending)
        offset = _offset(request.page_token, fkey)
        size = _page_size(request.page_size)

        def read() -> tuple[list[pb.TransactionInfo], bool]:
            core = self.core
            pending = []
            if request.include_pending:
                pending = [core.mempool_info(i) for i in reversed(core.pending_for(address))]
            out = pending[offset : offset + size]
            stored_offset = max(0, offset - len(pending))
            want = size - len(out)
            rows = core.storage.txs_by_address(address, stored_offset, want + 1)
            out += [stored_info(r) for r in rows[:want]]
            more = len(rows) > want or offset + size < len(pending)
            return out, more

        infos, more = await self.node.run_sync(read)
        return npb.GetTransactionsByAddressResponse(
            transactions=infos,
            next_page_token=_encode_token(offset + size, fkey) if more else "",
        )

    async def GetAccount(
        self, request: npb.GetAccountRequest, context: Any
    ) -> npb.GetAccountResponse:
        address = _address(request.address)

        def read() -> tuple[pb.Account, int]:
            return self.core.account(address), self.core.tip().height

        account, height = await self.node.run_sync(read)
        return npb.GetAccountResponse(account=account, height=height)

    # ---- names and identities

    def _domain_name(self, name: str) -> str:
        name = name.strip().lower().removesuffix(".")
        try:
            validate_domain_name(name, self.core.tlds)
        except TxError as exc:
            raise _invalid(exc.message) from None
        return name

    async def GetDomain(self, request: npb.GetDomainRequest, context: Any) -> npb.GetDomainResponse:
        name = self._domain_name(request.name)

        def read() -> tuple[pb.Domain | None, int]:
            return self.core.domain(name), self.core.tip().height

        domain, height = await self.node.run_sync(read)
        if domain is None:
            raise RpcError(StatusCode.NOT_FOUND, f"domain {name} is not registered")
        return npb.GetDomainResponse(domain=domain, height=height)

    async def ResolveDomain(
        self, request: npb.ResolveDomainRequest, context: Any
    ) -> npb.ResolveDomainResponse:
        if not request.name.strip():
            raise _invalid("name is required")
        for t in request.types:
            if t == pb.RECORD_TYPE_UNSPECIFIED or t not in pb.RecordType.values():
                raise _invalid(f"unknown record type {t}")

        def read() -> tuple[tuple[pb.Domain, str] | None, int]:
            return self.core.resolve(request.name), self.core.tip().height

        found, height = await self.node.run_sync(read)
        if found is None:
            raise RpcError(
                StatusCode.NOT_FOUND, f"no registered domain contains {request.name.strip()}"
            )
        domain, host = found
        wanted = set(request.types)
        records = []
        for rec in domain.records:
            if rec.host == host and (not wanted or rec.type in wanted):
                out = pb.DomainRecord()
                out.CopyFrom(rec)
                out.ttl = rec.ttl or domain.ttl
                records.append(out)
        return npb.ResolveDomainResponse(domain=domain, host=host, records=records, height=height)

    async def ListDomains(
        self, request: npb.ListDomainsRequest, context: Any
    ) -> npb.ListDomainsResponse:
        owner = _address(request.owner_address, "owner_address") if request.owner_address else None
        fkey = _filter_key("domains", request.owner_address)
        after = _decode_token(request.page_token, fkey) or ""
        if not isinstance(after, str) or not _is_utf8(after):
            raise _invalid("page_token is not a token this server issued")
        size = _page_size(request.page_size)
        domains = await self.node.run_sync(self.core.list_domains, owner, after, size + 1)
        more = len(domains) > size
        domains = domains[:size]
        return npb.ListDomainsResponse(
            domains=domains,
            next_page_token=_encode_token(domains[-1].name, fkey) if more else "",
        )

    async def GetIdentity(
        self, request: npb.GetIdentityRequest, context: Any
    ) -> npb.GetIdentityResponse:
        try:
            validate_identity_name(request.name)
        except TxError as exc:
            raise _invalid(exc.message) from None
        identity = await self.node.run_sync(self.core.identity, request.name)
        if identity is None:
            raise RpcError(StatusCode.NOT_FOUND, f"identity {request.name} is not registered")
        return npb.GetIdentityResponse(identity=identity)

    # ---- streams

    def _start_height(self, request: Any) -> int:
        if request.HasField("from_height"):
            return request.from_height
        return self.node.tip_height + 1

    def _inbound_peer(self, context: Any) -> PeerState | None:
        """A node following us announces itself with ghost-node-version metadata."""
        md = dict(getattr(context, "metadata", ()) or ())
        version = md.get("ghost-node-version")
        if not version:
            return None
        address = getattr(getattr(context, "peer", None), "address", None)
        endpoint = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        reason = self.node.is_banned(endpoint)
        if reason is not None:
            raise RpcError(StatusCode.PERMISSION_DENIED, f"this peer is banned ({reason})")
        peer = PeerState(endpoint=endpoint, permanent=False, inbound=True, version=str(version))
        peer.connected_since_ns = peer.last_seen_ns = now_ns()
        peer.peer_id = peer_id_for(endpoint, inbound=True)
        return peer

    async def StreamBlocks(
        self, request: npb.StreamBlocksRequest, context: Any
    ) -> AsyncIterator[npb.BlockEvent]:
        peer = self._inbound_peer(context)
        if peer is not None:
            self.node.peers[peer.peer_id] = peer
        try:
            with self.node.hub.subscribe() as sub:
                start = self._start_height(request)
                async for committed in self.node.follow(sub, start):
                    if committed is None:
                        continue
                    event = npb.BlockEvent(
                        height=committed.height, block=_strip(committed.block, request.header_only)
                    )
                    if peer is not None:
                        peer.bytes_sent += event.ByteSize()
                        peer.last_seen_ns = now_ns()
                    yield event
        finally:
            if peer is not None:
                self.node.peers.pop(peer.peer_id, None)

    async def StreamTransactions(
        self, request: npb.StreamTransactionsRequest, context: Any
    ) -> AsyncIterator[npb.TransactionEvent]:
        wanted = {_address(a, "addresses") for a in request.addresses}

        def match(info: pb.TransactionInfo) -> bool:
            if not wanted:
                return True
            tx = info.transaction
            return tx.sender in wanted or T.recipient(tx) in wanted

        with self.node.hub.subscribe(pending=request.include_pending) as sub:
            start = self._start_height(request)
            async for committed in self.node.follow(sub, start):
                if committed is None:
                    while sub.pending:
                        info = sub.pending.popleft()
                        if match(info):
                            yield npb.TransactionEvent(height=0, index=0, transaction=info)
                    continue
                for index, info in enumerate(committed.infos):
                    if match(info):
                        yield npb.TransactionEvent(
                            height=committed.height, index=index, transaction=info
                        )

    async def StreamConsensusEvents(
        self, request: npb.StreamConsensusRequest, context: Any
    ) -> AsyncIterator[npb.ConsensusEvent]:
        with self.node.hub.subscribe(rejections=True) as sub:
            start = self._start_height(request)
            async for committed in self.node.follow(sub, start):
                if committed is None:
                    while sub.rejections:
                        yield sub.rejections.popleft()
                    continue
                header = committed.block.header
                kinds = [npb.CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED]
                if header.height > 0:
                    kinds.insert(0, npb.CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED)
                for kind in kinds:
                    event = npb.ConsensusEvent(
                        height=header.height,
                        type=kind,
                        block_hash=committed.block.hash,
                        proposer_key=header.proposer_key,
                        proposer_address=format_address(header.proposer),
                        timestamp=header.timestamp,
                    )
                    yield event

    async def StreamDomainEvents(
        self, request: npb.StreamDomainEventsRequest, context: Any
    ) -> AsyncIterator[pb.DomainEvent]:
        names = {self._domain_name(n) for n in request.names}
        with self.node.hub.subscribe() as sub:
            start = self._start_height(request)
            async for committed in self.node.follow(sub, start):
                if committed is None:
                    continue
                for event in committed.domain_events:
                    if not names or event.name in names:
                        yield event
