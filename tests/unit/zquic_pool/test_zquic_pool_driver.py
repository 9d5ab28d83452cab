"""The pool's trio driver without sockets: fake connections and trio's autojump clock, so the
time-based rules (idle, age, health checks, timeouts) are checked to the configured second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from zquic.errors import ApplicationClosed
from zquic.pool import ConnectFailed, ConnectionPool, PoolConfig, PoolTimeout


class FakeStream:
    def __init__(self, conn: FakeConnection, stream_id: int) -> None:
        self.conn = conn
        self.stream_id = stream_id
        self.send_finished = False
        self.receive_finished = False

    async def send_all(self, data: bytes, *, eof: bool = False) -> None:
        await trio.lowlevel.checkpoint()
        self.send_finished = self.send_finished or eof

    async def send_eof(self) -> None:
        self.send_finished = True
        await trio.lowlevel.checkpoint()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        self.receive_finished = True
        return b""

    async def wait_send_all_might_not_block(self) -> None:
        await trio.lowlevel.checkpoint()

    def reset(self, code: int = 0) -> None:
        self.send_finished = self.receive_finished = True

    async def aclose(self) -> None:
        self.reset()
        await trio.lowlevel.checkpoint()


class FakeConnection:
    def __init__(self, n: int, ticket: Any) -> None:
        self.n = n
        self.used_ticket = ticket
        self.session_resumed = ticket is not None
        self.session_ticket = f"ticket-{n}"  # a fresh ticket with every handshake
        self.on_session_ticket: Any = None
        self.terminated = trio.Event()
        self.close_reason: Any = None
        self.blackhole = False
        self._next = 0

    @property
    def is_closed(self) -> bool:
        return self.close_reason is not None

    async def wait_handshake(self) -> None:
        await trio.lowlevel.checkpoint()

    async def open_stream(self) -> FakeStream:
        await trio.lowlevel.checkpoint()
        if self.close_reason is not None:
            raise self.close_reason
        self._next += 4
        return FakeStream(self, self._next)

    async def ping(self) -> float:
        if self.blackhole:
            await trio.sleep_forever()
        await trio.lowlevel.checkpoint()  # a healthy peer answers at once
        return 0.001

    def die(self) -> None:
        """The peer closed the connection."""
        self.close_reason = ApplicationClosed(0, None, "bye", by_peer=True)
        self.terminated.set()

    def close_nowait(self) -> None:
        if self.close_reason is None:
            self.close_reason = ApplicationClosed(0, None, "closed locally", by_peer=False)


class FakeNetwork:
    def __init__(self) -> None:
        self.conns: list[FakeConnection] = []
        self.hang = False

    @asynccontextmanager
    async def connect(self, host: str, port: int, **kw: Any) -> AsyncIterator[FakeConnection]:
        if self.hang:
            await trio.sleep_forever()
        conn = FakeConnection(len(self.conns) + 1, kw.get("session_ticket"))
        self.conns.append(conn)
        try:
            yield conn
        finally:
            conn.close_nowait()


@asynccontextmanager
async def fake_pool(net: FakeNetwork, **cfg: Any) -> AsyncIterator[ConnectionPool]:
    cfg.setdefault("health_check_interval", None)
    pool = ConnectionPool(tls=None, alpn_protocols=["x"], config=PoolConfig(**cfg))  # type: ignore[arg-type]
    pool._connect = net.connect  # type: ignore[assignment]
    with trio.fail_after(1000):  # simulated seconds: bounds every test that uses the pool
        async with pool:
            yield pool


def snap(pool: ConnectionPool) -> dict[str, Any]:
    (only,) = pool.stats().values()
    return only


async def wait_for(pool: ConnectionPool, cond: Any) -> None:
    while not cond():
        await pool.wait_changed()


async def test_idle_eviction_at_max_idle(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net, max_idle=10.0, cleanup_interval=1.0, max_age=None) as pool:
        s = await pool.open_stream("h", 1)
        await s.aclose()
        t0 = trio.current_time()
        await wait_for(pool, lambda: snap(pool)["connections_evicted"] == 1)
        assert 10.0 <= trio.current_time() - t0 <= 11.0
        assert snap(pool)["evicted_by_reason"] == {"idle": 1}
        await wait_for(pool, lambda: net.conns[0].is_closed)


async def test_busy_connection_is_never_idle(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net, max_idle=10.0, cleanup_interval=1.0, max_age=None) as pool:
        s = await pool.open_stream("h", 1)
        t0 = trio.current_time()
        # Maintenance passes (each one a pool change) run for 100 s past max_idle while the
        # stream stays open.
        await wait_for(pool, lambda: trio.current_time() - t0 >= 100)
        assert snap(pool)["connections_evicted"] == 0
        await s.aclose()


async def test_max_age_drains_then_closes(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net, max_age=100.0, max_idle=None, cleanup_interval=1.0) as pool:
        old = await pool.open_stream("h", 1)
        await wait_for(pool, lambda: snap(pool)["connections_draining"] == 1)
        assert 100.0 <= trio.current_time() <= 101.0
        new = await pool.open_stream("h", 1)
        assert new.connection is net.conns[1]
        assert not net.conns[0].is_closed  # a stream still runs on it
        await old.aclose()
        await wait_for(pool, lambda: net.conns[0].is_closed)
        assert snap(pool)["evicted_by_reason"] == {"max_age": 1}


async def test_failed_health_check_evicts_after_timeout(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(
        net,
        health_check_interval=5.0,
        health_check_timeout=2.0,
        cleanup_interval=1.0,
        max_idle=None,
        max_age=None,
    ) as pool:
        s = await pool.open_stream("h", 1)
        await s.aclose()
        await wait_for(pool, lambda: snap(pool)["health_checks"] >= 3)
        net.conns[0].blackhole = True
        t0 = trio.current_time()
        await wait_for(pool, lambda: snap(pool)["evicted_by_reason"].get("ping") == 1)
        assert 2.0 <= trio.current_time() - t0 <= 5.0 + 1.0 + 2.0
        s = await pool.open_stream("h", 1)
        assert s.connection is net.conns[1]


async def test_acquire_timeout_is_exact(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(
        net, max_connections=1, max_streams_per_connection=1, acquire_timeout=3.0
    ) as pool:
        await pool.open_stream("h", 1)
        t0 = trio.current_time()
        with pytest.raises(PoolTimeout):
            await pool.open_stream("h", 1)
        assert trio.current_time() - t0 == pytest.approx(3.0)
        assert snap(pool)["waiters"] == 0


async def test_connect_timeout(autojump_clock):
    net = FakeNetwork()
    net.hang = True
    async with fake_pool(net, connect_timeout=7.0) as pool:
        t0 = trio.current_time()
        with pytest.raises(ConnectFailed) as info:
            await pool.open_stream("h", 1)
        assert trio.current_time() - t0 == pytest.approx(7.0)
        assert isinstance(info.value.__cause__, trio.TooSlowError)
        assert snap(pool)["connect_failures"] == 1


async def test_tickets_go_to_one_connection_each(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net, max_streams_per_connection=1, max_connections=3) as pool:
        streams = [await pool.open_stream("h", 1) for _ in range(3)]
        assert [c.used_ticket for c in net.conns] == [None, "ticket-1", "ticket-2"]
        assert snap(pool)["connections_resumed"] == 2
        for s in streams:
            await s.aclose()


async def test_dead_connection_is_replaced(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net) as pool:
        s = await pool.open_stream("h", 1)
        await s.aclose()
        net.conns[0].die()
        await wait_for(pool, lambda: snap(pool)["evicted_by_reason"] == {"dead": 1})
        s = await pool.open_stream("h", 1)
        assert s.connection is net.conns[1]


async def test_death_noticed_late_is_retried_transparently(autojump_clock):
    net = FakeNetwork()
    async with fake_pool(net) as pool:
        await (await pool.open_stream("h", 1)).aclose()
        net.conns[0].close_reason = ApplicationClosed(0, None, "gone", by_peer=True)
        s = await pool.open_stream("h", 1)  # conn 1 refuses: the pool moves to a new one
        assert s.connection is net.conns[1]
        assert snap(pool)["evicted_by_reason"] == {"dead": 1}


async def test_errors_in_the_pool_block_are_not_wrapped(autojump_clock):
    net = FakeNetwork()
    with pytest.raises(KeyError):
        async with fake_pool(net) as pool:
            await pool.open_stream("h", 1)
            raise KeyError("caller's own error")
    assert net.conns[0].is_closed
