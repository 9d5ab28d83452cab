"""Small trio helpers shared by the client, server and relay drivers."""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs
import trio

from zquic.errors import ConnectionClosed, StreamReset

RECEIVE_CHUNK = 65536

# A peer or connection going away surfaces as one of these from receive_some/send_all.
GONE_ERRORS: tuple[type[BaseException], ...] = (
    StreamReset,
    ConnectionClosed,
    trio.BrokenResourceError,
    trio.ClosedResourceError,
)


@attrs.frozen
class PeerInfo:
    """Who is on the other end of a connection (what zquic's Connection exposes)."""

    address: Any = None
    certificate: Any = None
    alpn: str | None = None


def peer_info(conn: Any) -> PeerInfo:
    return PeerInfo(
        address=getattr(conn, "remote_address", None),
        certificate=getattr(conn, "peer_certificate", None),
        alpn=getattr(conn, "alpn_protocol", None),
    )


def reset_quietly(stream: Any, code: int) -> None:
    """Abort a stream (RESET_STREAM); plain trio streams have no reset: the caller closes them."""
    reset = getattr(stream, "reset", None)
    if reset is None:
        return
    try:
        reset(int(code))
    except Exception:  # noqa: BLE001 - the stream may already be gone
        pass


async def close_quietly(stream: Any) -> None:
    with trio.CancelScope(shield=True), trio.move_on_after(1.0):
        try:
            await stream.aclose()
        except Exception:  # noqa: BLE001 - best effort
            pass


class MessageQueue:
    """Received messages waiting for a handler; the reader pauses past `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self._items: deque[bytes] = deque()
        self._bytes = 0
        self._budget = budget
        self._ended = False
        self._error: BaseException | None = None
        self._changed = trio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def put(self, data: bytes) -> None:
        self._items.append(data)
        self._bytes += len(data)
        self._notify()

    def end(self) -> None:
        self._ended = True
        self._notify()

    def fail(self, exc: BaseException) -> None:
        self._error = exc
        self._notify()

    @property
    def full(self) -> bool:
        return self._bytes >= self._budget

    @property
    def ended(self) -> bool:
        return self._ended

    async def wait_space(self) -> None:
        while self.full and self._error is None:
            await self._changed.wait()

    async def get(self) -> bytes | None:
        """Next message, or None once the request ended."""
        while True:
            if self._error is not None:
                raise self._error
            if self._items:
                data = self._items.popleft()
                self._bytes -= len(data)
                self._notify()
                return data
            if self._ended:
                return None
            await self._changed.wait()
