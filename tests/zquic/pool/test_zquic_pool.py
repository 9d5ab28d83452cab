"""ConnectionPool over real loopback sockets, on both QUIC cores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio
import zquic
from prometheus_client import CollectorRegistry
from zquic.pool import (
    ConnectFailed,
    ConnectionPool,
    PoolClosed,
    PoolCollector,
    PoolConfig,
    PooledStream,
    PoolTimeout,
)

ALPN = ["zquic-test"]
HOST = "127.0.0.1"


def make_pool(
    backend: str, client_tls: Callable[..., zquic.TLSConfig], **cfg: Any
) -> ConnectionPool:
    cfg.setdefault("health_check_interval", None)
    return ConnectionPool(
        tls=client_tls(), alpn_protocols=ALPN, config=PoolConfig(**cfg), backend=backend
    )


async def echo(stream: PooledStream, payload: bytes) -> bytes:
    await stream.send_all(payload)
    await stream.send_eof()
    out = bytearray()
    while data := await stream.receive_some():
        out += data
    await stream.aclose()
    return bytes(out)


async def wait_for(pool: ConnectionPool, cond: Callable[[], bool]) -> None:
    while not cond():
        await pool.wait_changed()


def snap(pool: ConnectionPool) -> dict[str, Any]:
    (only,) = pool.stats().values()
    return only


async def test_streams_share_one_connection(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint, make_pool(backend, client_tls) as pool:
            port = endpoint.local_address[1]
            results = []

            async def one(i: int) -> None:
                s = await pool.open_stream(HOST, port)
                results.append(await echo(s, b"n%d" % i) == b"n%d" % i)

            async with trio.open_nursery() as nursery:
                for i in range(20):
                    nursery.start_soon(one, i)
            assert results == [True] * 20
            st = snap(pool)
            assert st["connections_created"] == 1 and st["connections_open"] == 1
            assert st["streams_opened"] == 20 and st["streams_in_flight"] == 0
            assert endpoint.stats()["connections_accepted"] == 1


async def test_stream_cap_opens_second_connection_then_waits(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with (
            run_server() as endpoint,
            make_pool(backend, client_tls, max_streams_per_connection=2, max_connections=2) as pool,
        ):
            port = endpoint.local_address[1]
            streams = [await pool.open_stream(HOST, port) for _ in range(4)]
            conns = {id(s.connection) for s in streams}
            assert len(conns) == 2
            assert streams[0].connection is streams[1].connection
            assert streams[2].connection is streams[3].connection
            assert snap(pool)["streams_in_flight"] == 4

            got: list[PooledStream] = []

            async def fifth() -> None:
                got.append(await pool.open_stream(HOST, port))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(fifth)
                await wait_for(pool, lambda: snap(pool)["waiters"] == 1)
                assert got == []  # blocked at the caps
                assert await echo(streams[1], b"free a slot") == b"free a slot"
            assert got[0].connection is streams[0].connection
            assert await echo(got[0], b"ok") == b"ok"
            assert snap(pool)["connections_created"] == 2
            assert endpoint.stats()["connections_accepted"] == 2


async def test_acquire_timeout(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with (
            run_server() as endpoint,
            make_pool(
                backend,
                client_tls,
                max_streams_per_connection=1,
                max_connections=1,
                acquire_timeout=0.05,
            ) as pool,
        ):
            port = endpoint.local_address[1]
            first = await pool.open_stream(HOST, port)
            with pytest.raises(PoolTimeout):
                await pool.open_stream(HOST, port)
            assert await echo(first, b"x") == b"x"


async def test_replacement_after_server_closes(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint, make_pool(backend, client_tls) as pool:
            port = endpoint.local_address[1]
            s1 = await pool.open_stream(HOST, port)
            assert await echo(s1, b"one") == b"one"
            first = s1.connection
            for conn in endpoint.connections:
                conn.close_nowait(0, "server says bye")
            await first.wait_closed()
            await wait_for(pool, lambda: snap(pool)["connections_evicted"] == 1)
            s2 = await pool.open_stream(HOST, port)
            assert s2.connection is not first
            assert await echo(s2, b"two") == b"two"
            st = snap(pool)
            assert st["evicted_by_reason"] == {"dead": 1} and st["connections_created"] == 2


async def test_replacement_when_death_not_yet_noticed(backend, run_server, client_tls):
    """The pool still lists the connection, but it is closed: the caller gets a new one."""
    with trio.fail_after(10):
        async with run_server() as endpoint, make_pool(backend, client_tls) as pool:
            port = endpoint.local_address[1]
            s1 = await pool.open_stream(HOST, port)
            assert await echo(s1, b"one") == b"one"
            first = s1.connection
            first.close_nowait()  # synchronous: no task has run since
            s2 = await pool.open_stream(HOST, port)
            assert s2.connection is not first
            assert await echo(s2, b"two") == b"two"


async def test_idle_eviction(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with (
            run_server() as endpoint,
            make_pool(backend, client_tls, max_idle=0.2, cleanup_interval=0.05) as pool,
        ):
            port = endpoint.local_address[1]
            s1 = await pool.open_stream(HOST, port)
            start = trio.current_time()
            assert await echo(s1, b"idle soon") == b"idle soon"
            await wait_for(pool, lambda: snap(pool)["connections_evicted"] == 1)
            assert trio.current_time() - start >= 0.2
            assert snap(pool)["evicted_by_reason"] == {"idle": 1}
            assert snap(pool)["connections_open"] == 0
            s2 = await pool.open_stream(HOST, port)
            assert s2.connection is not s1.connection
            assert await echo(s2, b"again") == b"again"


async def test_max_age_drains_then_closes(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with (
            run_server() as endpoint,
            make_pool(
                backend, client_tls, max_age=0.2, max_idle=None, cleanup_interval=0.05
            ) as pool,
        ):
            port = endpoint.local_address[1]
            old = await pool.open_stream(HOST, port)
            await old.send_all(b"still ")  # a long-lived stream keeps the aged connection
            await wait_for(pool, lambda: snap(pool)["connections_draining"] == 1)
            fresh = await pool.open_stream(HOST, port)
            assert fresh.connection is not old.connection
            assert not old.connection.is_closed  # not closed under a running stream
            assert await echo(old, b"working") == b"still working"
            assert snap(pool)["evicted_by_reason"] == {"max_age": 1}
            await wait_for(pool, lambda: old.connection.is_closed)
            assert await echo(fresh, b"fresh") == b"fresh"


@pytest.mark.parametrize("early_data", [False, True])
async def test_resumption_with_stored_ticket(backend, run_server, client_tls, early_data):
    with trio.fail_after(10):
        async with (
            run_server() as endpoint,
            make_pool(
                backend, client_tls, max_streams_per_connection=1, early_data=early_data
            ) as pool,
        ):
            port = endpoint.local_address[1]
            s1 = await pool.open_stream(HOST, port)
            assert await echo(s1, b"full handshake") == b"full handshake"
            assert not s1.connection.session_resumed
            await wait_for(pool, lambda: snap(pool)["has_ticket"])
            s1_again = await pool.open_stream(HOST, port)  # cap 1: s1 released, same conn
            assert s1_again.connection is s1.connection
            s2 = await pool.open_stream(HOST, port)  # cap reached: a second connection
            assert s2.connection is not s1.connection
            assert await echo(s2, b"resumed") == b"resumed"
            assert s2.connection.session_resumed
            if early_data:  # the connection was lent before its handshake finished
                assert s2.connection.early_data_accepted
            await wait_for(pool, lambda: snap(pool)["connections_resumed"] == 1)
            assert endpoint.stats()["tickets_resumed"] == 1
            await s1_again.aclose()


class UdpRelay:
    """A loopback UDP relay in front of a server; `blackhole = True` drops everything (a peer
    that vanished without a CONNECTION_CLOSE)."""

    def __init__(self, target_port: int) -> None:
        self.target = (HOST, target_port)
        self.blackhole = False
        self.sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        self.client_addr: Any = None
        self.upstream: Any = None

    async def run(self, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        await self.sock.bind((HOST, 0))
        self.upstream = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        await self.upstream.bind((HOST, 0))
        task_status.started(self.sock.getsockname()[1])
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._back)
            while True:
                data, addr = await self.sock.recvfrom(65536)
                self.client_addr = addr
                if not self.blackhole:
                    await self.upstream.sendto(data, self.target)

    async def _back(self) -> None:
        while True:
            data, _ = await self.upstream.recvfrom(65536)
            if not self.blackhole and self.client_addr is not None:
                await self.sock.sendto(data, self.client_addr)


async def test_failed_health_check_evicts_and_replaces(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint, trio.open_nursery() as nursery:
            relay = UdpRelay(endpoint.local_address[1])
            port = await nursery.start(relay.run)
            async with make_pool(
                backend,
                client_tls,
                health_check_interval=0.05,
                health_check_timeout=0.3,
                cleanup_interval=0.05,
                max_idle=None,
            ) as pool:
                s1 = await pool.open_stream(HOST, port)
                assert await echo(s1, b"healthy") == b"healthy"
                # Pings succeed while the path works: the connection stays.
                await wait_for(pool, lambda: snap(pool)["health_checks"] >= 2)
                assert snap(pool)["connections_evicted"] == 0
                relay.blackhole = True
                await wait_for(pool, lambda: snap(pool)["evicted_by_reason"].get("ping") == 1)
                assert snap(pool)["connections_open"] == 0
                relay.blackhole = False
                s2 = await pool.open_stream(HOST, port)
                assert s2.connection is not s1.connection
                assert await echo(s2, b"replaced") == b"replaced"
            nursery.cancel_scope.cancel()


async def test_channel_and_metrics(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint, make_pool(backend, client_tls) as pool:
            port = endpoint.local_address[1]
            channel = pool.channel(HOST, port)
            s = await channel.open_stream()
            assert await echo(s, b"via channel") == b"via channel"
            assert channel.stats()["streams_opened"] == 1
            registry = CollectorRegistry()
            registry.register(PoolCollector(pool))
            label = {"endpoint": channel.key.label()}
            assert registry.get_sample_value("zquic_pool_connections_open", label) == 1
            assert registry.get_sample_value("zquic_pool_connections_created_total", label) == 1


async def test_connect_failure_is_reported_and_pool_survives(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint, make_pool(backend, client_tls) as pool:
            port = endpoint.local_address[1]
            with pytest.raises(ConnectFailed):
                await pool.open_stream(HOST, port, alpn_protocols=["nobody-speaks-this"])
            s = await pool.open_stream(HOST, port)
            assert await echo(s, b"fine") == b"fine"
            failed = pool.stats()[pool.key(HOST, port, alpn_protocols=["nobody-speaks-this"])]
            assert failed["connect_failures"] == 1


async def test_closing_pool_closes_connections(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as endpoint:
            port = endpoint.local_address[1]
            async with make_pool(backend, client_tls) as pool:
                s = await pool.open_stream(HOST, port)
                assert await echo(s, b"bye") == b"bye"
                conn = s.connection
            assert conn.is_closed
            with pytest.raises(PoolClosed):
                await pool.open_stream(HOST, port)
