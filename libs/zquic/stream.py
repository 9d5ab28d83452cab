"""QuicStream: one bidirectional QUIC stream as a trio HalfCloseableStream.

Backpressure both ways (QUIC-NOTES pitfall 6):
- send: a writer hands the core at most `send_buffer` bytes beyond what the core still holds
  for the stream (unsent/unacked) and then parks until the connection makes progress;
- receive: unread data stays in this object; the receive window is only extended as the
  application reads it (aioquic: enforced via zquic's window override; qh3: the core's own
  window, see docs/zquic.md), so a slow reader slows its writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import trio

from .errors import StreamReset, StreamStopped

if TYPE_CHECKING:
    from .connection import Connection

DEFAULT_READ = 65536


class QuicStream(trio.abc.HalfCloseableStream):
    def __init__(self, conn: Connection, stream_id: int) -> None:
        self._conn = conn
        self.stream_id = stream_id
        self._recv_buf = bytearray()
        self._recv_eof = False  # FIN received
        self._recv_error: StreamReset | None = None  # peer RESET_STREAM
        self._reader: trio.lowlevel.Task | None = None  # the task parked in receive_some
        self._send_error: StreamStopped | None = None  # peer STOP_SENDING
        self._send_finished = False  # FIN or RESET queued by us
        self._send_interrupted = False  # a send_all did not complete
        self._recv_stopped = False  # STOP_SENDING queued by us
        self._closed = False
        self._receiving = False
        self._sending = False
        self._unannounced = 0  # bytes read since we last flushed window updates
        self._abort_callback: Callable[[], None] | None = None
        # Set while `Connection.serve_streams` runs this stream's handler: the serving task's
        # cancel scope, the handler's to cancel or give a deadline (zquic.workers).
        self.serving_scope: trio.CancelScope | None = None

    def __repr__(self) -> str:
        return f"<QuicStream id={self.stream_id} conn={self._conn!r}>"

    # ---- events from the connection --------------------------------------------------------
    def _on_data(self, data: bytes, end_stream: bool) -> None:
        if self._recv_error is not None or self._recv_stopped:
            # Discarded: still counts as consumed so the connection window keeps moving.
            self._conn._consume(self.stream_id, len(data), from_buffer=False)
        else:
            self._recv_buf += data
            self._conn._buffered(self, len(data))
        if end_stream:
            self._recv_eof = True
        if self._reader is not None:
            self._wake_reader()

    def _on_reset(self, error_code: int) -> None:
        if not self._recv_eof or self._recv_buf:
            self._recv_error = StreamReset(error_code)
        # Clear before consuming: _consume re-checks per-stream buffers to resume receiving.
        n = len(self._recv_buf)
        self._recv_buf.clear()
        self._conn._consume(self.stream_id, n)
        self._wake_reader()
        self._fire_abort()

    def _on_stop_sending(self, error_code: int) -> None:
        self._send_error = StreamStopped(error_code)
        self._conn._wake()
        self._conn._maybe_forget(self)
        self._fire_abort()

    def _wake(self) -> None:
        """The connection closed (or changed state): wake blocked tasks."""
        self._wake_reader()
        if self._conn.is_closed:
            self._fire_abort()

    # One reader at a time (receive_some refuses a second): a single parked task, not a
    # ParkingLot (its OrderedDict and generator cost ~2 us per wake-up on the hot path).
    async def _park_reader(self) -> None:
        task = self._reader = trio.lowlevel.current_task()

        def abort(_: object) -> trio.lowlevel.Abort:
            if self._reader is task:
                self._reader = None
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    def _wake_reader(self) -> None:
        task = self._reader
        if task is not None:
            self._reader = None
            trio.lowlevel.reschedule(task)

    def _fire_abort(self) -> None:
        cb, self._abort_callback = self._abort_callback, None
        if cb is not None:
            cb()

    def set_abort_callback(self, callback: Callable[[], None] | None) -> None:
        """Call `callback()` once, synchronously from the driver, when the peer resets this
        stream, stops reading it (STOP_SENDING) or the connection closes; at once if that
        already happened. Lets a task notice a peer abort without a reader task; the callback
        must not block (e.g. it cancels a scope). None removes it."""
        self._abort_callback = callback
        if callback is not None and (
            self._recv_error is not None or self._send_error is not None or self._conn.is_closed
        ):
            self._fire_abort()

    @property
    def receive_finished(self) -> bool:
        return self._recv_eof or self._recv_error is not None or self._recv_stopped

    @property
    def _receive_done(self) -> bool:
        """Nothing more will be delivered to the application."""
        return (
            (self._recv_eof and not self._recv_buf)
            or self._recv_error is not None
            or (self._recv_stopped)
        )

    @property
    def stop_sending_code(self) -> int | None:
        """The peer's STOP_SENDING error code once it asked us to stop sending, else None."""
        err = self._send_error
        return err.error_code if isinstance(err, StreamStopped) else None

    @property
    def send_finished(self) -> bool:
        return self._send_finished or self._send_error is not None

    @property
    def receive_buffered(self) -> int:
        """Bytes `receive_some` returns without waiting."""
        return len(self._recv_buf)

    def send_capacity(self) -> int:
        """Bytes `send_all` hands to the core now without waiting for send budget."""
        conn = self._conn
        return max(conn._send_buffer - conn._send_backlog(self.stream_id), 0)

    # ---- receiving -------------------------------------------------------------------------
    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Return up to `max_bytes` (b"" at EOF); raise StreamReset if the peer reset."""
        if self._receiving:
            raise trio.BusyResourceError("another task is receiving on this stream")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        self._receiving = True
        # A task that parked already passed a schedule point: the trailing one is skipped
        # then (each costs a run-loop iteration when nothing else is runnable).
        parked = False
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            while True:
                if self._closed:
                    raise trio.ClosedResourceError("stream is closed")
                if self._recv_error is not None:
                    raise self._recv_error
                if self._recv_buf:
                    break
                if self._recv_eof or self._recv_stopped:
                    self._conn._maybe_forget(self)
                    if not parked:
                        await trio.lowlevel.cancel_shielded_checkpoint()
                    return b""
                self._conn._raise_if_closed()
                await self._park_reader()
                parked = True
            n = min(len(self._recv_buf), max_bytes or DEFAULT_READ)
            data = bytes(self._recv_buf[:n])
            del self._recv_buf[:n]
            self._conn._consume(self.stream_id, n)
            if not parked:
                await trio.lowlevel.cancel_shielded_checkpoint()
            return data
        finally:
            self._receiving = False

    def receive_nowait(self, max_bytes: int | None = None) -> bytes:
        """`receive_some` without waiting or yielding: buffered bytes (b"" at EOF), else
        trio.WouldBlock. Lets a caller that knows data is here skip a scheduler round."""
        if self._receiving:
            raise trio.BusyResourceError("another task is receiving on this stream")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        if self._closed:
            raise trio.ClosedResourceError("stream is closed")
        if self._recv_error is not None:
            raise self._recv_error
        if not self._recv_buf:
            if self._recv_eof or self._recv_stopped:
                self._conn._maybe_forget(self)
                return b""
            self._conn._raise_if_closed()
            raise trio.WouldBlock
        n = min(len(self._recv_buf), max_bytes or DEFAULT_READ)
        data = bytes(self._recv_buf[:n])
        del self._recv_buf[:n]
        self._conn._consume(self.stream_id, n)
        return data

    # ---- sending ---------------------------------------------------------------------------
    def send_nowait(self, data: bytes | bytearray | memoryview, *, eof: bool = False) -> None:
        """`send_all` without waiting or yielding: all of `data` (and FIN with `eof`) if it
        fits `send_capacity()`, else trio.WouldBlock with nothing sent."""
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        self._check_send()
        if len(data) > self.send_capacity():
            raise trio.WouldBlock
        if eof:
            self._send_finished = True
        self._conn._send_data(self.stream_id, bytes(data), eof)
        if eof:
            self._conn._maybe_forget(self)

    def _check_send(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("stream is closed")
        if self._send_error is not None:
            raise self._send_error
        if self._send_finished:
            raise trio.ClosedResourceError("send side already closed (EOF sent or reset)")
        self._conn._raise_if_closed()

    async def send_all(self, data: bytes | bytearray | memoryview, *, eof: bool = False) -> None:
        """Send all of `data`, waiting for send budget. `eof=True` also sends FIN with the last
        chunk (one packet for a small request instead of two)."""
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        self._sending = True
        conn = self._conn
        view = memoryview(data).cast("B")
        done = False
        parked = False  # a task that waited for budget passed a schedule point already
        try:
            await trio.lowlevel.checkpoint_if_cancelled()
            self._check_send()
            offset, total = 0, len(view)
            limit = conn._send_buffer
            while offset < total or (eof and not self._send_finished):
                backlog = conn._send_backlog(self.stream_id)
                if backlog >= limit and offset < total:
                    await conn._wait_send_budget()
                    parked = True
                    self._check_send()
                    continue
                chunk = bytes(view[offset : offset + max(limit - backlog, 0)])
                offset += len(chunk)
                last = eof and offset >= total
                if last:
                    self._send_finished = True
                conn._send_data(self.stream_id, chunk, last)
            done = True
            if eof:
                conn._maybe_forget(self)
            if not parked:
                await trio.lowlevel.cancel_shielded_checkpoint()
        finally:
            if not done:
                self._send_interrupted = True
            self._sending = False
            view.release()

    async def wait_send_all_might_not_block(self) -> None:
        conn = self._conn
        await trio.lowlevel.checkpoint_if_cancelled()
        while not self.send_finished and not conn.is_closed:
            if conn._send_backlog(self.stream_id) < conn._send_buffer:
                break
            await conn._wait_send_budget()
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def send_eof(self) -> None:
        """Send FIN (half-close); idempotent."""
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._closed:
            raise trio.ClosedResourceError("stream is closed")
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        if not self.send_finished:
            self._conn._raise_if_closed()
            self._send_finished = True
            self._conn._send_data(self.stream_id, b"", True)
            self._conn._maybe_forget(self)
        await trio.lowlevel.cancel_shielded_checkpoint()

    # ---- abort / close ---------------------------------------------------------------------
    def reset(self, error_code: int = 0) -> None:
        """Abort both directions now (RESET_STREAM + STOP_SENDING). Synchronous: safe to call
        from `except trio.Cancelled` handlers; wakes tasks blocked on this stream."""
        conn = self._conn
        if not self.send_finished:
            self._send_finished = True
            conn._core_call(conn._quic.reset_stream, self.stream_id, error_code)
        if not self.receive_finished:
            self._recv_stopped = True
            conn._core_call(conn._quic.stop_stream, self.stream_id, error_code)
        n = len(self._recv_buf)
        self._recv_buf.clear()
        conn._consume(self.stream_id, n)
        self._wake_reader()
        conn._flush()
        conn._wake()
        conn._maybe_forget(self)

    async def aclose(self) -> None:
        """Close both directions: FIN if all writes completed (RESET if a write was cut short,
        so a truncated message is never mistaken for a complete one), STOP_SENDING for unread
        incoming data."""
        self.close_nowait()
        await trio.lowlevel.checkpoint()

    def close_nowait(self, *, stop_sending: bool = True) -> None:
        """`aclose()` without the checkpoint. With `stop_sending=False` a receive side whose
        end has not arrived yet is abandoned quietly when nothing unread is buffered: what the
        peer still sends (e.g. its FIN after a finished exchange) is discarded and credited,
        and no STOP_SENDING (which the peer would answer with RESET_STREAM) is sent."""
        if self._closed:
            return
        conn = self._conn
        self._abort_callback = None
        if not conn.is_closed:
            aborted = False  # RESET/STOP_SENDING queued (a FIN schedules its own flush)
            if not self.send_finished:
                self._send_finished = True
                if self._send_interrupted:
                    conn._core_call(conn._quic.reset_stream, self.stream_id, 0)
                    aborted = True
                else:
                    conn._send_data(self.stream_id, b"", True)
            if not self.receive_finished and (stop_sending or self._recv_buf):
                if conn._dirty:
                    # qh3 holds back a stream's unsent data for ~2 round trips when
                    # STOP_SENDING for it is queued in the same flush: send the data first.
                    conn._flush()
                self._recv_stopped = True
                conn._core_call(conn._quic.stop_stream, self.stream_id, 0)
                aborted = True
            if aborted:
                conn._schedule_flush()
        n = len(self._recv_buf)
        if n:
            self._recv_buf.clear()
            conn._consume(self.stream_id, n)
        self._closed = True
        if self._reader is not None:
            self._wake_reader()
        conn._wake()
        conn._maybe_forget(self)
