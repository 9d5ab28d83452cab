"""The raw-core baseline: a minimal trio driver pumping sans-IO QuicConnections over one UDP
socket, with no stream layer, no flow control and no backpressure on top.

It follows QUIC-NOTES pitfalls 2-5 and nothing more: one clock (`trio.current_time()`), every
received batch / timer / write followed by `datagrams_to_send()` and a re-armed deadline,
batched reads (drain the socket after one awaited readiness), 4 MiB socket buffers. Servers
route by peer address (fine on loopback without migration; zquic routes by connection ID).
One task per endpoint drives every connection of that endpoint.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from typing import Any

import trio

SOCKET_BUFFER = 4 * 1024 * 1024
CID_LENGTH = 8
MIN_INITIAL = 1200

Handler = Callable[["CoreConn", Any], None]


def udp_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
    sock.bind(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


class CoreConn:
    def __init__(self, quic: Any, addr: Any) -> None:
        self.quic = quic
        self.addr = addr
        self.alpn: str | None = None
        self.terminated = False
        self.state: dict[str, Any] = {}  # per-connection scratch for handlers


class CoreDriver:
    """Pump one socket. `server_config` set: accept connections (by address); `handler` sees
    every event of every connection and may write to the core (the driver then flushes)."""

    def __init__(
        self,
        backend: Any,
        sock: socket.socket,
        handler: Handler,
        server_config: Any = None,
    ) -> None:
        self.backend = backend
        self.sock = sock
        self.handler = handler
        self.server_config = server_config
        self.conns: dict[Any, CoreConn] = {}

    def add(self, quic: Any, addr: Any) -> CoreConn:
        conn = self.conns[addr] = CoreConn(quic, addr)
        return conn

    def _accept(self, data: bytes, addr: Any) -> CoreConn | None:
        try:
            header = self.backend.parse_header(data, CID_LENGTH)
        except ValueError:
            return None
        if header.packet_type != 0 or len(data) < MIN_INITIAL:  # INITIAL only
            return None
        quic = self.backend.QuicConnection(
            configuration=self.server_config,
            original_destination_connection_id=header.destination_cid,
        )
        return self.add(quic, addr)

    def _next_deadline(self) -> float:
        deadline = math.inf
        for conn in self.conns.values():
            t = conn.quic.get_timer()
            if t is not None and t < deadline:
                deadline = t
        return deadline

    async def _send(self, conn: CoreConn, now: float) -> None:
        sock = self.sock
        for data, addr in conn.quic.datagrams_to_send(now):
            while True:
                try:
                    sock.sendto(data, addr)
                    break
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(sock)

    def _events(self, conn: CoreConn) -> None:
        ev = self.backend.events
        while (event := conn.quic.next_event()) is not None:
            if type(event) is ev.HandshakeCompleted:
                conn.alpn = event.alpn_protocol
            elif type(event) is ev.ConnectionTerminated:
                conn.terminated = True
            self.handler(conn, event)

    async def pump(self, until: Callable[[], bool] | None = None) -> None:
        """Flush every connection (the caller may have written to a core), then drive the
        socket until `until()` is true (forever for a server)."""
        now = trio.current_time()
        for conn in list(self.conns.values()):
            self._events(conn)
            await self._send(conn, now)
        sock = self.sock
        recvfrom = sock.recvfrom
        while until is None or not until():
            with trio.move_on_at(self._next_deadline()):
                await trio.lowlevel.wait_readable(sock)
            now = trio.current_time()
            touched: dict[CoreConn, None] = {}
            while True:
                try:
                    data, addr = recvfrom(65536)
                except BlockingIOError:
                    break
                except OSError:
                    continue
                conn = self.conns.get(addr)
                if conn is None and self.server_config is not None:
                    conn = self._accept(data, addr)
                if conn is None:
                    continue
                conn.quic.receive_datagram(data, addr, now)
                touched[conn] = None
            for conn in self.conns.values():
                t = conn.quic.get_timer()
                if t is not None and t <= now:
                    conn.quic.handle_timer(now)
                    touched[conn] = None
            for conn in touched:
                self._events(conn)
                await self._send(conn, now)
                if conn.terminated:
                    self.conns.pop(conn.addr, None)
