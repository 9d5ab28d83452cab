"""Connection: one QUIC connection driven from trio (sans-IO core + thin driver).

Driver rules (QUIC-NOTES): one clock (`trio.current_time()` is the core's `now`); one timer
cancel scope per connection whose deadline follows `get_timer()` after every send; every
received batch, timer and application write is followed by `datagrams_to_send()`; a closed
connection keeps being driven until the core reports ConnectionTerminated.

Received batches and application writes do not flush at once: they mark the connection for
its `Flusher`, which flushes when every task is blocked, so the ACK of a request and the reply
written by the task it woke leave in one datagram (timers, closes and resets flush at once).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import structlog
import trio
from cryptography import x509

from . import busypoll
from .backend import Backend, FlowWindows
from .errors import (
    ConnectionClosed,
    TransportError,
    VersionNegotiationError,
    ZquicError,
    classify_close,
)
from .ratelimit import RateLimitedLog
from .stream import QuicStream
from .workers import StreamWorkers

if TYPE_CHECKING:
    from .udp import UdpSocket

log = structlog.get_logger("zquic.connection")

EventListener = Callable[[Any], None]
# Called once when the handshake completes (ALPN known); returns a listener or None.
ListenerFactory = Callable[["Connection"], EventListener | None]
# While receive is paused (qh3), hold up to 2 stream windows of datagrams: the peer cannot
# have more than a window in flight on one stream, so single-stream transfers never drop.
RX_BACKLOG_WINDOWS = 2
RX_HARD_CAP = 4  # x connection_window: unread bytes past which a paused qh3 connection blocks
# A marked connection is flushed after this long even if the scheduler never goes idle
# (tasks that loop on checkpoints must not starve transmissions).
FLUSH_GUARD = 0.001


def _runq_probe() -> Callable[[], bool]:
    """A cheap "is any task runnable?" for the run loop hook. trio exposes it publicly only
    through current_statistics() (which also walks the I/O registrations); its runner's run
    queue answers in one attribute read, used when present (tested on the pinned trio)."""
    try:
        from trio._core._run import GLOBAL_RUN_CONTEXT

        GLOBAL_RUN_CONTEXT.runner.runq  # noqa: B018 - probe the private layout once
    except (ImportError, AttributeError):
        return lambda: trio.lowlevel.current_statistics().tasks_runnable > 0
    return lambda: bool(GLOBAL_RUN_CONTEXT.runner.runq)


class _FlushInstrument(trio.abc.Instrument):
    """The run loop hook behind every Flusher of a trio run (one per run, see `_instrument`).

    trio calls `before_io_wait` once per scheduler round, just before it polls for I/O. When
    no task is runnable, every task woken by the last received batch has written its reply:
    the dirty connections are flushed then, so ACKs, replies and FINs share datagrams. No task
    wakes up to flush (a flusher task cost two scheduler rounds per flush), and no deadline is
    moved per write. While tasks stay runnable (a busy scheduler), a connection marked more
    than FLUSH_GUARD ago is flushed anyway.
    """

    def __init__(self) -> None:
        self.dirty: dict[Connection, None] = {}
        self.since = 0.0  # when the oldest unflushed mark was made
        # While the hook flushes: when trio's coming I/O wait returns at the latest. A core
        # timer armed earlier than that would be missed: `_arm_timer` asks for a wake-up.
        self.wake_by = math.inf
        self.poke = False
        self._runnable = _runq_probe()
        self._token = trio.lowlevel.current_trio_token()
        self.now = trio.lowlevel.current_clock().current_time  # = trio.current_time, shorter
        self.busy = busypoll.for_this_run()

    def before_io_wait(self, timeout: float) -> None:
        try:
            if self.dirty:
                now = self.now()
                if self._runnable() and now - self.since < FLUSH_GUARD:
                    return
                if timeout <= 0:
                    self.flush()
                    return
                self.wake_by, self.poke = now + timeout, False
                try:
                    self.flush()
                finally:
                    self.wake_by = math.inf
                if self.poke or self._runnable():
                    # The flush woke a task (e.g. a writer waiting for send budget) or armed
                    # a timer after trio chose how long to sleep: make the I/O wait return
                    # at once.
                    self._token.run_sync_soon(_noop)
                    return
            if timeout > 0 and self.busy.before_sleep(timeout):  # idle: maybe spin (busypoll)
                self._token.run_sync_soon(_noop)  # the spin ran into a deadline: no sleep now
        except Exception:  # trio drops an instrument that raises: never let it
            log.exception("zquic flush failed")

    def flush(self) -> None:
        while self.dirty:
            dirty, self.dirty = self.dirty, {}
            for conn in dirty:
                if conn._dirty:
                    conn._flush()


def _noop() -> None:
    pass


_FLUSH_INSTRUMENT: trio.lowlevel.RunVar[_FlushInstrument] = trio.lowlevel.RunVar("zquic_flush")


def _instrument() -> _FlushInstrument:
    try:
        return _FLUSH_INSTRUMENT.get()
    except LookupError:
        inst = _FlushInstrument()
        trio.lowlevel.add_instrument(inst)
        _FLUSH_INSTRUMENT.set(inst)
        return inst


class Flusher:
    """Coalesces transmissions of the connections sharing it (one per endpoint / client).

    Connections marked dirty are flushed together once no task is runnable (see
    `_FlushInstrument`): by then the tasks woken by a received batch have written their
    replies, so ACKs, replies and FINs share datagrams instead of each write leaving alone.
    `run()` marks the lifetime: outside it, marking fails and the caller flushes at once.
    """

    def __init__(self) -> None:
        self._inst: _FlushInstrument | None = None
        self.running = False

    def mark(self, conn: Connection) -> bool:
        """Queue `conn` for the next flush; False: flush it now (the flusher is not running, or
        the oldest mark is FLUSH_GUARD old: the others were flushed already)."""
        inst = self._inst
        if inst is None:
            return False
        dirty = inst.dirty
        if not dirty:
            inst.since = inst.now()
        elif inst.now() - inst.since >= FLUSH_GUARD:
            # A long scheduler round (e.g. a batch of handlers that never block) writes
            # without reaching the run-loop hook: flush from the write, so the peer works on
            # the first replies while the rest are computed instead of waiting for them all.
            inst.flush()
            return False
        dirty[conn] = None
        return True

    def overdue(self) -> None:
        """A marked connection wrote again: flush now if the oldest mark is FLUSH_GUARD old."""
        inst = self._inst
        if inst is not None and inst.dirty and inst.now() - inst.since >= FLUSH_GUARD:
            inst.flush()

    async def run(self) -> None:
        self._inst = _instrument()
        self.running = True
        try:
            await trio.sleep_forever()
        finally:
            self.running = False
            inst, self._inst = self._inst, None
            inst.flush()


@attrs.define
class ConnectionStats:
    datagrams_received: int = 0
    datagrams_sent: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0
    streams_opened: int = 0
    streams_accepted: int = 0
    datagrams_dropped_paused: int = 0


class Connection:
    """A QUIC connection. Created by `zquic.connect` (client) or an endpoint (server)."""

    def __init__(
        self,
        *,
        quic: Any,
        backend: Backend,
        udp: UdpSocket,
        is_client: bool,
        remote_address: Any,
        windows: FlowWindows,
        send_buffer: int,
        on_cid_issued: Callable[[Connection, bytes], None] | None = None,
        on_cid_retired: Callable[[Connection, bytes], None] | None = None,
        on_terminated: Callable[[Connection], None] | None = None,
        event_listener_factory: ListenerFactory | None = None,
        flusher: Flusher | None = None,
    ) -> None:
        self.quic = quic  # the core object, for the documented low-level hook
        self._quic = quic
        self._feed = backend.feeder(quic)
        # trio.current_time() is the run's clock; calling the clock directly skips two layers.
        self._now = trio.lowlevel.current_clock().current_time
        self._poll = backend.poller(quic)
        self._send = backend.sender(quic)
        self._backend = backend
        self._udp = udp
        self.is_client = is_client
        self._windows = windows
        self._send_buffer = send_buffer
        self._on_cid_issued = on_cid_issued
        self._on_cid_retired = on_cid_retired
        self._on_terminated = on_terminated

        self.alpn_protocol: str | None = None
        self.session_resumed = False
        self.early_data_accepted = False
        self.session_ticket: Any = None
        self.on_session_ticket: Callable[[Any], None] | None = None
        self.close_reason: ConnectionClosed | None = None
        self.handshake_complete = trio.Event()
        self.terminated = trio.Event()
        self._closing_locally = False
        self._peer_certificate: x509.Certificate | None = None

        self._streams: dict[int, QuicStream] = {}
        self._accept_queue: deque[QuicStream] = deque()
        self._accept_lot = trio.lowlevel.ParkingLot()
        # While `serve_streams` runs: new peer streams go to a serving task at once.
        self._stream_workers: StreamWorkers | None = None
        self._state_lot = trio.lowlevel.ParkingLot()  # handshake done / terminated
        self._rebind_hook: Callable[[], Awaitable[tuple[str, int]]] | None = None
        self._progress = trio.lowlevel.ParkingLot()  # writers wait here for send budget
        # Tasks waiting for the peer's stream limit: woken only as many as there is credit
        # for, only when a received batch may have raised the limit.
        self._openers = trio.lowlevel.ParkingLot()
        self._max_peer_bidi = -1  # highest peer-initiated bidi stream index seen
        self._max_peer_uni = -1
        self._timer_scope: trio.CancelScope | None = None
        self._armed_at = math.nan
        self._event_listener: EventListener | None = None
        self._listener_factory = event_listener_factory
        self._held_events: list[Any] = []
        self._last_peer: Any = remote_address
        self._pings: dict[int, trio.Event] = {}
        self._next_ping = 1
        self._stats = ConnectionStats()
        self._core_errors = RateLimitedLog(log, "core call failed")
        self._cids: set[bytes] = set()
        self._unread = 0  # bytes delivered by the core, not yet read by the application
        self._rx_paused = False
        self._rx_backlog: deque[tuple[bytes, Any]] = deque()
        self._rx_backlog_bytes = 0
        self._flush_errors = 0
        self._first_send = trio.Event()
        self._over_streams: set[QuicStream] = set()
        self._in_events = False
        self._resume_pending = False
        self._send_waiters = 0
        self._flusher = flusher
        self._dirty = False  # marked for the flusher

    def __repr__(self) -> str:
        role = "client" if self.is_client else "server"
        return f"<Connection {role} {self._backend.name} peer={self.remote_address}>"

    # ---- public properties -----------------------------------------------------------------
    @property
    def remote_address(self) -> Any:
        """Where the core currently sends (follows the peer when it migrates)."""
        return self._last_peer

    @property
    def backend_name(self) -> str:
        return self._backend.name

    @property
    def peer_certificate(self) -> x509.Certificate | None:
        return self._peer_certificate

    @property
    def is_closed(self) -> bool:
        return self.close_reason is not None or self._closing_locally

    @property
    def local_address(self) -> tuple[str, int]:
        return self._udp.local_address

    def stats(self) -> dict[str, Any]:
        d = attrs.asdict(self._stats)
        d.update(
            backend=self._backend.name,
            open_streams=len(self._streams),
            unread_bytes=self._unread,
            receive_paused=self._rx_paused,
            closed=self.is_closed,
        )
        return d

    # ---- streams ---------------------------------------------------------------------------
    async def open_stream(self) -> QuicStream:
        """Open a bidirectional stream; waits (never errors) while the peer's limit is reached."""
        await trio.lowlevel.checkpoint_if_cancelled()
        parked = False  # a task that parked passed a schedule point already
        while True:
            self._raise_if_closed()
            if self._backend.can_open_bidi(self._quic):
                break
            await self._openers.park()
            parked = True
        stream = self._new_local_stream()
        if not parked:
            await trio.lowlevel.cancel_shielded_checkpoint()
        return stream

    def open_stream_nowait(self) -> QuicStream:
        """`open_stream` without waiting or yielding: a new stream when the peer's limit
        allows one now, else trio.WouldBlock. For callers that reach a checkpoint right
        after (e.g. waiting for the reply), so the open costs no scheduler round."""
        self._raise_if_closed()
        if not self._backend.can_open_bidi(self._quic):
            raise trio.WouldBlock
        return self._new_local_stream()

    def _new_local_stream(self) -> QuicStream:
        # Allocate and register with no await in between (pitfall 7).
        stream_id = self._quic.get_next_available_stream_id(False)
        stream = QuicStream(self, stream_id)
        self._streams[stream_id] = stream
        self._quic.send_stream_data(stream_id, b"", False)  # creates it in the core now
        self._stats.streams_opened += 1
        return stream

    async def accept_stream(self) -> QuicStream:
        """Wait for the next stream the peer opened."""
        await trio.lowlevel.checkpoint_if_cancelled()
        parked = False
        while not self._accept_queue:
            self._raise_if_closed()
            await self._accept_lot.park()
            parked = True
        stream = self._accept_queue.popleft()
        if not parked:
            await trio.lowlevel.cancel_shielded_checkpoint()
        return stream

    async def serve_streams(self, handler: Callable[[QuicStream], Awaitable[Any]]) -> None:
        """Run `handler(stream)` in a task of its own for every stream the peer opens, until
        the connection closes; then wait for the running handlers. The driver hands each
        stream to a task as it arrives (no accept loop in between: one scheduler round less
        per stream); tasks are reused from one stream to the next (see zquic.workers; the
        handler may use `stream.serving_scope`). Streams already waiting for
        `accept_stream` are served first."""
        await trio.lowlevel.checkpoint_if_cancelled()
        async with trio.open_nursery() as nursery:
            workers = StreamWorkers(nursery, handler)
            self._stream_workers = workers
            try:
                while self._accept_queue:
                    workers.submit(self._accept_queue.popleft())
                while not self.is_closed:
                    await self._accept_lot.park()
            finally:
                self._stream_workers = None
                workers.close()

    # ---- connection control ----------------------------------------------------------------
    async def aclose(self, error_code: int = 0, reason: str = "") -> None:
        """Close gracefully (CONNECTION_CLOSE with an application error code)."""
        self.close_nowait(error_code, reason)
        await trio.lowlevel.checkpoint()

    def close_nowait(self, error_code: int = 0, reason: str = "") -> None:
        if self._closing_locally or self.close_reason is not None:
            return
        self._closing_locally = True
        if self._dirty:
            self._flush()  # writes made just before the close still leave
        self._core_call(self._quic.close, error_code=error_code, reason_phrase=reason)
        self._flush()
        self._wake_all()

    def request_key_update(self) -> None:
        """Start a TLS key update. Needs a confirmed handshake (server: at handshake completion;
        client: once HANDSHAKE_DONE arrived, e.g. after one round trip)."""
        self._raise_if_closed()
        if not self._backend.is_handshake_confirmed(self._quic):
            raise ZquicError("key update needs a confirmed handshake")
        self._quic.request_key_update()
        self._flush()

    async def ping(self) -> float:
        """Send a PING and wait for its acknowledgement; returns the round-trip seconds.
        Bound it with `trio.fail_after` (a lost peer is detected by the idle timeout)."""
        self._raise_if_closed()
        uid = self._next_ping
        self._next_ping += 1
        done = self._pings[uid] = trio.Event()
        start = trio.current_time()
        self._quic.send_ping(uid)
        self._flush()
        try:
            await done.wait()  # also set when the connection closes
            self._raise_if_closed()
        finally:
            self._pings.pop(uid, None)
        return trio.current_time() - start

    async def wait_handshake(self) -> None:
        """Wait for the handshake; raises the typed close reason if it failed."""
        while not self.handshake_complete.is_set():
            if self.close_reason is not None:
                raise self.close_reason
            await self._state_lot.park()

    async def rebind(self) -> tuple[str, int]:
        """Client: move to a new local UDP socket (new port); the connection and its open
        streams continue (connection migration). Returns the new local address."""
        if self._rebind_hook is None:
            raise ZquicError("only client connections can rebind")
        self._raise_if_closed()
        return await self._rebind_hook()

    migrate = rebind

    async def wait_closed(self) -> None:
        await self.terminated.wait()

    async def wait_sent(self) -> None:
        """Wait until the core holds no more stream data to send (aioquic: until it is also
        acknowledged), or the connection closed. Before closing a connection whose last
        replies were just written (e.g. at the end of a graceful drain): a close discards
        what the core still holds, e.g. datagrams held back by pacing or congestion control.
        Bound it with a timeout: a peer that stops reading holds the data forever."""
        await trio.lowlevel.checkpoint_if_cancelled()
        while not self.is_closed and self._backend.total_send_backlog(self._quic) > 0:
            if self._dirty:
                self._flush()
            await self._wait_send_budget()  # woken by ACKs, sends and the close
        await trio.lowlevel.cancel_shielded_checkpoint()

    # ---- low-level hook (HTTP/3) -----------------------------------------------------------
    def set_event_listener(self, callback: EventListener | None) -> None:
        """Route every QUIC event to `callback` instead of the built-in stream dispatch.

        Internal bookkeeping (handshake, connection IDs, termination, pings) still happens.
        After writing to `conn.quic` directly, call `transmit()`.
        """
        self._event_listener = callback

    def transmit(self) -> None:
        """Flush datagrams the core has queued (after direct writes to `conn.quic`)."""
        self._flush()

    # ---- internals used by QuicStream --------------------------------------------------------
    def _raise_if_closed(self) -> None:
        if self.close_reason is not None:
            raise self.close_reason
        if self._closing_locally:
            raise classify_close(0, None, "closed locally", by_peer=False)

    def _send_backlog(self, stream_id: int) -> int:
        return self._backend.send_backlog(self._quic, stream_id)

    def _send_data(self, stream_id: int, data: bytes, end_stream: bool) -> None:
        try:
            self._send(stream_id, data, end_stream)
        except Exception as exc:
            self._check_core_closing()
            self._raise_if_closed()
            stream = self._streams.get(stream_id)
            if stream is not None and stream._send_error is not None:
                raise stream._send_error from None
            raise ZquicError(f"stream {stream_id}: {exc}") from exc
        if end_stream and data and len(self._streams) == 1 and self._nothing_else_runnable():
            # The last bytes of a reply on a connection in lockstep (one stream in flight)
            # while no other task waits to run: nothing will join this flush, so send now
            # rather than after this task's remaining work (bookkeeping, logging, exit):
            # that delay is on the peer's round trip. With several streams in flight, or
            # for a bare FIN (a close), the shared flush coalesces better. (trio takes a
            # whole batch of tasks off its run queue before running it, so the run-queue
            # check alone cannot see the rest of a batch of handlers.)
            self._flush()
        else:
            self._schedule_flush()

    def _nothing_else_runnable(self) -> bool:
        flusher = self._flusher
        inst = flusher._inst if flusher is not None else None
        return inst is not None and not inst._runnable()

    def _check_core_closing(self) -> None:
        """Surface a close as soon as the core starts closing/draining: both cores only emit
        ConnectionTerminated after the drain period (3 PTO), which the driver still serves."""
        if self.close_reason is not None:
            return
        event = getattr(self._quic, "_close_event", None)
        if event is None:
            return
        reason = event.reason_phrase or ""
        self.close_reason = classify_close(
            event.error_code,
            event.frame_type,
            reason,
            by_peer=not self._closing_locally,
            idle="idle" in reason.lower() and not self._closing_locally,
        )
        self._wake_all()

    def _buffered(self, stream: QuicStream, nbytes: int) -> None:
        """Unread data grew. Cores without consumption-based windows (qh3) re-open the
        window on delivery, so past the limits zquic stops feeding the core (see _receive)."""
        self._unread += nbytes
        if self._backend.consumption_flow_control:
            return
        if len(stream._recv_buf) > 2 * self._windows.stream_window:
            self._over_streams.add(stream)
            self._rx_paused = True
        elif self._unread > self._windows.connection_window:
            self._rx_paused = True

    def _maybe_resume_rx(self) -> None:
        if self._in_events:
            self._resume_pending = True  # never feed the core from inside event dispatch
            return
        limit = self._windows.stream_window
        self._over_streams = {s for s in self._over_streams if len(s._recv_buf) > limit}
        if self._over_streams or self._unread > self._windows.connection_window // 2:
            return
        self._rx_paused = False
        self._drain_rx_backlog()

    def _rx_blocked(self) -> bool:
        # A paused connection still takes packets while one of its writers waits for send
        # budget: ACKs travel in the same packets, and refusing them could deadlock an
        # application that writes before it reads (e.g. an echo). A hard cap still applies.
        if not self._rx_paused:
            return False
        return (
            not self._send_waiters or self._unread >= RX_HARD_CAP * self._windows.connection_window
        )

    def _drain_rx_backlog(self) -> None:
        if not self._rx_backlog or self._in_events:
            return
        now = trio.current_time()
        while self._rx_backlog and not self._rx_blocked():
            data, addr = self._rx_backlog.popleft()
            self._rx_backlog_bytes -= len(data)
            self._receive(data, addr, now)
        self._after_receive()

    async def _wait_send_budget(self) -> None:
        """Park a writer until the connection makes progress (ACKs, sends, closes)."""
        self._send_waiters += 1
        try:
            if self._rx_paused:
                self._drain_rx_backlog()
            await self._progress.park()
        finally:
            self._send_waiters -= 1

    def _consume(self, stream_id: int, nbytes: int, *, from_buffer: bool = True) -> None:
        if nbytes <= 0:
            return
        if from_buffer:
            self._unread -= nbytes
            if self._rx_paused:
                self._maybe_resume_rx()
        w = self._windows
        self._backend.consumed(self._quic, w, stream_id, nbytes)
        if self._backend.consumption_flow_control:
            # Announce new credit once half a window has been read (batches MAX_*_DATA).
            stream = self._streams.get(stream_id)
            if stream is not None:
                stream._unannounced += nbytes
                if stream._unannounced >= w.stream_window // 2:
                    stream._unannounced = 0
                    self._schedule_flush()
            else:
                self._schedule_flush()

    def _core_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the core for an action that may legitimately fail on a finished stream."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            self._core_errors.info(error=repr(exc), call=getattr(fn, "__name__", "?"))
            return None

    def _maybe_forget(self, stream: QuicStream) -> None:
        """Drop our reference once both directions are done (the caller's object stays
        usable: reads return b"" / raise, writes raise), so long connections do not leak."""
        if stream._closed or (stream.send_finished and stream._receive_done):
            if self._streams.get(stream.stream_id) is stream:
                del self._streams[stream.stream_id]
                self._windows.consumed.pop(stream.stream_id, None)
                self._over_streams.discard(stream)

    def _wake(self) -> None:
        if self._progress:
            self._progress.unpark_all()

    def _wake_all(self) -> None:
        for done in self._pings.values():
            done.set()
        self._progress.unpark_all()
        self._openers.unpark_all()
        self._accept_lot.unpark_all()
        self._state_lot.unpark_all()
        for s in list(self._streams.values()):
            s._wake()

    # ---- the driver ------------------------------------------------------------------------
    def _receive(self, data: bytes, addr: Any, now: float) -> None:
        """Feed one datagram (no flush: the endpoint calls `_after_receive` per batch)."""
        if self._rx_blocked():
            # Receive backpressure for qh3: hold a bounded backlog, drop the rest (the peer
            # retransmits under congestion control once we resume).
            if self._rx_backlog_bytes < RX_BACKLOG_WINDOWS * self._windows.stream_window:
                self._rx_backlog.append((data, addr))
                self._rx_backlog_bytes += len(data)
            else:
                self._stats.datagrams_dropped_paused += 1
            return
        self._stats.datagrams_received += 1
        self._stats.bytes_received += len(data)
        try:
            self._feed(data, addr, now)
        except Exception as exc:  # a core bug must not kill the endpoint
            self._core_errors.warning(error=repr(exc), where="receive_datagram")

    def _after_receive(self) -> None:
        self._process_events()
        self._check_core_closing()
        # The core's timer moved (ACK delay, loss detection): arm it from this task, so trio's
        # next sleep already accounts for it (from the flush hook it costs a poke). A timer
        # due within the flush guard is left to the flush (an immediate ACK then leaves with
        # the reply instead of alone from the timer task).
        t = self._quic.get_timer()
        if t is None or t > self._now() + FLUSH_GUARD:
            self._arm_timer(t)
        if self._progress:
            self._progress.unpark_all()  # ACKs and MAX_DATA frames free send budget
        if self._openers:
            credit = self._backend.bidi_credit(self._quic)  # MAX_STREAMS frames raise it
            if credit > 0:
                self._openers.unpark(count=credit)
        # Continuous traffic that keeps the scheduler busy is still flushed within
        # FLUSH_GUARD by the run-loop hook.
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Flush soon: when every task is blocked (see Flusher), at the latest FLUSH_GUARD."""
        if self._dirty:
            self._flusher.overdue()  # type: ignore[union-attr]  # dirty implies a flusher
            return
        flusher = self._flusher
        if flusher is None or not flusher.mark(self):
            self._flush()
            return
        self._dirty = True

    def _flush(self) -> None:
        """datagrams_to_send() -> socket, then move the timer deadline."""
        if self._dirty:
            self._dirty = False
            inst = self._flusher._inst if self._flusher is not None else None
            if inst is not None:
                inst.dirty.pop(self, None)  # a stale entry would age the flush guard
        try:
            datagrams = self._poll(self._now())
        except Exception as exc:
            self._flush_errors += 1
            self._core_errors.warning(error=repr(exc), where="datagrams_to_send")
            datagrams = []
        if datagrams:
            udp = self._udp
            st = self._stats
            for data, addr in datagrams:
                udp.send(data, addr)
                st.datagrams_sent += 1
                st.bytes_sent += len(data)
            self._last_peer = addr
            if not self._first_send.is_set():
                self._first_send.set()
            if not self._backend.consumption_flow_control and self._progress:
                self._progress.unpark_all()  # qh3's backlog counts unsent bytes only
        self._process_events()
        self._arm_timer()

    def _arm_timer(self, t: float | None = None) -> None:
        scope = self._timer_scope
        if scope is not None:
            if t is None:
                t = self._quic.get_timer()
            t = math.inf if t is None else t
            # Only ever move the deadline earlier: re-registering a trio deadline is not
            # free and the core's timer moves later with nearly every packet; one that
            # fires early costs one wake-up of the timer task, which re-arms it.
            if t < self._armed_at or self._armed_at != self._armed_at:  # NaN: unarmed
                self._armed_at = t
                scope.deadline = t
                flusher = self._flusher
                if flusher is not None and (inst := flusher._inst) is not None:
                    if t < inst.wake_by:
                        inst.poke = True

    async def _run_timer(self) -> None:
        """Serve the core's timer until the connection terminates."""
        while not self.terminated.is_set():
            with trio.CancelScope() as scope:
                self._timer_scope = scope
                self._armed_at = math.nan
                self._arm_timer()
                await trio.sleep_forever()
            self._timer_scope = None
            if self.terminated.is_set():
                break
            now = trio.current_time()
            t = self._quic.get_timer()
            if t is not None and t <= now:
                try:
                    self._quic.handle_timer(now)
                except Exception as exc:
                    self._core_errors.warning(error=repr(exc), where="handle_timer")
                self._process_events()
                self._check_core_closing()
            self._flush()

    def _process_events(self) -> None:
        if self._in_events:
            return  # re-entered from a listener or stream callback: the outer loop drains
        self._in_events = True
        try:
            self._dispatch_events()
        finally:
            self._in_events = False
        if self._resume_pending:
            self._resume_pending = False
            self._maybe_resume_rx()

    def _dispatch_events(self) -> None:
        quic = self._quic
        while True:
            event = quic.next_event()
            if event is None:
                break
            self._dispatch_one(event)

    def _dispatch_one(self, event: Any) -> None:
        ev = self._backend.events
        quic = self._quic
        t = type(event)
        if (
            self._listener_factory is not None
            and not self.handshake_complete.is_set()
            and t in (ev.StreamDataReceived, ev.StreamReset, ev.StopSendingReceived)
        ):
            # 0-RTT stream events before the factory could pick a listener: hold them.
            self._held_events.append(event)
            return
        listener = self._event_listener
        if t is ev.StreamDataReceived and listener is None:
            self._on_stream_data(event.stream_id, event.data, event.end_stream)
            return
        if t is ev.HandshakeCompleted:
            self.alpn_protocol = event.alpn_protocol
            self.session_resumed = event.session_resumed
            self.early_data_accepted = event.early_data_accepted
            self._peer_certificate = self._backend.peer_certificate(quic)
            self.handshake_complete.set()
            self._state_lot.unpark_all()
            if self._listener_factory is not None:
                # Chosen synchronously (e.g. by ALPN) so no later event misses the listener.
                factory, self._listener_factory = self._listener_factory, None
                chosen = factory(self)
                if chosen is not None:
                    self._event_listener = chosen
                    chosen(event)
                held, self._held_events = self._held_events, []
                for h in held:
                    self._dispatch_one(h)
                return
        elif t is ev.ConnectionIdIssued:
            self._cids.add(event.connection_id)
            if self._on_cid_issued is not None:
                self._on_cid_issued(self, event.connection_id)
        elif t is ev.ConnectionIdRetired:
            self._cids.discard(event.connection_id)
            if self._on_cid_retired is not None:
                self._on_cid_retired(self, event.connection_id)
        elif t is ev.PingAcknowledged:
            done = self._pings.get(event.uid)
            if done is not None:
                done.set()
        elif t is ev.ConnectionTerminated:
            self._on_terminated_event(event)
        if listener is not None:
            listener(event)
            return
        if t is ev.StreamReset:
            s = self._streams.get(event.stream_id)
            if s is not None:
                s._on_reset(event.error_code)
            else:
                self._stream_for_peer(event.stream_id, reset=event.error_code)
        elif t is ev.StopSendingReceived:
            s = self._streams.get(event.stream_id)
            if s is None:
                s = self._stream_for_peer(event.stream_id)
            if s is not None:
                s._on_stop_sending(event.error_code)
                if not s._send_finished:
                    s._send_finished = True
                    self._core_call(quic.reset_stream, event.stream_id, event.error_code)

    def _stream_for_peer(self, stream_id: int, reset: int | None = None) -> QuicStream | None:
        """Create (and queue for accept) a stream the peer opened, if it is new."""
        if bool(stream_id & 1) == (not self.is_client) or stream_id & 2:
            return None  # ours (already forgotten) or unidirectional (unsupported: ignored)
        index = stream_id >> 2
        if index <= self._max_peer_bidi:
            return None  # already accepted and forgotten
        # Streams below this one were implicitly opened by the peer (RFC 9000 section 3.2).
        workers = self._stream_workers
        for i in range(self._max_peer_bidi + 1, index + 1):
            sid = (i << 2) | (stream_id & 3)
            s = QuicStream(self, sid)
            self._streams[sid] = s
            self._stats.streams_accepted += 1
            if workers is not None:
                workers.submit(s)
            else:
                self._accept_queue.append(s)
        self._max_peer_bidi = index
        if workers is None:
            self._accept_lot.unpark_all()
        s = self._streams[stream_id]
        if reset is not None:
            s._on_reset(reset)
        return s

    def _on_stream_data(self, stream_id: int, data: bytes, end_stream: bool) -> None:
        s = self._streams.get(stream_id)
        if s is None:
            s = self._stream_for_peer(stream_id)
        if s is None:
            self._consume(stream_id, len(data), from_buffer=False)  # late data, forgotten stream
            return
        s._on_data(data, end_stream)

    def _on_terminated_event(self, event: Any) -> None:
        if self.terminated.is_set():
            return
        reason = event.reason_phrase or ""
        idle = "idle" in reason.lower() and not self._closing_locally
        if (
            self.close_reason is None
            and self.is_client
            and not self.handshake_complete.is_set()
            and "version" in reason.lower()
        ):
            self.close_reason = VersionNegotiationError(event.error_code, None, reason, True)
        if self.close_reason is None:
            self.close_reason = classify_close(
                event.error_code,
                event.frame_type,
                reason,
                by_peer=not self._closing_locally and not idle,
                idle=idle,
            )
        log.debug(
            "connection terminated",
            backend=self._backend.name,
            client=self.is_client,
            error_code=event.error_code,
            reason=reason,
        )
        self.terminated.set()
        self._first_send.set()
        if self._timer_scope is not None:
            self._timer_scope.cancel()
        self._wake_all()
        if self._on_terminated is not None:
            self._on_terminated(self)

    def _abandon(self, reason: str) -> None:
        """Drop a connection that never really started (no packets to drain)."""
        if self.terminated.is_set():
            return
        if self.close_reason is None:
            self.close_reason = TransportError(0, None, reason, False)
        self.terminated.set()
        self._first_send.set()
        if self._timer_scope is not None:
            self._timer_scope.cancel()
        self._wake_all()
        if self._on_terminated is not None:
            self._on_terminated(self)

    def _on_ticket(self, ticket: Any) -> None:
        self.session_ticket = ticket
        if self.on_session_ticket is not None:
            self.on_session_ticket(ticket)
