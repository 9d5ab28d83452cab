"""Reusable tasks that serve a connection's peer streams (`Connection.serve_streams`).

Starting a trio task costs ~15 us (a Task, a coroutine wrapper, a context copy, nursery
bookkeeping) and a per-call cancel scope ~7 us more: on a server of small unary calls that
was a sixth of its CPU. A worker serves one stream after another instead: when its handler
returns it parks as idle, and the driver hands it the next stream that arrives (one
reschedule); only when no worker is idle is a new one started. Each stream still gets a fresh
copy of the serving task's contextvars, as a task of its own would.

Each worker also runs its handlers inside a cancel scope the handler may use as its own
(`QuicStream.serving_scope`): cancel it (e.g. when the peer aborts the stream) or set its
deadline. A scope that was cancelled is never reused, and a changed deadline is reset before
the next stream, so nothing leaks from one stream to the next.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import outcome
import trio

if TYPE_CHECKING:
    from .stream import QuicStream

Handler = Callable[["QuicStream"], Awaitable[Any]]

# Idle workers kept per connection; past this a worker whose handler returned exits (a burst
# of N concurrent streams leaves at most this many tasks parked afterwards).
MAX_IDLE = 64


class StreamWorkers:
    def __init__(self, nursery: trio.Nursery, handler: Handler) -> None:
        self._nursery = nursery
        self._handler = handler
        self._context = contextvars.copy_context()  # the serving task's, as start_soon copies
        self._idle: list[trio.lowlevel.Task] = []
        self._closed = False

    def submit(self, stream: QuicStream) -> None:
        """Serve `stream` now: an idle worker takes it, else a new worker starts."""
        if self._idle:
            task = self._idle.pop()
            task.context = self._context.copy()
            trio.lowlevel.reschedule(task, outcome.Value(stream))
        else:
            # start_soon copies the calling context: run it in ours.
            self._context.run(self._nursery.start_soon, self._work, stream)

    def close(self) -> None:
        """No more streams: idle workers exit (running ones finish their stream first)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for task in idle:
            trio.lowlevel.reschedule(task, outcome.Value(None))

    async def _next(self) -> QuicStream | None:
        if self._closed or len(self._idle) >= MAX_IDLE:
            return None
        task = trio.lowlevel.current_task()
        self._idle.append(task)

        def abort(_: Any) -> trio.lowlevel.Abort:
            self._idle.remove(task)
            return trio.lowlevel.Abort.SUCCEEDED

        stream: QuicStream | None = await trio.lowlevel.wait_task_rescheduled(abort)
        return stream

    async def _work(self, stream: QuicStream | None) -> None:
        handler = self._handler
        while stream is not None:
            with trio.CancelScope() as scope:
                while stream is not None:
                    stream.serving_scope = scope
                    try:
                        await handler(stream)
                    finally:
                        stream.serving_scope = None
                    if scope.cancel_called:
                        break  # a cancelled scope stays cancelled: take a fresh one
                    if scope.deadline != math.inf:
                        scope.deadline = math.inf
                    stream = await self._next()
                else:
                    return
            stream = await self._next()
