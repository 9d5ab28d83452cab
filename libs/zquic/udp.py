"""A non-blocking UDP socket driven from trio with batched reads and synchronous sends.

Sends are synchronous (a non-blocking `sendto`) so the QUIC driver can flush from anywhere,
including `except trio.Cancelled` handlers; only when the kernel buffer is full do datagrams
queue for a flusher task that waits for writability. Reads drain everything queued after one
awaited readiness (QUIC-NOTES pitfall 4).
"""

from __future__ import annotations

import errno
import socket
from collections import deque
from typing import Any

import structlog
import trio

from . import busypoll
from .ratelimit import RateLimitedLog

log = structlog.get_logger("zquic.udp")

SOCKET_BUFFER = 4 * 1024 * 1024  # QUIC-NOTES pitfall 5
MAX_DATAGRAM = 65535
RECV_BATCH = 256
SEND_QUEUE_LIMIT = 4096  # datagrams; past this the newest are dropped (QUIC recovers)


class UdpSocket:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.family = sock.family
        self._queue: deque[tuple[bytes, Any]] = deque()
        self._queued = trio.Event()
        self._closed = False
        self._send_errors = RateLimitedLog(log, "udp send failed")
        self.datagrams_sent = 0
        self.datagrams_received = 0
        self.send_drops = 0
        self._busy: busypoll.RunBusyPoll | None = None  # registered on the first read

    @classmethod
    def bind(cls, host: str, port: int, family: int | None = None) -> UdpSocket:
        if family is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
                except OSError:
                    pass
            if family == socket.AF_INET6 and host in ("::", ""):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((host, port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    @property
    def local_address(self) -> tuple[str, int]:
        addr = self.sock.getsockname()
        return addr[0], addr[1]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._busy is not None:
                self._busy.sockets.unregister(self.sock.fileno())
                self._busy = None
            trio.lowlevel.notify_closing(self.sock)  # wakes readers/writers parked on it
            self.sock.close()
            self._queued.set()

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- sending ---------------------------------------------------------------------------
    def send(self, data: bytes, addr: Any) -> None:
        """Send now if the kernel takes it, else queue for the flusher (never blocks)."""
        if self._closed:
            return
        if self._queue:
            self._enqueue(data, addr)
            return
        try:
            self.sock.sendto(data, addr)
            self.datagrams_sent += 1
        except BlockingIOError:
            self._enqueue(data, addr)
        except OSError as exc:
            self._send_errors.warning(error=str(exc), errno=exc.errno)

    def _enqueue(self, data: bytes, addr: Any) -> None:
        if len(self._queue) >= SEND_QUEUE_LIMIT:
            self.send_drops += 1
            return
        self._queue.append((data, addr))
        self._queued.set()

    async def flusher(self) -> None:
        """Drain datagrams that found the kernel buffer full; runs for the socket's lifetime."""
        while not self._closed:
            await self._queued.wait()
            self._queued = trio.Event()
            while self._queue and not self._closed:
                data, addr = self._queue[0]
                try:
                    self.sock.sendto(data, addr)
                    self.datagrams_sent += 1
                except BlockingIOError:
                    try:
                        await trio.lowlevel.wait_writable(self.sock)
                    except trio.ClosedResourceError:
                        return
                    continue
                except OSError as exc:
                    self._send_errors.warning(error=str(exc), errno=exc.errno)
                self._queue.popleft()

    # ---- receiving -------------------------------------------------------------------------
    async def receive_batch(self) -> list[tuple[bytes, Any]]:
        """Wait for readability, then drain up to RECV_BATCH datagrams without awaiting."""
        batch: list[tuple[bytes, Any]] = []
        busy = self._busy
        if busy is None and not self._closed:
            busy = self._busy = busypoll.for_this_run()
            busy.sockets.register(self.sock.fileno())
        while not batch:
            if self._closed:
                raise trio.ClosedResourceError("UDP socket closed")
            await trio.lowlevel.wait_readable(self.sock)
            if self._closed:
                raise trio.ClosedResourceError("UDP socket closed")
            if busy is not None:
                busy.policy.woke()
            recvfrom = self.sock.recvfrom
            for _ in range(RECV_BATCH):
                try:
                    data, addr = recvfrom(MAX_DATAGRAM)
                except BlockingIOError:
                    break
                except OSError as exc:
                    # ICMP errors (ECONNREFUSED) surface here on Linux; they are not fatal.
                    if exc.errno not in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                        self._send_errors.warning(error=str(exc), errno=exc.errno)
                    continue
                batch.append((data, addr))
        self.datagrams_received += len(batch)
        return batch
