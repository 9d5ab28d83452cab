"""`Connection.serve_streams` (a task per peer stream, started by the driver and reused from
one stream to the next) and `open_stream_nowait` (open without a scheduler round, WouldBlock
at the peer's limit)."""

from __future__ import annotations

import contextvars
import math
import os
from functools import partial

import pytest
import trio
import zquic
from zquic_exchanges import echo as _echo
from zquic_exchanges import exchange as _exchange

ALPN = ["zquic-test"]


def _connect(backend, endpoint, client_tls):
    return zquic.connect(
        "127.0.0.1",
        endpoint.local_address[1],
        tls=client_tls(),
        alpn_protocols=ALPN,
        backend=backend,
    )


async def test_serve_streams_runs_a_handler_per_stream(backend, run_server, client_tls):
    served: list[int] = []
    queued_first = trio.Event()
    finished = trio.Event()

    async def handler(conn: zquic.Connection) -> None:
        # A stream that arrived before serve_streams started is served too.
        await queued_first.wait()

        async def serve(stream: zquic.QuicStream) -> None:
            served.append(stream.stream_id)
            await _echo(stream)

        await conn.serve_streams(serve)  # returns once the connection is closed
        finished.set()

    with trio.fail_after(20):
        async with run_server(handler=handler) as endpoint:
            async with _connect(backend, endpoint, client_tls) as conn:
                first = await conn.open_stream()
                await first.send_all(b"early", eof=True)
                (server_conn,) = endpoint.connections
                while not server_conn._accept_queue:  # the driver queued it for accept
                    await server_conn._accept_lot.park()
                queued_first.set()
                assert await first.receive_some() == b"early"

                async def call(i: int) -> None:
                    stream = await conn.open_stream()
                    await stream.send_all(b"%d" % i, eof=True)
                    reply = b""
                    while data := await stream.receive_some():
                        reply += data
                    assert reply == b"%d" % i

                async with trio.open_nursery() as nursery:
                    for i in range(20):
                        nursery.start_soon(call, i)
            await finished.wait()
    assert len(served) == 21
    assert len(set(served)) == 21


async def test_serving_tasks_are_reused_without_leaking_state(backend, run_server, client_tls):
    # Streams served one after another run on one task, yet each handler starts with fresh
    # contextvars and an uncancelled scope without a deadline, whatever the previous did.
    var: contextvars.ContextVar[str] = contextvars.ContextVar("zquic_test_var", default="")
    tasks: list[object] = []
    seen: list[tuple[str, bool, float]] = []
    finished = trio.Event()

    async def serve(stream: zquic.QuicStream) -> None:
        scope = stream.serving_scope
        assert scope is not None
        tasks.append(trio.lowlevel.current_task())
        seen.append((var.get(), scope.cancel_called, scope.deadline))
        data = b""
        while more := await stream.receive_some():
            data += more
        var.set(data.decode())  # must not reach the next stream's handler
        if data == b"deadline":
            scope.deadline = trio.current_time() + 3600  # must be reset for the next stream
        await stream.send_all(data, eof=True)
        await stream.aclose()
        if data == b"cancel":
            scope.cancel()  # the handler is cancelled here; its task serves on with a new scope
            await trio.lowlevel.checkpoint()

    async def handler(conn: zquic.Connection) -> None:
        await conn.serve_streams(serve)
        finished.set()

    with trio.fail_after(20):
        async with run_server(handler=handler) as endpoint:
            async with _connect(backend, endpoint, client_tls) as conn:
                for payload in (b"a", b"deadline", b"cancel", b"b", b"c"):
                    assert await _exchange(conn, payload) == payload
            await finished.wait()  # idle serving tasks end with the connection
    assert seen == [("", False, math.inf)] * 5
    assert len(set(map(id, tasks))) == 1


async def test_serving_tasks_grow_with_concurrent_streams(backend, run_server, client_tls):
    # Streams that overlap each get a task: a handler that waits never delays another stream.
    release = trio.Event()
    waiting = 0
    all_waiting = trio.Event()
    tasks: set[int] = set()

    async def serve(stream: zquic.QuicStream) -> None:
        nonlocal waiting
        tasks.add(id(trio.lowlevel.current_task()))
        waiting += 1
        if waiting == 8:
            all_waiting.set()
        await release.wait()
        await _echo(stream)

    async def handler(conn: zquic.Connection) -> None:
        await conn.serve_streams(serve)

    with trio.fail_after(20):
        async with run_server(handler=handler) as endpoint:
            async with _connect(backend, endpoint, client_tls) as conn:
                async with trio.open_nursery() as nursery:
                    for i in range(8):
                        nursery.start_soon(_exchange, conn, b"%d" % i)
                    await all_waiting.wait()
                    release.set()
    assert len(tasks) == 8


async def test_open_stream_nowait(backend, run_server, client_tls):
    limit = 4 if backend == "aioquic" else 100  # qh3's server limit is fixed at 100
    release = trio.Event()

    async def handler(conn: zquic.Connection) -> None:
        async def hold(stream: zquic.QuicStream) -> None:
            await release.wait()
            await _echo(stream)

        await conn.serve_streams(hold)

    with trio.fail_after(20):
        async with run_server(handler=handler, flow=zquic.FlowConfig(max_streams_bidi=limit)) as ep:
            async with _connect(backend, ep, client_tls) as conn:
                streams = [conn.open_stream_nowait() for _ in range(limit)]
                assert len({s.stream_id for s in streams}) == limit
                with pytest.raises(trio.WouldBlock):
                    conn.open_stream_nowait()  # at the peer's limit: never queued silently
                for i, s in enumerate(streams):
                    await s.send_all(b"n%d" % i, eof=True)
                release.set()
                for i, s in enumerate(streams):
                    reply = b""
                    while data := await s.receive_some():
                        reply += data
                    assert reply == b"n%d" % i
                # Finished streams free the limit again (MAX_STREAMS from the peer).
                while True:
                    try:
                        extra = conn.open_stream_nowait()
                        break
                    except trio.WouldBlock:
                        await conn._progress.park()
                await extra.send_all(b"again", eof=True)
                assert await extra.receive_some() == b"again"
            with pytest.raises(zquic.errors.ConnectionClosed):
                conn.open_stream_nowait()


async def test_wait_sent_waits_for_the_transport(backend, run_server, client_tls):
    # A close discards what the core still holds: wait_sent() blocks while a peer that is
    # not reading leaves data in the core, and returns once the peer has taken it.
    payload = os.urandom(2 * 1024 * 1024)
    small = zquic.FlowConfig(stream_window=64 * 1024, connection_window=128 * 1024)
    reading = trio.Event()
    done = trio.Event()
    got = bytearray()

    async def handler(conn: zquic.Connection) -> None:
        async def sink(stream: zquic.QuicStream) -> None:
            await reading.wait()
            while data := await stream.receive_some():
                got.extend(data)
            done.set()

        await conn.serve_streams(sink)

    with trio.fail_after(30):
        async with run_server(handler=handler, flow=small) as ep:
            async with _connect(backend, ep, client_tls) as conn:
                stream = await conn.open_stream()
                first = stream.send_capacity()
                stream.send_nowait(payload[:first])  # in the core now, past the peer's window
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(partial(stream.send_all, payload[first:], eof=True))
                    with trio.move_on_after(0.5) as waited:
                        await conn.wait_sent()
                    assert waited.cancelled_caught  # held back by the peer's flow control
                    reading.set()
                await conn.wait_sent()  # every write handed over: now it all leaves
                assert conn._backend.total_send_backlog(conn.quic) == 0
                await done.wait()
    assert bytes(got) == payload
