"""HTTP/3 server and client helpers over zquic connections.

The HTTP/3 framing and QPACK are the core's sans-IO `H3Connection` (aioquic.h3 or qh3.h3,
chosen by the connection's backend); this module is the trio driver. It takes over the
connection's QUIC events with `Connection.set_event_listener` and writes through
`Connection.quic` + `transmit()`.

Server: `serve_h3(host, port, tls=..., handler=...)`; `handler(request)` may return an
`H3Response` (bytes or an async iterator as content, optional trailers) or drive the
response itself with `request.send_headers/send_data/send_trailers`.
Client: `async with H3Client.connect(host, port, tls=...) as client:
response = await client.request("GET", "/path")`; many requests run concurrently on one
connection.

Malformed messages (RFC 9114 section 4.1.2) are stream errors: the server answers 400 and
stops the request stream with H3_MESSAGE_ERROR, the connection keeps serving; a malformed
response fails that one request with `H3StreamError`.

Flow control: request and response bodies are credited to the QUIC receive window only as
the application reads them, and writers wait while the core holds `send_buffer` bytes of
the stream, as QuicStream does.
"""

from __future__ import annotations

import enum
import inspect
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import attrs
import structlog
import trio

from .client import connect
from .config import DEFAULT_IDLE_TIMEOUT, FlowConfig
from .connection import Connection
from .endpoint import ServerEndpoint, open_server
from .errors import ConnectionClosed, StreamReset, StreamStopped, ZquicError
from .tls import TLSConfig

__all__ = [
    "ALPN_H3",
    "H3Body",
    "H3Client",
    "H3Error",
    "H3ErrorCode",
    "H3Request",
    "H3Response",
    "H3Server",
    "H3StreamError",
    "header_value",
    "open_h3_server",
    "serve_h3",
]

log = structlog.get_logger("zquic.h3")

ALPN_H3 = "h3"


class H3ErrorCode(enum.IntEnum):
    """RFC 9114 section 8.1."""

    H3_NO_ERROR = 0x100
    H3_GENERAL_PROTOCOL_ERROR = 0x101
    H3_INTERNAL_ERROR = 0x102
    H3_STREAM_CREATION_ERROR = 0x103
    H3_CLOSED_CRITICAL_STREAM = 0x104
    H3_FRAME_UNEXPECTED = 0x105
    H3_FRAME_ERROR = 0x106
    H3_EXCESSIVE_LOAD = 0x107
    H3_ID_ERROR = 0x108
    H3_SETTINGS_ERROR = 0x109
    H3_MISSING_SETTINGS = 0x10A
    H3_REQUEST_REJECTED = 0x10B
    H3_REQUEST_CANCELLED = 0x10C
    H3_REQUEST_INCOMPLETE = 0x10D
    H3_MESSAGE_ERROR = 0x10E


class H3Error(ZquicError):
    """Base class of HTTP/3 errors."""


class H3StreamError(H3Error, trio.BrokenResourceError):
    """One request failed (stream reset, malformed message); the connection is fine."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"{message} (HTTP/3 error {code:#x})")


HeaderList = list[tuple[str, str]]
HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]] | None
Content = bytes | bytearray | memoryview | AsyncIterable[bytes] | None
TrailersLike = HeadersLike | Callable[[], Any]


def _norm_headers(headers: HeadersLike) -> HeaderList:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k).lower(), str(v)) for k, v in items]


def _encode(headers: HeaderList) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _decode(raw: Iterable[tuple[bytes, bytes]]) -> HeaderList:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _split_pseudo(headers: HeaderList) -> tuple[dict[str, str], HeaderList]:
    pseudo = {k: v for k, v in headers if k.startswith(":")}
    return pseudo, [(k, v) for k, v in headers if not k.startswith(":")]


def header_value(headers: HeaderList, name: str) -> str | None:
    """The first value of `name` (case-insensitive) or None."""
    name = name.lower()
    for k, v in headers:
        if k == name:
            return v
    return None


# ---- the sans-IO core, per backend -----------------------------------------------------------
@attrs.define(eq=False)
class _Malformed:
    """Synthetic event: a message on `stream_id` broke RFC 9114 section 4.1.2."""

    stream_id: int
    reason: str


@attrs.frozen
class _CoreKit:
    H3Connection: type
    HeadersReceived: type
    DataReceived: type
    informational: tuple[type, ...]


_kits: dict[str, _CoreKit] = {}


def _core_kit(backend_name: str) -> _CoreKit:
    kit = _kits.get(backend_name)
    if kit is not None:
        return kit
    informational: tuple[type, ...] = ()
    if backend_name == "aioquic":
        from aioquic.h3 import connection as h3c
        from aioquic.h3 import events as h3e
    else:
        from qh3.h3 import connection as h3c
        from qh3.h3 import events as h3e

        informational = (h3e.InformationalHeadersReceived,)
    message_error = h3c.MessageError
    frame_error = h3c.FrameError

    class ZH3Connection(h3c.H3Connection):  # type: ignore[misc, valid-type]
        """The core's H3Connection with malformed messages as stream errors: the core
        closes the whole connection on H3_MESSAGE_ERROR, RFC 9114 asks for a stream error."""

        def __init__(self, quic: Any) -> None:
            super().__init__(quic)
            self.zq_failed: set[int] = set()

        def _receive_request_or_push_data(
            self, stream: Any, data: bytes, stream_ended: bool
        ) -> list[Any]:
            if stream.stream_id in self.zq_failed:
                return []  # the rest of a failed message is discarded
            try:
                events = super()._receive_request_or_push_data(stream, data, stream_ended)
            except message_error as exc:
                self.zq_failed.add(stream.stream_id)
                return [_Malformed(stream.stream_id, str(exc) or type(exc).__name__)]
            if (
                stream.receiving_ended
                and not stream.blocked
                and (stream.buffer or stream.frame_size is not None)
            ):
                # RFC 9114 section 7.1 (qh3 only checks DATA frames): a connection error.
                raise frame_error("frame truncated by the end of the stream")
            return events

    kit = _kits[backend_name] = _CoreKit(
        ZH3Connection, h3e.HeadersReceived, h3e.DataReceived, informational
    )
    return kit


# ---- per-stream receive state ----------------------------------------------------------------
class _StreamState:
    """Receive side of one request stream, shared by the server and the client."""

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.headers: HeaderList | None = None
        self.headers_lot = trio.lowlevel.ParkingLot()
        # Named like QuicStream's buffer: the connection's receive pause (qh3) inspects it.
        self._recv_buf = bytearray()
        self.ended = False
        self.trailers: HeaderList | None = None
        self.error: Exception | None = None
        self.send_error: Exception | None = None
        self.lot = trio.lowlevel.ParkingLot()
        self.raw_received = 0
        self.credited = 0
        self.send_finished = False
        self.malformed: str | None = None

    def wake(self) -> None:
        self.lot.unpark_all()
        self.headers_lot.unpark_all()


class H3Body:
    """A received body: `async for chunk in body`, `await body.aread()`, then `trailers`."""

    def __init__(self, session: _Session, state: _StreamState) -> None:
        self._session = session
        self._state = state
        self._reading = False

    @property
    def trailers(self) -> HeaderList | None:
        """Trailer fields, once the body has been read to its end (None if there were none)."""
        return self._state.trailers

    @property
    def complete(self) -> bool:
        return self._state.ended and not self._state._recv_buf

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Up to `max_bytes` of body; b"" at the end."""
        if self._reading:
            raise trio.BusyResourceError("another task is reading this body")
        self._reading = True
        st = self._state
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            while not st._recv_buf:
                if st.error is not None:
                    raise st.error
                if st.ended:
                    await trio.lowlevel.cancel_shielded_checkpoint()
                    return b""
                await st.lot.park()
            n = len(st._recv_buf) if max_bytes is None else min(max_bytes, len(st._recv_buf))
            data = bytes(st._recv_buf[:n])
            del st._recv_buf[:n]
            self._session._credit_read(st, n)
            await trio.lowlevel.cancel_shielded_checkpoint()
            return data
        finally:
            self._reading = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        while data := await self.receive_some():
            yield data

    async def aread(self) -> bytes:
        out = bytearray()
        while data := await self.receive_some():
            out += data
        return bytes(out)


# ---- the transport seam -----------------------------------------------------------------------
class _ConnIO:
    """Everything HTTP/3 needs from a Connection in event-listener mode, in one place.

    The listener hook hands over raw QUIC events, so the flow-control and stream-limit
    bookkeeping QuicStream normally does must be done here; until the transport exposes it
    publicly, these calls reach into Connection internals (see docs/zquic-pool-h3-doq.md).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.quic = conn.quic
        self.events = conn._backend.events
        self.consumption_flow_control = conn._backend.consumption_flow_control
        self.send_limit = conn._send_buffer

    def record_consumed(self, stream_id: int, n: int) -> None:
        """Credit bytes to the receive window; the driver's post-dispatch flush announces it."""
        c = self.conn
        c._backend.consumed(self.quic, c._windows, stream_id, n)

    def buffered(self, holder: Any, n: int) -> None:
        """`n` bytes wait in `holder._recv_buf` (may pause a qh3 connection's receive)."""
        self.conn._buffered(holder, n)

    def unbuffered(self, n: int) -> None:
        c = self.conn
        c._unread -= n
        if c._rx_paused:
            c._maybe_resume_rx()

    def forget(self, stream_id: int) -> None:
        self.conn._windows.consumed.pop(stream_id, None)

    def send_backlog(self, stream_id: int) -> int:
        return self.conn._send_backlog(stream_id)

    async def wait_send_budget(self) -> None:
        await self.conn._wait_send_budget()

    async def wait_can_open_bidi(self) -> None:
        c = self.conn
        while not c._backend.can_open_bidi(self.quic):
            c._raise_if_closed()
            await c._openers.park()
        c._raise_if_closed()

    def raise_if_closed(self) -> None:
        self.conn._raise_if_closed()

    def core_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A core call that may fail on an already finished stream (logged, not raised)."""
        return self.conn._core_call(fn, *args)

    def wake_writers(self) -> None:
        self.conn._wake()


# ---- the connection driver -------------------------------------------------------------------
class _Session:
    """HTTP/3 over one zquic Connection (either role)."""

    def __init__(self, conn: Connection, *, is_client: bool) -> None:
        self.conn = conn
        self.io = _ConnIO(conn)
        self.is_client = is_client
        self._kit = _core_kit(conn.backend_name)
        self._events = self.io.events
        self.h3: Any = None
        self.streams: dict[int, _StreamState] = {}
        self.pending: deque[_StreamState] = deque()  # server: requests not yet dispatched
        self.pending_lot = trio.lowlevel.ParkingLot()
        self.terminated = conn.terminated.is_set()
        self._max_peer_sid = -1  # server: highest request stream seen (late frames of
        # forgotten streams must not look like new requests)
        conn.set_event_listener(self._on_event)
        if is_client or conn.handshake_complete.is_set():
            self._ensure_h3()
            conn.transmit()

    def _ensure_h3(self) -> None:
        if self.h3 is None:
            self.h3 = self._kit.H3Connection(self.conn.quic)

    # ---- QUIC events (called synchronously by the connection's dispatch) ---------------------
    def _on_event(self, event: Any) -> None:
        ev = self._events
        t = type(event)
        if t is ev.StreamDataReceived:
            self._ensure_h3()
            self._on_stream_data(event)
        elif t is ev.HandshakeCompleted:
            self._ensure_h3()
        elif t is ev.StreamReset or t is ev.StopSendingReceived:
            st = self.streams.get(event.stream_id)
            if st is not None:
                if t is ev.StreamReset:
                    st.error = H3StreamError(event.error_code, "peer reset the stream")
                else:
                    st.send_error = StreamStopped(event.error_code)
                    if not st.send_finished:
                        st.send_finished = True
                        self.io.core_call(
                            self.conn.quic.reset_stream, event.stream_id, event.error_code
                        )
                st.wake()
                if not self.is_client and st.headers is None:
                    self._forget(event.stream_id)  # cancelled before it became a request
            if self.h3 is not None:
                self._h3_events(self.h3.handle_event(event))
            self.io.wake_writers()
        elif t is ev.ConnectionTerminated:
            self.terminated = True
            reason = self.conn.close_reason or ConnectionClosed(event.error_code)
            for st in self.streams.values():
                if st.error is None and not st.ended:
                    st.error = reason
                st.wake()
            self.pending_lot.unpark_all()

    def _on_stream_data(self, event: Any) -> None:
        sid = event.stream_id
        raw = len(event.data)
        st = self.streams.get(sid)
        if st is None and not self.is_client and not sid & 0x3 and sid > self._max_peer_sid:
            # A new client request stream: track it before H3 parses its first frame.
            self._max_peer_sid = sid
            st = self.streams[sid] = _StreamState(sid)
        before = len(st._recv_buf) if st is not None else 0
        self._h3_events(self.h3.handle_event(event))
        if st is None or sid not in self.streams:
            self._credit_raw(sid, raw)  # control, QPACK, finished or refused streams
            return
        st.raw_received += raw
        body = max(0, len(st._recv_buf) - before)
        self._credit(st, raw - body)

    def _h3_events(self, events: list[Any]) -> None:
        kit = self._kit
        for e in events:
            t = type(e)
            if t is _Malformed:
                self._on_malformed(e)
                continue
            st = self.streams.get(getattr(e, "stream_id", -1))
            if st is None:
                continue
            if t is kit.HeadersReceived or t in kit.informational:
                headers = _decode(e.headers)
                if st.headers is None:
                    status = header_value(headers, ":status")
                    if t in kit.informational or (status is not None and status.startswith("1")):
                        continue  # interim response: wait for the final one
                    st.headers = headers
                    if not self.is_client:
                        self.pending.append(st)
                        self.pending_lot.unpark_all()
                else:
                    st.trailers = headers
                if getattr(e, "stream_ended", False):
                    st.ended = True
                st.wake()
            elif t is kit.DataReceived:
                if e.data:
                    st._recv_buf += e.data
                    self.io.buffered(st, len(e.data))
                if e.stream_ended:
                    st.ended = True
                st.wake()

    def _on_malformed(self, e: _Malformed) -> None:
        st = self.streams.get(e.stream_id)
        log.info("malformed HTTP/3 message", stream_id=e.stream_id, reason=e.reason)
        quic = self.conn.quic
        code = H3ErrorCode.H3_MESSAGE_ERROR
        if st is not None:
            st.malformed = e.reason
            st.error = H3StreamError(code, f"malformed message: {e.reason}")
            st.wake()
        if not self.is_client and (st is None or st.headers is None):
            # Never handed to the application: answer 400 ourselves (RFC 9114 4.1.2 allows a
            # response before the stream error) and stop the request side.
            try:
                self.h3.send_headers(
                    e.stream_id,
                    [(b":status", b"400"), (b"content-type", b"text/plain")],
                    end_stream=False,
                )
                self.h3.send_data(e.stream_id, f"bad request: {e.reason}\n".encode(), True)
            except Exception:  # the stream may be in a state that forbids a response
                self.io.core_call(quic.reset_stream, e.stream_id, code)
            self.io.core_call(quic.stop_stream, e.stream_id, code)
            self._forget(e.stream_id)
        else:
            self.io.core_call(quic.stop_stream, e.stream_id, code)
            if st is not None and not st.send_finished:
                st.send_finished = True
                self.io.core_call(quic.reset_stream, e.stream_id, code)

    # ---- flow control ------------------------------------------------------------------------
    def _credit_raw(self, sid: int, n: int) -> None:
        if n > 0:
            # Recorded only: the connection sends the window update in its post-dispatch flush.
            self.io.record_consumed(sid, n)

    def _credit(self, st: _StreamState, n: int) -> None:
        n = min(n, st.raw_received - st.credited)
        if n > 0:
            st.credited += n
            self._credit_raw(st.stream_id, n)

    def _credit_read(self, st: _StreamState, n: int) -> None:
        """The application read `n` body bytes: release them from the connection's unread
        count (resumes a paused qh3 receive) and open the window (aioquic)."""
        self.io.unbuffered(n)
        self._credit(st, n)
        if self.io.consumption_flow_control:
            self.conn.transmit()

    def _forget(self, sid: int) -> None:
        st = self.streams.pop(sid, None)
        if st is not None and st._recv_buf:
            self._credit_read(st, len(st._recv_buf))
            st._recv_buf.clear()
        self.io.forget(sid)

    def release(self, st: _StreamState) -> None:
        """The application is done with a stream: drop unread data and stop the peer."""
        if not st.ended and st.error is None and not self.conn.is_closed:
            self.io.core_call(self.conn.quic.stop_stream, st.stream_id, H3ErrorCode.H3_NO_ERROR)
            self.conn.transmit()
        self._forget(st.stream_id)

    # ---- sending -----------------------------------------------------------------------------
    def _check_send(self, st: _StreamState) -> None:
        if st.send_error is not None:
            raise st.send_error
        self.io.raise_if_closed()
        if st.send_finished:
            raise trio.ClosedResourceError("the stream's send side is finished")

    def send_headers(self, st: _StreamState, headers: list[tuple[bytes, bytes]], end: bool) -> None:
        self._check_send(st)
        self.h3.send_headers(st.stream_id, headers, end_stream=end)
        if end:
            st.send_finished = True
        self.conn.transmit()

    async def send_data(self, st: _StreamState, data: bytes | memoryview, end: bool) -> None:
        """Write a body chunk, waiting while the core holds `send_buffer` bytes (backpressure)."""
        io = self.io
        view = memoryview(data).cast("B")
        limit = io.send_limit
        offset = 0
        await trio.lowlevel.checkpoint_if_cancelled()
        while True:
            self._check_send(st)
            backlog = io.send_backlog(st.stream_id)
            if backlog >= limit:
                await io.wait_send_budget()
                continue
            piece = view[offset : offset + limit - backlog]
            offset += len(piece)
            last = offset >= len(view)
            if piece or (last and end):
                self.h3.send_data(st.stream_id, bytes(piece), end and last)
                self.conn.transmit()
            if last:
                break
        if end:
            st.send_finished = True

    async def send_content(
        self, st: _StreamState, content: Content, trailers: TrailersLike, end: bool = True
    ) -> None:
        """Send a body (bytes or an async iterator of chunks), then trailers or FIN."""
        if isinstance(content, bytes | bytearray | memoryview):
            if content:
                await self.send_data(st, content, False)
        elif content is not None:
            async for chunk in content:
                if chunk:
                    await self.send_data(st, chunk, False)
        resolved = await _resolve_trailers(trailers)
        if resolved:
            self.send_headers(st, _encode(resolved), end=True)
        elif end:
            await self.send_data(st, b"", True)

    def reset(self, st: _StreamState, code: int) -> None:
        quic = self.conn.quic
        if not st.send_finished:
            st.send_finished = True
            self.io.core_call(quic.reset_stream, st.stream_id, code)
        if not st.ended:
            self.io.core_call(quic.stop_stream, st.stream_id, code)
        if not self.conn.is_closed:
            self.conn.transmit()

    # ---- client streams ----------------------------------------------------------------------
    async def open_request(self, headers: list[tuple[bytes, bytes]], end: bool) -> _StreamState:
        conn = self.conn
        await trio.lowlevel.checkpoint_if_cancelled()
        await self.io.wait_can_open_bidi()
        # Allocate and write the HEADERS with no await in between (QUIC-NOTES pitfall 7).
        sid = conn.quic.get_next_available_stream_id()
        st = self.streams[sid] = _StreamState(sid)
        try:
            self.send_headers(st, headers, end)
        except BaseException:
            self.streams.pop(sid, None)
            raise
        await trio.lowlevel.cancel_shielded_checkpoint()
        return st

    async def wait_headers(self, st: _StreamState) -> HeaderList:
        while st.headers is None:
            if st.error is not None:
                raise st.error
            if st.ended:
                raise H3StreamError(H3ErrorCode.H3_MESSAGE_ERROR, "stream ended without headers")
            await st.headers_lot.park()
        return st.headers


async def _resolve_trailers(trailers: TrailersLike) -> HeaderList:
    if callable(trailers):
        trailers = trailers()
        if inspect.isawaitable(trailers):
            trailers = await trailers
    return _norm_headers(trailers)  # type: ignore[arg-type]


# ---- public message types --------------------------------------------------------------------
class H3Response:
    """A response. Built by server handlers (`content` is bytes or an async iterator;
    `trailers` a header list or a callable evaluated after the body) and returned by
    `H3Client.request` (then `content` is the received `H3Body`)."""

    def __init__(
        self,
        status: int = 200,
        headers: HeadersLike = None,
        content: Content | H3Body = b"",
        trailers: TrailersLike = None,
    ) -> None:
        self.status = int(status)
        self.headers = _norm_headers(headers)
        self.content = content
        self._trailers = trailers
        self.stream_id: int | None = None

    def __repr__(self) -> str:
        return f"<H3Response {self.status}>"

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def trailers(self) -> HeaderList | None:
        if isinstance(self.content, H3Body):
            return self.content.trailers
        if self._trailers is None or callable(self._trailers):
            return None
        return _norm_headers(self._trailers)  # type: ignore[arg-type]

    async def aread(self) -> bytes:
        c = self.content
        if isinstance(c, H3Body):
            return await c.aread()
        if c is None:
            return b""
        if isinstance(c, bytes | bytearray | memoryview):
            return bytes(c)
        out = bytearray()
        async for chunk in c:
            out += chunk
        return bytes(out)

    async def aclose(self) -> None:
        """Stop receiving the body (client side: STOP_SENDING if it was not read to the end)."""
        close = getattr(self.content, "aclose", None)
        if close is not None and isinstance(self.content, H3Body):
            await close()
        else:
            await trio.lowlevel.checkpoint()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        c = self.content
        if isinstance(c, H3Body) or (
            c is not None and not isinstance(c, bytes | bytearray | memoryview)
        ):
            async for chunk in c:  # type: ignore[union-attr]
                yield chunk
        elif c:
            yield bytes(c)


class H3Request:
    """A request as the server handler sees it, plus the response primitives."""

    def __init__(self, session: _Session, state: _StreamState) -> None:
        pseudo, regular = _split_pseudo(state.headers or [])
        self.method = pseudo.get(":method", "")
        self.path = pseudo.get(":path", "")
        self.scheme = pseudo.get(":scheme", "")
        self.authority = pseudo.get(":authority", "")
        self.protocol = pseudo.get(":protocol")
        self.headers: HeaderList = regular
        self.body = H3Body(session, state)
        self.stream_id = state.stream_id
        self.connection = session.conn
        self._session = session
        self._state = state
        self.response_started = False
        self.response_finished = False

    def __repr__(self) -> str:
        return f"<H3Request {self.method} {self.path}>"

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def trailers(self) -> HeaderList | None:
        return self.body.trailers

    async def aread(self) -> bytes:
        return await self.body.aread()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.body.__aiter__()

    async def send_headers(
        self, status: int, headers: HeadersLike = None, *, end: bool = False
    ) -> None:
        """Send the response head (`end=True`: no body follows)."""
        if self.response_started:
            raise H3Error("response headers already sent")
        raw = [(b":status", str(int(status)).encode())] + _encode(_norm_headers(headers))
        self._session.send_headers(self._state, raw, end)
        self.response_started = True
        self.response_finished = end
        await trio.lowlevel.checkpoint()

    async def send_data(self, data: bytes, *, end: bool = False) -> None:
        """Send a body chunk; waits while the peer is not reading (backpressure)."""
        if not self.response_started:
            raise H3Error("send_headers first")
        await self._session.send_data(self._state, data, end)
        self.response_finished = end

    async def send_trailers(self, trailers: HeadersLike) -> None:
        """Send trailer fields and end the response."""
        self._session.send_headers(self._state, _encode(_norm_headers(trailers)), True)
        self.response_finished = True
        await trio.lowlevel.checkpoint()

    async def send_response(self, response: H3Response) -> None:
        content = response.content
        if response._trailers is None and (content is None or _is_empty_bytes(content)):
            await self.send_headers(response.status, response.headers, end=True)
            return
        await self.send_headers(response.status, response.headers)
        if isinstance(content, H3Body):
            content = content.__aiter__()
        await self._session.send_content(self._state, content, response._trailers)
        self.response_finished = True


Handler = Callable[[H3Request], Awaitable[H3Response | None]]


# ---- server ----------------------------------------------------------------------------------
class H3Server:
    """Connection handler serving HTTP/3 requests with `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._sessions: dict[Connection, _Session] = {}
        self.stats = {"requests": 0, "handler_errors": 0}

    def listener_factory(self, conn: Connection) -> Callable[[Any], None] | None:
        """`event_listener_factory` for the endpoint: called synchronously at the handshake,
        so no request or control-stream byte is dispatched before HTTP/3 owns the events."""
        if conn.alpn_protocol != ALPN_H3:
            return None
        session = self._sessions[conn] = _Session(conn, is_client=False)
        return session._on_event

    async def __call__(self, conn: Connection) -> None:
        session = self._sessions.pop(conn, None) or _Session(conn, is_client=False)
        try:
            async with trio.open_nursery() as nursery:
                while not session.terminated:
                    while session.pending:
                        st = session.pending.popleft()
                        nursery.start_soon(self._serve_request, session, st)
                    await session.pending_lot.park()
        finally:
            self._sessions.pop(conn, None)

    async def _serve_request(self, session: _Session, st: _StreamState) -> None:
        request = H3Request(session, st)
        self.stats["requests"] += 1
        try:
            response = await self.handler(request)
            if response is not None:
                if request.response_started:
                    raise H3Error("handler returned a response after sending one")
                await request.send_response(response)
            elif not request.response_started:
                await request.send_headers(204, end=True)
            elif not request.response_finished:
                await request.send_data(b"", end=True)
        except (H3StreamError, StreamReset, ConnectionClosed, trio.ClosedResourceError) as exc:
            log.debug("request stream gone", stream_id=st.stream_id, error=str(exc))
            session.reset(st, H3ErrorCode.H3_REQUEST_CANCELLED)
        except Exception:
            self.stats["handler_errors"] += 1
            log.exception("HTTP/3 handler failed", path=request.path)
            if not request.response_started and not session.conn.is_closed:
                try:
                    await request.send_headers(500, {"content-type": "text/plain"})
                    await request.send_data(b"internal error\n", end=True)
                except Exception:
                    session.reset(st, H3ErrorCode.H3_INTERNAL_ERROR)
            else:
                session.reset(st, H3ErrorCode.H3_INTERNAL_ERROR)
        except BaseException:
            session.reset(st, H3ErrorCode.H3_REQUEST_CANCELLED)
            raise
        finally:
            session.release(st)


@asynccontextmanager
async def open_h3_server(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    handler: Handler,
    backend: str | None = None,
    retry: bool = False,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    flow: FlowConfig | None = None,
) -> AsyncIterator[ServerEndpoint]:
    """Run an HTTP/3 server for the duration of the `async with` block."""
    server = H3Server(handler)
    async with open_server(
        host,
        port,
        tls=tls,
        alpn_protocols=[ALPN_H3],
        connection_handler=server,
        backend=backend,
        retry=retry,
        idle_timeout=idle_timeout,
        flow=flow,
        event_listener_factory=server.listener_factory,
    ) as endpoint:
        yield endpoint


async def serve_h3(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    handler: Handler,
    backend: str | None = None,
    retry: bool = False,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    flow: FlowConfig | None = None,
    task_status: trio.TaskStatus[ServerEndpoint] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve HTTP/3 until cancelled; `task_status.started(endpoint)` once bound."""
    async with open_h3_server(
        host,
        port,
        tls=tls,
        handler=handler,
        backend=backend,
        retry=retry,
        idle_timeout=idle_timeout,
        flow=flow,
    ) as endpoint:
        task_status.started(endpoint)
        await trio.sleep_forever()


# ---- client ----------------------------------------------------------------------------------
class H3Client:
    """HTTP/3 requests over one zquic connection (ALPN "h3"); use `async with`.

    Request bodies are sent by a background task of the client, so a server may stream its
    response while the request body is still being sent.
    """

    def __init__(
        self, conn: Connection, *, authority: str | None = None, _session: _Session | None = None
    ) -> None:
        """Wrap an established connection (ALPN "h3"). Prefer `H3Client.connect`, which hands
        the connection's events to HTTP/3 at the handshake; wrapping later misses any server
        control-stream bytes already dispatched."""
        self.connection = conn
        host, port = conn.remote_address[0], conn.remote_address[1]
        self.authority = authority or (f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}")
        self._session = _session or _Session(conn, is_client=True)
        self._nursery: trio.Nursery | None = None
        self._nursery_cm: Any = None

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        tls: TLSConfig,
        server_name: str | None = None,
        backend: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        flow: FlowConfig | None = None,
    ) -> AsyncIterator[H3Client]:
        sessions: list[_Session] = []

        def factory(conn: Connection) -> Callable[[Any], None]:
            sessions.append(_Session(conn, is_client=True))
            return sessions[0]._on_event

        async with connect(
            host,
            port,
            tls=tls,
            alpn_protocols=[ALPN_H3],
            server_name=server_name,
            backend=backend,
            idle_timeout=idle_timeout,
            flow=flow,
            event_listener_factory=factory,
        ) as conn:
            authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            async with cls(conn, authority=authority, _session=sessions[0]) as client:
                yield client

    async def __aenter__(self) -> H3Client:
        self._nursery_cm = trio.open_nursery()
        self._nursery = await self._nursery_cm.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        assert self._nursery is not None
        self._nursery.cancel_scope.cancel()
        try:
            return await self._nursery_cm.__aexit__(*exc_info)
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:  # the body's own error, unwrapped for the caller
                exc = group.exceptions[0]
                raise exc.with_traceback(exc.__traceback__) from group.__cause__
            raise

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeadersLike = None,
        content: Content = None,
        trailers: TrailersLike = None,
    ) -> H3Response:
        """Send a request; returns when the response head arrives (read the body from the
        response). `url` is a path ("/x?y") or an absolute https URL."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        pseudo = [
            (":method", method.upper()),
            (":scheme", parts.scheme or "https"),
            (":authority", parts.netloc or self.authority),
            (":path", path),
        ]
        return await self._request(pseudo + _norm_headers(headers), content, trailers)

    async def get(self, url: str, **kw: Any) -> H3Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> H3Response:
        return await self.request("POST", url, **kw)

    async def send_raw_request(
        self, headers: list[tuple[str, str]], content: bytes = b""
    ) -> H3Response:
        """Send header fields exactly as given (no pseudo-headers added, no validation): for
        tests and tools that need to produce malformed requests."""
        return await self._request(list(headers), content, None)

    async def _request(
        self, fields: HeaderList, content: Content, trailers: TrailersLike
    ) -> H3Response:
        if self._nursery is None:
            raise H3Error("use H3Client as `async with` (or H3Client.connect)")
        session = self._session
        no_body = trailers is None and (content is None or _is_empty_bytes(content))
        st = await session.open_request(_encode(fields), end=no_body)
        try:
            if not no_body:
                self._nursery.start_soon(self._send_body, st, content, trailers)
            head = await session.wait_headers(st)
        except BaseException:
            session.reset(st, H3ErrorCode.H3_REQUEST_CANCELLED)
            session.release(st)
            raise
        pseudo, regular = _split_pseudo(head)
        try:
            status = int(pseudo.get(":status", ""))
        except ValueError:
            session.reset(st, H3ErrorCode.H3_MESSAGE_ERROR)
            session.release(st)
            raise H3StreamError(H3ErrorCode.H3_MESSAGE_ERROR, "bad :status") from None
        response = H3Response(status, regular, content=_ClientBody(session, st))
        response.stream_id = st.stream_id
        return response

    async def _send_body(self, st: _StreamState, content: Content, trailers: TrailersLike) -> None:
        session = self._session
        try:
            await session.send_content(st, content, trailers)
        except (StreamReset, H3StreamError, ConnectionClosed, trio.ClosedResourceError):
            pass  # the response side reports what happened
        except Exception as exc:
            log.info("request body failed", stream_id=st.stream_id, error=repr(exc))
            if st.error is None:
                st.error = H3StreamError(
                    H3ErrorCode.H3_REQUEST_CANCELLED, f"request body failed: {exc!r}"
                )
            session.reset(st, H3ErrorCode.H3_REQUEST_CANCELLED)
            st.wake()


def _is_empty_bytes(content: Any) -> bool:
    return isinstance(content, bytes | bytearray | memoryview) and len(content) == 0


class _ClientBody(H3Body):
    """A response body; the stream is released once the body is read to its end."""

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        try:
            data = await super().receive_some(max_bytes)
        except BaseException:
            self._session.release(self._state)
            raise
        if not data:
            self._session.release(self._state)
        return data

    async def aclose(self) -> None:
        """Stop reading (STOP_SENDING if the body was not finished)."""
        self._session.release(self._state)
        await trio.lowlevel.checkpoint()
