"""Server endpoint: one UDP socket, connection-ID demultiplexing, version negotiation,
optional retry, stateless reset, one driver task per connection.

Modelled on aioquic's asyncio server (aioquic/asyncio/server.py), driven from trio.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import structlog
import trio

from .backend import (
    PACKET_INITIAL,
    PACKET_VERSION_NEGOTIATION,
    Backend,
    FlowWindows,
    get_backend,
)
from .config import (
    CONNECTION_ID_LENGTH,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_DATAGRAM_SIZE,
    MIN_INITIAL_DATAGRAM,
    FlowConfig,
)
from .connection import Connection, Flusher, ListenerFactory
from .errors import ConnectionClosed
from .ratelimit import RateLimitedLog
from .tls import ClientCertificateVerifier, TicketStore, TLSConfig, apply_server
from .udp import UdpSocket

log = structlog.get_logger("zquic.endpoint")

ConnectionHandler = Callable[[Connection], Awaitable[None]]

STATELESS_RESET_MIN = 21  # RFC 9000 section 10.3: 5 unpredictable bytes + 16-byte token
RECENTLY_CLOSED_TTL = 120.0
RECENTLY_CLOSED_MAX = 8192
# > a client's first PTO (aioquic ~1 s): covers cores that answer only the retransmission.
INITIAL_GRACE = 3.0
DEFAULT_MAX_CONNECTIONS = 10_000  # new Initials past this are dropped
HANDLER_ERROR_CODE = 0x1  # application close code when a connection handler raises


@attrs.define
class EndpointStats:
    connections_accepted: int = 0
    connections_active: int = 0
    handshakes_failed: int = 0
    version_negotiations: int = 0
    retries_sent: int = 0
    retry_tokens_invalid: int = 0
    stateless_resets_sent: int = 0
    datagrams_dropped: int = 0
    initials_discarded: int = 0
    connections_refused: int = 0
    malformed_datagrams: int = 0


def _long_header_fields(data: bytes) -> tuple[int, bytes, bytes] | None:
    """(version, dcid, scid) of a long-header packet, parsed by hand so that unknown
    versions (whose remaining layout is unknown) can still be answered with VN."""
    if len(data) < 7 or not data[0] & 0x80:
        return None
    version = int.from_bytes(data[1:5], "big")
    dlen = data[5]
    if dlen > 20 or len(data) < 7 + dlen:
        return None
    dcid = data[6 : 6 + dlen]
    slen = data[6 + dlen]
    if slen > 20 or len(data) < 7 + dlen + slen:
        return None
    return version, dcid, data[7 + dlen : 7 + dlen + slen]


class ServerEndpoint:
    """A running server endpoint (see `serve`)."""

    def __init__(
        self,
        *,
        udp: UdpSocket,
        backend: Backend,
        tls: TLSConfig,
        alpn_protocols: list[str],
        connection_handler: ConnectionHandler,
        nursery: trio.Nursery,
        retry: bool,
        idle_timeout: float,
        max_datagram_size: int,
        flow: FlowConfig,
        event_listener_factory: ListenerFactory | None = None,
        max_datagram_frame_size: int | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._listener_factory = event_listener_factory
        self._datagram_frame_size = max_datagram_frame_size
        self._udp = udp
        self._backend = backend
        self._tls = tls
        self._alpn = list(alpn_protocols)
        self._handler = connection_handler
        self._nursery = nursery
        self._idle_timeout = idle_timeout
        self._max_datagram_size = max_datagram_size
        self._flow = flow
        self._retry = backend.retry_tokens() if retry else None
        self._tickets = TicketStore(tls.ticket_store_size) if tls.session_tickets else None
        self._client_verifier = (
            ClientCertificateVerifier(tls.client_cafile)
            if tls.require_client_cert and tls.client_cafile is not None
            else None
        )
        self._by_cid: dict[bytes, Connection] = {}
        self._max_connections = max_connections
        self._conn_cids: dict[Connection, set[bytes]] = {}
        self._recently_closed: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()
        self._stats = EndpointStats()
        self._bad = RateLimitedLog(log, "dropped malformed datagram")
        self._handshake_failures = RateLimitedLog(log, "handshake failed", interval=1.0)
        self._supported = set(backend.supported_versions)
        self._cfg_template = self._make_configuration()
        self._flusher = Flusher()

    # ---- public ----------------------------------------------------------------------------
    @property
    def local_address(self) -> tuple[str, int]:
        return self._udp.local_address

    @property
    def backend_name(self) -> str:
        return self._backend.name

    @property
    def connections(self) -> list[Connection]:
        return list(self._conn_cids)

    def stats(self) -> dict[str, Any]:
        d = attrs.asdict(self._stats)
        d.update(
            backend=self._backend.name,
            datagrams_received=self._udp.datagrams_received,
            datagrams_sent=self._udp.datagrams_sent,
            tickets_issued=self._tickets.issued if self._tickets else 0,
            tickets_resumed=self._tickets.resumed if self._tickets else 0,
        )
        return d

    # ---- setup -----------------------------------------------------------------------------
    def _make_configuration(self) -> Any:
        b = self._backend
        qconf = b.QuicConfiguration(
            is_client=False,
            alpn_protocols=self._alpn,
            idle_timeout=self._idle_timeout,
            max_datagram_size=self._max_datagram_size,
            max_data=self._flow.connection_window,
            max_stream_data=self._flow.stream_window,
            connection_id_length=CONNECTION_ID_LENGTH,
        )
        frame_size = self._datagram_frame_size
        if frame_size is None and b.name == "qh3" and "h3" in self._alpn:
            # qh3's H3Connection advertises H3_DATAGRAM, which needs DATAGRAM frame support.
            frame_size = 65536
        if frame_size is not None:
            qconf.max_datagram_frame_size = frame_size
        apply_server(self._tls, qconf)
        return qconf

    def _create_connection(
        self, addr: Any, odcid: bytes, rscid: bytes | None, initial_dcid: bytes
    ) -> Connection:
        windows = FlowWindows(self._flow.stream_window, self._flow.connection_window)
        conn_box: list[Connection] = []
        kwargs: dict[str, Any] = dict(
            original_destination_connection_id=odcid,
            retry_source_connection_id=rscid,
        )
        if self._tickets is not None:
            kwargs.update(
                session_ticket_fetcher=self._tickets.pop,
                session_ticket_handler=self._tickets.add,
            )
        quic = self._backend.create_connection(
            self._cfg_template,
            windows=windows,
            client_verifier=self._client_verifier,
            **kwargs,
        )
        if self._backend.name == "aioquic":
            limit = quic._local_max_streams_bidi  # advertised in the transport parameters
            limit.value = limit.sent = self._flow.max_streams_bidi
        conn = Connection(
            quic=quic,
            backend=self._backend,
            udp=self._udp,
            is_client=False,
            remote_address=addr,
            windows=windows,
            send_buffer=self._flow.send_buffer,
            on_cid_issued=self._cid_issued,
            on_cid_retired=self._cid_retired,
            on_terminated=self._terminated,
            event_listener_factory=self._listener_factory,
            flusher=self._flusher,
        )
        conn_box.append(conn)
        self._conn_cids[conn] = set()
        self._register(conn, initial_dcid)
        self._register(conn, quic.host_cid)
        self._stats.connections_accepted += 1
        self._stats.connections_active += 1
        self._nursery.start_soon(conn._run_timer)
        self._nursery.start_soon(self._serve_connection, conn)
        return conn

    def _register(self, conn: Connection, cid: bytes) -> None:
        self._by_cid[cid] = conn
        self._conn_cids[conn].add(cid)

    def _cid_issued(self, conn: Connection, cid: bytes) -> None:
        if conn in self._conn_cids:
            self._register(conn, cid)

    def _cid_retired(self, conn: Connection, cid: bytes) -> None:
        if self._by_cid.get(cid) is conn:
            del self._by_cid[cid]
        self._conn_cids.get(conn, set()).discard(cid)

    def _terminated(self, conn: Connection) -> None:
        cids = self._conn_cids.pop(conn, set())
        # Remember reset tokens so late short-header packets get a stateless reset.
        tokens = self._backend.reset_tokens(conn.quic)
        expiry = time.monotonic() + RECENTLY_CLOSED_TTL
        for cid in cids:
            if self._by_cid.get(cid) is conn:
                del self._by_cid[cid]
            token = tokens.get(cid)
            if token is not None:
                self._recently_closed[cid] = (token, expiry)
        while len(self._recently_closed) > RECENTLY_CLOSED_MAX:
            self._recently_closed.popitem(last=False)
        self._stats.connections_active -= 1

    async def _serve_connection(self, conn: Connection) -> None:
        # A genuine Initial draws a response (at least an ACK) within the client's first
        # retransmission; one that could not be decrypted never does. Forget such connections
        # after a short grace period instead of holding them until the idle timeout.
        with trio.move_on_after(INITIAL_GRACE):
            await conn._first_send.wait()
        if not conn._first_send.is_set() and not conn.terminated.is_set():
            self._stats.initials_discarded += 1
            conn._abandon("undecryptable Initial")
        try:
            await conn.wait_handshake()
        except ConnectionClosed as exc:
            if exc.reason != "undecryptable Initial":
                self._stats.handshakes_failed += 1
                self._handshake_failures.info(peer=str(conn.remote_address), reason=str(exc))
            return
        try:
            await self._handler(conn)
        except ConnectionClosed as exc:
            log.debug("connection closed during handler", reason=str(exc))
        except Exception:
            log.exception("connection handler failed", peer=str(conn.remote_address))
            conn.close_nowait(HANDLER_ERROR_CODE, "internal error")
        finally:
            conn.close_nowait()

    # ---- datagram path ---------------------------------------------------------------------
    async def _reader(self) -> None:
        udp = self._udp
        while True:
            batch = await udp.receive_batch()
            now = trio.current_time()
            touched: dict[Connection, None] = {}
            for data, addr in batch:
                try:
                    conn = self._route(data, addr, now)
                except Exception as exc:  # never let one datagram kill the endpoint
                    self._stats.malformed_datagrams += 1
                    self._bad.warning(error=repr(exc), size=len(data))
                    continue
                if conn is not None:
                    conn._receive(data, addr, now)
                    touched[conn] = None
            for conn in touched:
                conn._after_receive()

    def _route(self, data: bytes, addr: Any, now: float) -> Connection | None:
        if not data:
            return None
        long_fields = _long_header_fields(data)
        if long_fields is not None:
            version, dcid, scid = long_fields
            if version != 0 and version not in self._supported:
                if len(data) >= MIN_INITIAL_DATAGRAM:
                    self._stats.version_negotiations += 1
                    self._udp.send(
                        self._backend.encode_quic_version_negotiation(
                            source_cid=dcid,
                            destination_cid=scid,
                            supported_versions=list(self._backend.supported_versions),
                        ),
                        addr,
                    )
                else:
                    self._stats.datagrams_dropped += 1
                return None
            conn = self._by_cid.get(dcid)
            if conn is not None:
                return conn
        elif data[0] & 0x40:
            dcid = data[1 : 1 + CONNECTION_ID_LENGTH]
            conn = self._by_cid.get(dcid)
            if conn is None:
                self._maybe_stateless_reset(data, dcid, addr)
            return conn
        else:
            self._stats.malformed_datagrams += 1
            self._bad.warning(reason="fixed bit clear", size=len(data))
            return None

        try:
            header = self._backend.parse_header(data, CONNECTION_ID_LENGTH)
        except ValueError as exc:
            self._stats.malformed_datagrams += 1
            self._bad.warning(error=str(exc), size=len(data))
            return None
        if header.packet_type != PACKET_INITIAL or len(data) < MIN_INITIAL_DATAGRAM:
            self._stats.datagrams_dropped += 1
            return None
        if len(self._conn_cids) >= self._max_connections:
            self._stats.connections_refused += 1
            self._bad.warning(reason="connection limit reached", limit=self._max_connections)
            return None
        if header.packet_type == PACKET_VERSION_NEGOTIATION:
            return None
        rscid: bytes | None = None
        odcid = header.destination_cid
        if self._retry is not None:
            if not header.token:
                scid = os.urandom(CONNECTION_ID_LENGTH)
                token = self._retry.create(addr, header.destination_cid, scid, now)
                self._udp.send(
                    self._backend.encode_quic_retry(
                        version=header.version,
                        source_cid=scid,
                        destination_cid=header.source_cid,
                        original_destination_cid=header.destination_cid,
                        retry_token=token,
                    ),
                    addr,
                )
                self._stats.retries_sent += 1
                return None
            try:
                odcid, rscid = self._retry.validate(addr, header.destination_cid, header.token, now)
            except ValueError:
                self._stats.retry_tokens_invalid += 1
                self._bad.warning(reason="invalid retry token")
                return None
        return self._create_connection(addr, odcid, rscid, header.destination_cid)

    def _maybe_stateless_reset(self, data: bytes, dcid: bytes, addr: Any) -> None:
        entry = self._recently_closed.get(dcid)
        if entry is None:
            self._stats.datagrams_dropped += 1
            return
        token, expiry = entry
        if time.monotonic() > expiry:
            del self._recently_closed[dcid]
            return
        # Shorter than the packet that triggered it, so two endpoints cannot loop.
        size = min(len(data) - 1, 43)
        if size < STATELESS_RESET_MIN:
            return
        head = bytearray(os.urandom(size - 16))
        head[0] = 0x40 | (head[0] & 0x3F)
        self._udp.send(bytes(head) + token, addr)
        self._stats.stateless_resets_sent += 1

    def _close_all(self) -> None:
        """Best effort CONNECTION_CLOSE to every peer (shutdown must not wait for drains)."""
        for conn in list(self._conn_cids):
            conn.close_nowait(0, "server shutting down")


@asynccontextmanager
async def open_server(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    alpn_protocols: list[str],
    connection_handler: ConnectionHandler,
    backend: str | None = None,
    retry: bool = False,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    max_datagram_size: int = DEFAULT_MAX_DATAGRAM_SIZE,
    flow: FlowConfig | None = None,
    event_listener_factory: ListenerFactory | None = None,
    max_datagram_frame_size: int | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> AsyncIterator[ServerEndpoint]:
    """Run a server endpoint for the duration of the `async with` block."""
    chosen = get_backend(backend)
    if tls.require_client_cert and not chosen.supports_client_auth:
        # Never serve without client authentication: switch cores for this endpoint.
        log.warning(
            "backend cannot request client certificates; using aioquic for this mTLS endpoint",
            requested=chosen.name,
        )
        chosen = get_backend("aioquic")
    udp = UdpSocket.bind(host, port)
    endpoint: ServerEndpoint | None = None
    try:
        async with trio.open_nursery() as nursery:
            endpoint = ServerEndpoint(
                udp=udp,
                backend=chosen,
                tls=tls,
                alpn_protocols=alpn_protocols,
                connection_handler=connection_handler,
                nursery=nursery,
                retry=retry,
                idle_timeout=idle_timeout,
                max_datagram_size=max_datagram_size,
                flow=flow or FlowConfig(),
                event_listener_factory=event_listener_factory,
                max_datagram_frame_size=max_datagram_frame_size,
                max_connections=max_connections,
            )
            nursery.start_soon(endpoint._reader)
            nursery.start_soon(endpoint._flusher.run)
            nursery.start_soon(udp.flusher)
            log.info(
                "zquic server listening",
                address=udp.local_address,
                backend=chosen.name,
                alpn=alpn_protocols,
                retry=retry,
                mtls=tls.require_client_cert,
            )
            try:
                yield endpoint
            finally:
                endpoint._close_all()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        _reraise_single(group)
    finally:
        udp.close()


def _reraise_single(group: BaseExceptionGroup) -> None:
    """Unwrap a nursery's group holding one exception so callers see the real type."""
    if len(group.exceptions) == 1:
        exc = group.exceptions[0]
        raise exc.with_traceback(exc.__traceback__) from group.__cause__
    raise group


async def serve(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    alpn_protocols: list[str],
    connection_handler: ConnectionHandler,
    backend: str | None = None,
    retry: bool = False,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    max_datagram_size: int = DEFAULT_MAX_DATAGRAM_SIZE,
    flow: FlowConfig | None = None,
    event_listener_factory: ListenerFactory | None = None,
    max_datagram_frame_size: int | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    task_status: trio.TaskStatus[ServerEndpoint] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until cancelled; `task_status.started(endpoint)` once the socket is bound."""
    async with open_server(
        host,
        port,
        tls=tls,
        alpn_protocols=alpn_protocols,
        connection_handler=connection_handler,
        backend=backend,
        retry=retry,
        idle_timeout=idle_timeout,
        max_datagram_size=max_datagram_size,
        flow=flow,
        event_listener_factory=event_listener_factory,
        max_datagram_frame_size=max_datagram_frame_size,
        max_connections=max_connections,
    ) as endpoint:
        task_status.started(endpoint)
        await trio.sleep_forever()
