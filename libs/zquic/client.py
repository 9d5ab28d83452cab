"""Client side: `connect()` opens a connection on its own UDP socket."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
import trio

from .backend import FlowWindows, get_backend
from .config import (
    CONNECTION_ID_LENGTH,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_DATAGRAM_SIZE,
    FlowConfig,
)
from .connection import Connection, Flusher, ListenerFactory
from .endpoint import _reraise_single
from .tls import TLSConfig, apply_client
from .udp import UdpSocket

log = structlog.get_logger("zquic.client")


async def _resolve(host: str, port: int) -> tuple[int, Any]:
    infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    if not infos:
        raise OSError(f"cannot resolve {host!r}")
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def _wildcard(family: int) -> str:
    return "::" if family == socket.AF_INET6 else "0.0.0.0"


async def _pump(udp: UdpSocket, conn: Connection) -> None:
    """Read datagrams from one socket into the connection until the socket closes."""
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(udp.flusher)
            while True:
                batch = await udp.receive_batch()
                now = trio.current_time()
                for data, addr in batch:
                    conn._receive(data, addr, now)
                conn._after_receive()
    except (trio.ClosedResourceError, OSError):
        pass
    except BaseExceptionGroup as group:
        rest = group.split((trio.ClosedResourceError, OSError))[1]
        if rest is not None:
            raise rest from None


@asynccontextmanager
async def connect(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    alpn_protocols: list[str],
    server_name: str | None = None,
    session_ticket: Any = None,
    early_data: bool = False,
    backend: str | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    max_datagram_size: int = DEFAULT_MAX_DATAGRAM_SIZE,
    flow: FlowConfig | None = None,
    event_listener_factory: ListenerFactory | None = None,
    max_datagram_frame_size: int | None = None,
) -> AsyncIterator[Connection]:
    """Connect and yield a `Connection` once the handshake completes.

    With `session_ticket` and `early_data=True` the connection is yielded at once, so data
    written before the handshake completes travels as 0-RTT.
    """
    b = get_backend(backend)
    flow = flow or FlowConfig()
    family, addr = await _resolve(host, port)
    qconf = b.QuicConfiguration(
        is_client=True,
        alpn_protocols=list(alpn_protocols),
        idle_timeout=idle_timeout,
        max_datagram_size=max_datagram_size,
        max_data=flow.connection_window,
        max_stream_data=flow.stream_window,
        connection_id_length=CONNECTION_ID_LENGTH,
    )
    if max_datagram_frame_size is not None:
        qconf.max_datagram_frame_size = max_datagram_frame_size
    apply_client(tls, qconf, server_name or tls.server_name or host)
    if session_ticket is not None:
        qconf.session_ticket = session_ticket
    windows = FlowWindows(flow.stream_window, flow.connection_window)
    box: list[Connection] = []

    def on_ticket(ticket: Any) -> None:
        if box:
            box[0]._on_ticket(ticket)

    quic = b.create_connection(qconf, windows=windows, session_ticket_handler=on_ticket)
    udp = UdpSocket.bind(_wildcard(family), 0, family)
    flusher = Flusher()
    conn = Connection(
        quic=quic,
        backend=b,
        udp=udp,
        is_client=True,
        remote_address=addr,
        windows=windows,
        send_buffer=flow.send_buffer,
        event_listener_factory=event_listener_factory,
        flusher=flusher,
    )
    box.append(conn)
    sockets = [udp]
    try:
        async with trio.open_nursery() as nursery:
            pump_scope = trio.CancelScope()

            async def run_pump(sock: UdpSocket, scope: trio.CancelScope) -> None:
                with scope:
                    await _pump(sock, conn)

            async def rebind() -> tuple[str, int]:
                nonlocal pump_scope
                new = UdpSocket.bind(_wildcard(family), 0, family)
                sockets.append(new)
                old = conn._udp
                conn._udp = new
                pump_scope.cancel()
                pump_scope = trio.CancelScope()
                nursery.start_soon(run_pump, new, pump_scope)
                old.close()
                # A fresh connection ID on the new path (RFC 9000 section 9.5); the PING
                # makes the server see the new address and validate the path.
                conn._core_call(quic.change_connection_id)
                quic.send_ping(0)
                conn._flush()
                await trio.lowlevel.checkpoint()
                log.debug("client rebound", local=new.local_address)
                return new.local_address

            conn._rebind_hook = rebind
            nursery.start_soon(run_pump, udp, pump_scope)
            nursery.start_soon(conn._run_timer)
            nursery.start_soon(flusher.run)
            quic.connect(addr, now=trio.current_time())
            conn._flush()
            try:
                if not (early_data and session_ticket is not None):
                    await conn.wait_handshake()
                yield conn
            finally:
                conn.close_nowait()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        _reraise_single(group)
    finally:
        for sock in sockets:
            sock.close()
