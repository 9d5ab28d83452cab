"""Stream semantics: backpressure, half-close, resets and STOP_SENDING, cancellation,
stream-limit gating."""

from __future__ import annotations

import hashlib

import pytest
import trio
import trio.testing
import zquic
from zquic.errors import StreamReset, StreamStopped

ALPN = ["zquic-test"]


def _connect(backend, port, client_tls, **kw):
    return zquic.connect(
        "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend, **kw
    )


async def test_backpressure_non_reading_peer(backend, run_server, client_tls):
    total = 16 * 1024 * 1024
    chunk = b"\xa5" * 65536
    flow = zquic.FlowConfig()
    start_reading = trio.Event()
    server_done = trio.Event()
    server_side: dict = {}

    async def handler(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        server_side["conn"] = conn
        await start_reading.wait()
        digest, n = hashlib.sha256(), 0
        while data := await stream.receive_some():
            digest.update(data)
            n += len(data)
        server_side["n"], server_side["digest"] = n, digest.digest()
        await stream.send_all(b"ok")
        await stream.send_eof()
        server_done.set()
        await conn.wait_closed()

    with trio.fail_after(40):
        async with run_server(handler=handler, flow=flow) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:
                stream = await conn.open_stream()
                sent = 0

                async def writer() -> None:
                    nonlocal sent
                    while sent < total:
                        await stream.send_all(chunk)
                        sent += len(chunk)
                    await stream.send_eof()

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(writer)
                    # Everything quiet for a while == the writer is stuck on flow control.
                    await trio.testing.wait_all_tasks_blocked(cushion=0.3)
                    assert 0 < sent < total // 2, sent
                    unread = server_side["conn"].stats()["unread_bytes"]
                    # Memory stays bounded on both ends: one window (aioquic), or for qh3 the
                    # pause threshold (2 windows) plus at most one received batch.
                    bound = flow.stream_window if backend == "aioquic" else 2 * flow.stream_window
                    assert unread <= bound + 512 * 1024, unread
                    assert conn._send_backlog(stream.stream_id) <= flow.send_buffer
                    start_reading.set()
                await server_done.wait()
                assert server_side["n"] == total
                assert (
                    server_side["digest"] == hashlib.sha256(chunk * (total // len(chunk))).digest()
                )
                assert await stream.receive_some() == b"ok"


async def test_half_close(backend, run_server, client_tls):
    async def handler(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        got = b""
        while data := await stream.receive_some():
            got += data
        # The peer's EOF does not stop us from answering.
        await stream.send_all(b"len=%d" % len(got))
        await stream.send_eof()
        await conn.wait_closed()

    with trio.fail_after(10):
        async with run_server(handler=handler) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:
                stream = await conn.open_stream()
                await stream.send_all(b"abc" * 1000)
                await stream.send_eof()
                await stream.send_eof()  # idempotent
                with pytest.raises(trio.ClosedResourceError):
                    await stream.send_all(b"more")
                reply = b""
                while data := await stream.receive_some():
                    reply += data
                assert reply == b"len=3000"
                assert await stream.receive_some() == b""


@pytest.mark.parametrize("aborter", ["client", "server"])
async def test_reset_and_stop_sending_surface(backend, run_server, client_tls, aborter):
    """The aborting side calls reset(code): the other side's receive_some raises
    StreamReset(code) and its send_all raises StreamStopped(code)."""
    result: dict = {}
    done = trio.Event()

    async def victim(stream: zquic.QuicStream) -> None:
        async def keep_writing() -> None:
            try:
                while True:
                    await stream.send_all(b"w" * 4096)
            except StreamStopped as exc:
                result["stopped"] = exc.error_code

        async def keep_reading() -> None:
            try:
                while await stream.receive_some():
                    pass
                result["eof"] = True
            except StreamReset as exc:
                result["reset"] = exc.error_code

        async with trio.open_nursery() as nursery:
            nursery.start_soon(keep_writing)
            nursery.start_soon(keep_reading)
        done.set()

    async def abort(stream: zquic.QuicStream) -> None:
        await stream.send_all(b"hello")
        assert await stream.receive_some()  # the victim is writing
        stream.reset(42)
        with pytest.raises(trio.ClosedResourceError):
            await stream.send_all(b"after reset")

    async def handler(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        if aborter == "server":
            await abort(stream)
        else:
            await victim(stream)
        await conn.wait_closed()

    with trio.fail_after(10):
        async with run_server(handler=handler) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:
                stream = await conn.open_stream()
                if aborter == "client":
                    await abort(stream)
                    await done.wait()
                else:
                    await stream.send_all(b"hi")  # makes the stream visible to the server
                    await victim(stream)
                assert result == {"reset": 42, "stopped": 42}
                # The connection is unaffected.
                s2 = await conn.open_stream()
                if aborter == "client":
                    await s2.send_all(b"ping")
                    await s2.send_eof()


@pytest.mark.parametrize("blocked_in", ["receive", "send"])
async def test_cancel_blocked_task_then_reset(backend, run_server, client_tls, blocked_in):
    seen: dict = {}
    server_saw = trio.Event()

    async def handler(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        if blocked_in == "send":
            await trio.testing.wait_all_tasks_blocked(cushion=0.2)  # let the client stall
        n = 0
        try:
            while data := await stream.receive_some():
                n += len(data)
            seen["eof"] = n
        except StreamReset as exc:
            seen["reset"] = exc.error_code
        server_saw.set()
        # The connection keeps working: echo a second stream.
        s2 = await conn.accept_stream()
        await s2.send_all(await s2.receive_some())
        await s2.send_eof()
        await conn.wait_closed()

    with trio.fail_after(15):
        async with run_server(handler=handler) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:
                stream = await conn.open_stream()
                await stream.send_all(b"start")
                with trio.CancelScope() as scope:

                    async def cancel_when_stuck() -> None:
                        await trio.testing.wait_all_tasks_blocked(cushion=0.1)
                        scope.cancel()

                    async with trio.open_nursery() as nursery:
                        nursery.start_soon(cancel_when_stuck)
                        if blocked_in == "receive":
                            await stream.receive_some()  # the server never answers
                        else:
                            while True:  # the server does not read yet
                                await stream.send_all(b"z" * 65536)
                assert scope.cancelled_caught
                stream.reset(9)
                await server_saw.wait()
                assert seen == {"reset": 9}
                s2 = await conn.open_stream()
                await s2.send_all(b"still alive")
                assert await s2.receive_some() == b"still alive"


async def test_stream_limit_gating(backend, run_server, client_tls):
    # aioquic's server limit is configurable; qh3's is fixed at 100 concurrent streams.
    limit = 8 if backend == "aioquic" else 100
    n = 3 * limit
    live = 0
    peak = 0

    async def handler(conn: zquic.Connection) -> None:
        async def serve_stream(stream: zquic.QuicStream) -> None:
            nonlocal live, peak
            live += 1
            peak = max(peak, live)
            try:
                data = await stream.receive_some()
                while more := await stream.receive_some():
                    data += more
                await stream.send_all(data)
                await stream.send_eof()
            finally:
                live -= 1

        async with trio.open_nursery() as nursery:
            while True:
                try:
                    stream = await conn.accept_stream()
                except zquic.errors.ConnectionClosed:
                    return
                nursery.start_soon(serve_stream, stream)

    ok = 0
    with trio.fail_after(30):
        async with run_server(handler=handler, flow=zquic.FlowConfig(max_streams_bidi=limit)) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:

                async def one(i: int) -> None:
                    nonlocal ok
                    stream = await conn.open_stream()  # waits at the limit, never raises
                    await stream.send_all(b"%d" % i, eof=True)  # data + FIN in one go
                    reply = b""
                    while data := await stream.receive_some():
                        reply += data
                    assert reply == b"%d" % i
                    await stream.aclose()
                    ok += 1

                async with trio.open_nursery() as nursery:
                    for i in range(n):
                        nursery.start_soon(one, i)
    assert ok == n
    assert peak <= limit
