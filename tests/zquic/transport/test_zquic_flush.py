"""Transmission coalescing: writes and ACKs share datagrams, and a busy scheduler cannot
starve transmissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
import zquic
from zquic_exchanges import echo
from zquic_exchanges import exchange as _exchange

ALPN = ["zquic-test"]


@asynccontextmanager
async def _echo_conn(backend, run_server, client_tls) -> AsyncIterator[zquic.Connection]:
    """A connection to an echo server (accept loop), after one warm-up exchange."""
    async with run_server(handler=_answer_once) as endpoint:
        async with zquic.connect(
            "127.0.0.1",
            endpoint.local_address[1],
            tls=client_tls(),
            alpn_protocols=ALPN,
            backend=backend,
        ) as conn:
            assert await _exchange(conn, b"warm") == b"warm"
            yield conn


async def _answer_once(conn: zquic.Connection) -> None:
    """Echo every stream (a unary call's shape) through an accept loop."""
    async with trio.open_nursery() as nursery:
        while True:
            try:
                stream = await conn.accept_stream()
            except zquic.errors.ConnectionClosed:
                return
            nursery.start_soon(echo, stream)


async def _quiesce(conn: zquic.Connection) -> None:
    """Wait until no delayed ACK is owed either way. A PING carries any ACK we owe and is
    acknowledged only after the peer processed everything sent before it; repeat until a
    round trip costs exactly its own two datagrams (nothing else was in flight)."""
    while True:
        before = conn.stats()
        await conn.ping()
        after = conn.stats()
        sent = after["datagrams_sent"] - before["datagrams_sent"]
        received = after["datagrams_received"] - before["datagrams_received"]
        if (sent, received) == (1, 1):
            return


async def test_request_reply_datagrams_are_coalesced(backend, run_server, client_tls):
    # Several writes in a row leave as one datagram, and a reply carries the ACK of its request.
    calls = 30
    with trio.fail_after(20):
        async with _echo_conn(backend, run_server, client_tls) as conn:
            for _ in range(4):  # and one in _echo_conn
                assert await _exchange(conn, b"warm") == b"warm"
            await _quiesce(conn)
            before = conn.stats()
            for i in range(calls):
                assert await _exchange(conn, b"q%d" % i) == b"q%d" % i
            after = conn.stats()
    sent = after["datagrams_sent"] - before["datagrams_sent"]
    received = after["datagrams_received"] - before["datagrams_received"]
    # qh3: 4-5 datagrams per exchange when every write flushed, 2.0 coalesced. aioquic acks
    # on its own timer (3-3.7 measured, under load too): only a sanity bound there.
    limit = 3.0 if backend == "qh3" else 4.5
    assert (sent + received) / calls <= limit, (sent, received)


async def test_several_writes_leave_in_one_datagram(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with _echo_conn(backend, run_server, client_tls) as conn:
            await _quiesce(conn)  # the warm-up's delayed ACKs are not counted below
            stream = await conn.open_stream()
            before = conn.stats()["datagrams_sent"]
            for part in (b"a", b"b", b"c"):
                await stream.send_all(part)
            await stream.send_eof()
            # Nothing else is runnable once this task blocks: one flush, one datagram.
            reply = b""
            while data := await stream.receive_some():
                reply += data
            assert reply == b"abc"
            # The request left as one datagram (an ACK for the reply may follow it).
            assert conn.stats()["datagrams_sent"] - before <= 2


async def test_busy_scheduler_does_not_starve_transmissions(backend, run_server, client_tls):
    # A task that never blocks (it only passes checkpoints) keeps the scheduler from ever
    # going idle; the flush guard must still send writes within a few milliseconds.
    with trio.fail_after(20):
        async with _echo_conn(backend, run_server, client_tls) as conn:
            done = False

            async def spin() -> None:
                while not done:
                    await trio.lowlevel.checkpoint()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(spin)
                start = trio.current_time()
                for i in range(20):
                    assert await _exchange(conn, b"s%d" % i) == b"s%d" % i
                done = True
            # Within the guard: milliseconds per exchange, not a retransmission timeout.
            # ~50 ms with the guard; 1-1.5 s when only the cores' timers flush.
            assert trio.current_time() - start < 0.5


async def test_writes_in_a_long_round_flush_after_the_guard(backend, run_server, client_tls):
    # A burst of handlers that never block runs as one scheduler round: the run-loop hook is
    # not reached until the last one finished. A write made FLUSH_GUARD after the oldest
    # pending one flushes everything at once, so the peer starts on the first replies.
    from zquic.connection import FLUSH_GUARD

    with trio.fail_after(10):
        async with _echo_conn(backend, run_server, client_tls) as conn:
            first, second = await conn.open_stream(), await conn.open_stream()
            await _quiesce(conn)
            before = conn.stats()["datagrams_sent"]
            first.send_nowait(b"early")  # queued for the shared flush, not sent
            assert conn.stats()["datagrams_sent"] == before
            clock = trio.lowlevel.current_clock()
            until = clock.current_time() + 2 * FLUSH_GUARD
            while clock.current_time() < until:  # busy, no checkpoint: one long step
                pass
            second.send_nowait(b"late")  # past the guard: both leave now
            assert conn.stats()["datagrams_sent"] > before
            for stream, payload in ((first, b"early"), (second, b"late")):
                await stream.send_eof()
                reply = b""
                while data := await stream.receive_some():
                    reply += data
                assert reply == payload
