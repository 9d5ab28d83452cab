"""How walletd reaches ghostd: the `NodeClient` interface and its QUIC implementation.

The same implementation serves both routes: straight to ghostd, or to GhostBridge, which
relays `/ghost.node.v1.GhostDService/...` calls to a registered ghostd. Errors come out as
`NodeError` with the node's status code, or UNAVAILABLE when it cannot be reached, with a
message that names the endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import attrs
import structlog
import trio
import zquic
from ghost.node.v1 import node_pb2, types_pb2
from ghostkit.config import parse_endpoint
from zquic.errors import ZquicError
from zquic.rpc import Channel, RpcError, StatusCode, Stub

from .errors import Code, NodeError

log = structlog.get_logger("walletd.node")

ALPN = "ghostbridge/1"
NODE_SERVICE = node_pb2.DESCRIPTOR.services_by_name["GhostDService"]
_TRANSPORT_ERRORS = (ZquicError, trio.BrokenResourceError, trio.ClosedResourceError, OSError)


class NodeClient(Protocol):
    """The ghostd calls the wallet makes. Every method raises NodeError on failure."""

    async def chain_info(self) -> node_pb2.GetBlockchainInfoResponse: ...

    async def get_account(self, address: str) -> node_pb2.GetAccountResponse: ...

    async def transactions_by_address(
        self, address: str, page_size: int, page_token: str, include_pending: bool
    ) -> node_pb2.GetTransactionsByAddressResponse: ...

    async def get_transaction(self, tx_hash: bytes) -> types_pb2.TransactionInfo: ...

    async def submit(
        self, signed: types_pb2.SignedTransaction
    ) -> node_pb2.SubmitTransactionResponse: ...

    async def get_identity(self, name: str) -> types_pb2.Identity: ...

    def stream_transactions(
        self, request: node_pb2.StreamTransactionsRequest
    ) -> AsyncIterator[node_pb2.TransactionEvent]: ...

    def stream_blocks(
        self, request: node_pb2.StreamBlocksRequest
    ) -> AsyncIterator[node_pb2.BlockEvent]: ...


@attrs.frozen
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str, what: str) -> Endpoint:
        host, port = parse_endpoint(text, what)
        return cls(host, port)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _code(status: StatusCode) -> Code:
    try:
        return Code[status.name]
    except KeyError:
        return Code.UNKNOWN


class QuicNodeClient:
    """GhostDService over one pooled zquic connection, re-established on demand.

    The connection lives in a task of `nursery` (zquic.connect is a context manager); a call
    that finds it closed reconnects once.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        tls: zquic.TLSConfig,
        nursery: trio.Nursery,
        *,
        via_bridge: bool = False,
        timeout: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.endpoint = endpoint
        self.tls = tls
        self.via_bridge = via_bridge
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._nursery = nursery
        self._lock = trio.Lock()
        self._conn: Any = None
        self._stub: Any = None
        self.target = f"{'GhostBridge' if via_bridge else 'ghostd'} at {endpoint}"

    # ---- connection

    async def _hold(self, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED) -> None:
        started = False
        try:
            async with zquic.connect(
                self.endpoint.host, self.endpoint.port, tls=self.tls, alpn_protocols=[ALPN]
            ) as conn:
                task_status.started(conn)
                started = True
                await conn.wait_closed()
        except Exception as exc:
            if not started:
                raise
            log.debug("node_connection_closed", target=self.target, reason=type(exc).__name__)

    async def _get_stub(self) -> Any:
        async with self._lock:
            if self._conn is None or self._conn.is_closed:
                self._conn = None
                try:
                    with trio.fail_after(self.connect_timeout):
                        conn = await self._nursery.start(self._hold)
                except trio.TooSlowError:
                    raise NodeError(
                        Code.UNAVAILABLE,
                        f"{self.target} is unreachable (no QUIC handshake within "
                        f"{self.connect_timeout:g}s)",
                    ) from None
                except _TRANSPORT_ERRORS as exc:
                    raise NodeError(
                        Code.UNAVAILABLE, f"{self.target} is unreachable ({exc})"
                    ) from None
                self._conn = conn
                self._stub = Stub(Channel(conn), NODE_SERVICE)
                log.debug("node_connected", target=self.target)
            return self._stub

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close_nowait()
        self._conn = None

    def _map(self, exc: BaseException) -> NodeError:
        if isinstance(exc, RpcError):
            if exc.code in (StatusCode.UNAVAILABLE, StatusCode.CANCELLED):
                self._drop()
                return NodeError(Code.UNAVAILABLE, f"{self.target} is unavailable: {exc.message}")
            if exc.code == StatusCode.DEADLINE_EXCEEDED:
                return NodeError(
                    Code.UNAVAILABLE, f"{self.target} did not answer within {self.timeout:g}s"
                )
            if exc.code in (StatusCode.INTERNAL, StatusCode.UNKNOWN, StatusCode.DATA_LOSS):
                # The node failed, not the request: report the dependency as unavailable
                # rather than passing an INTERNAL through as if walletd had crashed.
                return NodeError(
                    Code.UNAVAILABLE, f"{self.target} failed to answer ({exc.message})"
                )
            return NodeError(_code(exc.code), f"ghostd: {exc.message}")
        self._drop()
        return NodeError(Code.UNAVAILABLE, f"{self.target} connection lost ({exc})")

    async def _unary(self, method: str, request: Any) -> Any:
        for attempt in (1, 2):
            stub = await self._get_stub()
            try:
                return await getattr(stub, method)(request, timeout=self.timeout)
            except (RpcError, *_TRANSPORT_ERRORS) as exc:
                err = self._map(exc)
                # A connection that died while idle: one fresh attempt, then report it.
                if attempt == 1 and self._conn is None and _safe_to_retry(method, exc):
                    continue
                raise err from None
        raise AssertionError("unreachable")

    async def _stream(self, method: str, request: Any) -> AsyncIterator[Any]:
        stub = await self._get_stub()
        try:
            async with getattr(stub, method)(request) as call:
                async for event in call:
                    yield event
        except (RpcError, *_TRANSPORT_ERRORS) as exc:
            raise self._map(exc) from None

    async def aclose(self) -> None:
        self._drop()

    # ---- GhostDService calls

    async def chain_info(self) -> node_pb2.GetBlockchainInfoResponse:
        return await self._unary("GetBlockchainInfo", node_pb2.GetBlockchainInfoRequest())

    async def get_account(self, address: str) -> node_pb2.GetAccountResponse:
        return await self._unary("GetAccount", node_pb2.GetAccountRequest(address=address))

    async def transactions_by_address(
        self, address: str, page_size: int, page_token: str, include_pending: bool
    ) -> node_pb2.GetTransactionsByAddressResponse:
        return await self._unary(
            "GetTransactionsByAddress",
            node_pb2.GetTransactionsByAddressRequest(
                address=address,
                page_size=page_size,
                page_token=page_token,
                include_pending=include_pending,
            ),
        )

    async def get_transaction(self, tx_hash: bytes) -> types_pb2.TransactionInfo:
        resp = await self._unary("GetTransaction", node_pb2.GetTransactionRequest(tx_hash=tx_hash))
        return resp.transaction

    async def submit(
        self, signed: types_pb2.SignedTransaction
    ) -> node_pb2.SubmitTransactionResponse:
        return await self._unary(
            "SubmitTransaction", node_pb2.SubmitTransactionRequest(transaction=signed)
        )

    async def get_identity(self, name: str) -> types_pb2.Identity:
        resp = await self._unary("GetIdentity", node_pb2.GetIdentityRequest(name=name))
        return resp.identity

    def stream_transactions(
        self, request: node_pb2.StreamTransactionsRequest
    ) -> AsyncIterator[node_pb2.TransactionEvent]:
        return self._stream("StreamTransactions", request)

    def stream_blocks(
        self, request: node_pb2.StreamBlocksRequest
    ) -> AsyncIterator[node_pb2.BlockEvent]:
        return self._stream("StreamBlocks", request)


def _safe_to_retry(method: str, exc: BaseException) -> bool:
    # A submission that may have reached the node is not resent blindly; reads are.
    if method == "SubmitTransaction":
        return isinstance(exc, RpcError) and "cannot open a stream" in exc.message
    return True
