"""Client connection pool: per-endpoint connections with stream multiplexing, idle and age
limits, health checks, transparent replacement of dead connections and session resumption.

The decisions live in the pure `EndpointPolicy` (zquic._pool_policy); this module is the trio
driver: one task per connection (inside `zquic.connect`) and one maintenance task, all in the
pool's own nursery.

    async with ConnectionPool(tls=tls, alpn_protocols=["ghostbridge/1"]) as pool:
        stream = await pool.open_stream("127.0.0.1", 9443)
        channel = rpc.Channel(pool.channel("127.0.0.1", 9443))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import attrs
import structlog
import trio

from ._pool_policy import EndpointPolicy, EvictReason, PoolConfig, Slot
from .client import connect
from .config import FlowConfig
from .connection import Connection
from .errors import ConnectionClosed, ZquicError
from .stream import QuicStream
from .tls import TLSConfig

__all__ = [
    "ConnectionPool",
    "EndpointKey",
    "PoolChannel",
    "PoolClosed",
    "PoolCollector",
    "PoolConfig",
    "PoolTimeout",
    "PooledStream",
    "ConnectFailed",
]

log = structlog.get_logger("zquic.pool")

# A stream request that lands on a connection found dead is retried on a fresh one this often.
MAX_REPLACEMENTS = 3


class PoolClosed(ZquicError):
    """The pool is closed (or closing): no more streams."""


class PoolTimeout(ZquicError, trio.TooSlowError):
    """No stream slot became free within `PoolConfig.acquire_timeout`."""


class ConnectFailed(ZquicError, trio.BrokenResourceError):
    """The pool could not establish a connection to the endpoint (the cause is chained)."""


@attrs.frozen
class EndpointKey:
    host: str
    port: int
    server_name: str | None
    alpn: tuple[str, ...]

    def label(self) -> str:
        sni = f"/{self.server_name}" if self.server_name else ""
        return f"{self.host}:{self.port}{sni}[{','.join(self.alpn)}]"


class _Handle:
    """The driver side of one pooled connection."""

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.ready = trio.Event()  # set when connected or when connecting failed
        self.error: BaseException | None = None
        self.scope = trio.CancelScope()  # cancelled to close the connection

    async def wait_ready(self) -> Connection:
        await self.ready.wait()
        if self.conn is None:
            raise ConnectFailed(f"connect failed: {self.error!r}") from self.error
        return self.conn

    def close(self) -> None:
        self.scope.cancel()


class _Endpoint:
    def __init__(self, key: EndpointKey, config: PoolConfig) -> None:
        self.key = key
        self.policy = EndpointPolicy(config)
        self.ticket: Any = None
        self.lot = trio.lowlevel.ParkingLot()  # callers waiting for a stream slot

    def store_ticket(self, ticket: Any) -> None:
        if ticket is not None:
            self.ticket = ticket

    def take_ticket(self) -> Any:
        # Servers accept a ticket once (RFC 8446 section 8.1): hand it to one connection only.
        ticket, self.ticket = self.ticket, None
        if ticket is not None and not getattr(ticket, "is_valid", True):
            return None
        return ticket


class PooledStream(trio.abc.HalfCloseableStream):
    """A QuicStream lent by the pool; its slot is returned on `aclose()`/`reset()` or once
    both directions have finished."""

    def __init__(self, stream: QuicStream, conn: Connection, on_done: Any) -> None:
        self._stream = stream
        self.connection = conn
        self._on_done = on_done

    @property
    def stream_id(self) -> int:
        return self._stream.stream_id

    def __repr__(self) -> str:
        return f"<PooledStream {self._stream!r}>"

    def _done(self) -> None:
        cb, self._on_done = self._on_done, None
        if cb is not None:
            cb()

    def _check_done(self) -> None:
        s = self._stream
        if s.send_finished and s.receive_finished:
            self._done()

    async def send_all(self, data: bytes | bytearray | memoryview, *, eof: bool = False) -> None:
        try:
            await self._stream.send_all(data, eof=eof)
        finally:
            self._check_done()

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        try:
            await self._stream.send_eof()
        finally:
            self._check_done()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        try:
            return await self._stream.receive_some(max_bytes)
        finally:
            self._check_done()

    def reset(self, error_code: int = 0) -> None:
        try:
            self._stream.reset(error_code)
        finally:
            self._done()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._done()


class PoolChannel:
    """One endpoint of a pool, with the `async open_stream()` contract of `rpc.Channel`."""

    def __init__(self, pool: ConnectionPool, key: EndpointKey) -> None:
        self.pool = pool
        self.key = key

    async def open_stream(self) -> PooledStream:
        return await self.pool._open_stream(self.key)

    def stats(self) -> dict[str, Any]:
        return self.pool.stats().get(self.key, {})


class ConnectionPool:
    """Pooled client connections, keyed by (host, port, server_name, alpn).

    Use as `async with ConnectionPool(...) as pool`; leaving the block closes every
    connection. `open_stream` waits (bounded by `acquire_timeout`) when every connection of
    the endpoint is at `max_streams_per_connection` and `max_connections` are open.
    """

    def __init__(
        self,
        *,
        tls: TLSConfig,
        alpn_protocols: list[str],
        config: PoolConfig | None = None,
        backend: str | None = None,
        flow: FlowConfig | None = None,
    ) -> None:
        self.tls = tls
        self.alpn_protocols = list(alpn_protocols)
        self.config = config or PoolConfig()
        self.backend = backend
        self.flow = flow
        self._endpoints: dict[EndpointKey, _Endpoint] = {}
        self._nursery: trio.Nursery | None = None
        self._stack: AsyncExitStack | None = None
        self._closed = False
        self._change_lot = trio.lowlevel.ParkingLot()
        # `zquic.connect`; replaceable so the driver's timing logic is testable without sockets.
        self._connect: Callable[..., AbstractAsyncContextManager[Connection]] = connect

    # ---- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> ConnectionPool:
        if self._stack is not None:
            raise RuntimeError("a ConnectionPool can be entered once")
        self._stack = AsyncExitStack()
        await self._stack.__aenter__()
        self._nursery = await self._stack.enter_async_context(trio.open_nursery())
        self._nursery.start_soon(self._maintenance)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        self._close_all()
        assert self._nursery is not None and self._stack is not None
        self._nursery.cancel_scope.cancel()
        try:
            return await self._stack.__aexit__(*exc_info)
        except BaseExceptionGroup as group:
            _reraise_single(group)
            raise

    async def aclose(self) -> None:
        await self.__aexit__(None, None, None)

    def _close_all(self) -> None:
        self._closed = True
        for ep in self._endpoints.values():
            for slot in list(ep.policy.slots):
                ep.policy.evict(slot, EvictReason.POOL_CLOSED)
                slot.handle.close()
            ep.lot.unpark_all()
        self._changed()

    # ---- public API ------------------------------------------------------------------------
    def key(
        self,
        host: str,
        port: int,
        *,
        server_name: str | None = None,
        alpn_protocols: list[str] | None = None,
    ) -> EndpointKey:
        alpn = tuple(alpn_protocols if alpn_protocols is not None else self.alpn_protocols)
        return EndpointKey(host, int(port), server_name, alpn)

    async def open_stream(
        self,
        host: str,
        port: int,
        *,
        server_name: str | None = None,
        alpn_protocols: list[str] | None = None,
    ) -> PooledStream:
        """A new bidirectional stream to the endpoint, on a pooled connection."""
        key = self.key(host, port, server_name=server_name, alpn_protocols=alpn_protocols)
        return await self._open_stream(key)

    def channel(
        self,
        host: str,
        port: int,
        *,
        server_name: str | None = None,
        alpn_protocols: list[str] | None = None,
    ) -> PoolChannel:
        """An object with `async open_stream()` for this endpoint (e.g. for `rpc.Channel`)."""
        key = self.key(host, port, server_name=server_name, alpn_protocols=alpn_protocols)
        return PoolChannel(self, key)

    def connections(self, key: EndpointKey) -> list[Connection]:
        """The live connections of an endpoint (for inspection)."""
        ep = self._endpoints.get(key)
        if ep is None:
            return []
        return [s.handle.conn for s in ep.policy.slots if s.handle.conn is not None]

    def stats(self) -> dict[EndpointKey, dict[str, Any]]:
        """Per-endpoint gauges and counters (see `PoolCollector` for Prometheus)."""
        out: dict[EndpointKey, dict[str, Any]] = {}
        for key, ep in self._endpoints.items():
            snap = ep.policy.snapshot()
            snap["has_ticket"] = ep.ticket is not None
            out[key] = snap
        return out

    async def wait_changed(self) -> None:
        """Return after the next change of pool state (connect, evict, stream release,
        maintenance pass): lets monitors and tests wait on a condition without polling."""
        await self._change_lot.park()

    # ---- internals -------------------------------------------------------------------------
    def _changed(self) -> None:
        self._change_lot.unpark_all()

    def _endpoint(self, key: EndpointKey) -> _Endpoint:
        ep = self._endpoints.get(key)
        if ep is None:
            ep = self._endpoints[key] = _Endpoint(key, self.config)
        return ep

    async def _open_stream(self, key: EndpointKey) -> PooledStream:
        if self._closed or self._nursery is None:
            raise PoolClosed("the pool is not open")
        ep = self._endpoint(key)
        timeout = self.config.acquire_timeout
        for _attempt in range(MAX_REPLACEMENTS + 1):
            try:
                with trio.fail_after(math.inf if timeout is None else timeout):
                    slot, new = await self._acquire(ep)
            except trio.TooSlowError:
                raise PoolTimeout(f"no stream slot for {key.label()} in {timeout}s") from None
            handle: _Handle = slot.handle
            if new:
                self._nursery.start_soon(self._run_connection, ep, slot, ep.take_ticket())
            try:
                conn = await handle.wait_ready()
                stream = await conn.open_stream()
            except ConnectionClosed as exc:
                # It died under us (before the pool noticed): replace it transparently.
                self._release(ep, slot)
                if ep.policy.evict(slot, EvictReason.DEAD):
                    handle.close()
                log.debug("pooled connection dead, replacing", endpoint=key.label(), error=str(exc))
                continue
            except BaseException:
                self._release(ep, slot)
                raise
            released = False

            def on_done(ep: _Endpoint = ep, slot: Slot = slot) -> None:
                nonlocal released
                if not released:
                    released = True
                    self._release(ep, slot)

            return PooledStream(stream, conn, on_done)
        raise ConnectFailed(f"{key.label()}: connections kept dying ({MAX_REPLACEMENTS} tries)")

    async def _acquire(self, ep: _Endpoint) -> tuple[Slot, bool]:
        while True:
            if self._closed:
                raise PoolClosed("the pool is closed")
            grant = ep.policy.acquire(trio.current_time())
            if grant is not None:
                if grant.new:
                    grant.slot.handle = _Handle()
                    self._changed()
                return grant.slot, grant.new
            ep.policy.waiters += 1
            self._changed()
            try:
                await ep.lot.park()
            finally:
                ep.policy.waiters -= 1

    def _release(self, ep: _Endpoint, slot: Slot) -> None:
        if ep.policy.release(slot, trio.current_time()):
            log.debug("aged connection drained", endpoint=ep.key.label(), slot=slot.id)
            slot.handle.close()
        ep.lot.unpark_all()
        self._changed()

    async def _run_connection(self, ep: _Endpoint, slot: Slot, ticket: Any) -> None:
        handle: _Handle = slot.handle
        key = ep.key
        cfg = self.config
        early = cfg.early_data and ticket is not None
        handshake_bound = trio.CancelScope(deadline=trio.current_time() + cfg.connect_timeout)
        try:
            with handle.scope, handshake_bound:
                async with self._connect(
                    key.host,
                    key.port,
                    tls=self.tls,
                    alpn_protocols=list(key.alpn),
                    server_name=key.server_name,
                    session_ticket=ticket,
                    early_data=early,
                    backend=self.backend,
                    idle_timeout=cfg.idle_timeout,
                    flow=self.flow,
                ) as conn:
                    handshake_bound.deadline = math.inf
                    conn.on_session_ticket = ep.store_ticket
                    ep.store_ticket(conn.session_ticket)  # qh3 delivers it with the handshake
                    handle.conn = conn
                    ep.policy.connected(slot, trio.current_time())
                    handle.ready.set()
                    ep.lot.unpark_all()
                    self._changed()
                    log.debug(
                        "pooled connection open",
                        endpoint=key.label(),
                        slot=slot.id,
                        ticket=ticket is not None,
                        early_data=early,
                    )
                    await conn.wait_handshake()  # already done unless 0-RTT
                    ep.store_ticket(conn.session_ticket)
                    if conn.session_resumed:
                        ep.policy.counters.resumed += 1
                    await conn.terminated.wait()
                    log.debug(
                        "pooled connection terminated",
                        endpoint=key.label(),
                        slot=slot.id,
                        reason=str(conn.close_reason),
                    )
            if handshake_bound.cancelled_caught and handle.conn is None:
                handle.error = trio.TooSlowError(f"handshake took over {cfg.connect_timeout}s")
        except Exception as exc:
            # Handshake refused, unreachable address, bad TLS material: reported to the callers
            # waiting on this connection, never allowed to take the pool down.
            handle.error = exc
        finally:
            if handle.conn is None:
                if handle.error is None:
                    handle.error = PoolClosed("the pool closed while connecting")
                ep.policy.connect_failed(slot)
                log.info("pool connect failed", endpoint=key.label(), error=repr(handle.error))
            else:
                ep.policy.evict(slot, EvictReason.DEAD)
            handle.ready.set()
            ep.lot.unpark_all()
            self._changed()

    async def _maintenance(self) -> None:
        while True:
            await trio.sleep(self.config.cleanup_interval)
            self._sweep()

    def _sweep(self) -> None:
        now = trio.current_time()
        for ep in self._endpoints.values():
            for slot, reason in ep.policy.sweep(now):
                log.debug(
                    "evicting pooled connection",
                    endpoint=ep.key.label(),
                    slot=slot.id,
                    reason=reason.value,
                )
                slot.handle.close()
            for slot in ep.policy.due_health_checks(now):
                ep.policy.checked(slot, now)  # not re-selected while the ping is in flight
                assert self._nursery is not None
                self._nursery.start_soon(self._health_check, ep, slot)
            ep.lot.unpark_all()
        self._changed()

    async def _health_check(self, ep: _Endpoint, slot: Slot) -> None:
        conn = slot.handle.conn
        if conn is None:
            return
        try:
            with trio.fail_after(self.config.health_check_timeout):
                await conn.ping()
        except (trio.TooSlowError, ConnectionClosed) as exc:
            if ep.policy.evict(slot, EvictReason.PING):
                log.info(
                    "pooled connection failed health check",
                    endpoint=ep.key.label(),
                    error=repr(exc),
                )
                slot.handle.close()
                ep.lot.unpark_all()
                self._changed()
            return
        ep.policy.checked(slot, trio.current_time(), ping_ok=True)
        self._changed()


def _reraise_single(group: BaseExceptionGroup) -> None:
    """The pool's nursery wraps what escapes the `async with` body: hand a lone exception
    back unwrapped, so callers catch their own error types."""
    if len(group.exceptions) == 1:
        exc = group.exceptions[0]
        raise exc.with_traceback(exc.__traceback__) from group.__cause__


class PoolCollector:
    """Prometheus collector for a pool: `registry.register(PoolCollector(pool))`."""

    def __init__(self, pool: ConnectionPool, prefix: str = "zquic_pool") -> None:
        self.pool = pool
        self.prefix = prefix

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        p = self.prefix
        labels = ["endpoint"]
        gauges = {
            "connections_open": GaugeMetricFamily(
                f"{p}_connections_open", "Open pooled connections", labels=labels
            ),
            "streams_in_flight": GaugeMetricFamily(
                f"{p}_streams_in_flight", "Streams lent out by the pool", labels=labels
            ),
            "waiters": GaugeMetricFamily(
                f"{p}_waiters", "Callers waiting for a stream slot", labels=labels
            ),
        }
        counters = {
            "connections_created": CounterMetricFamily(
                f"{p}_connections_created", "Connections opened by the pool", labels=labels
            ),
            "connect_failures": CounterMetricFamily(
                f"{p}_connect_failures", "Failed connection attempts", labels=labels
            ),
            "connections_resumed": CounterMetricFamily(
                f"{p}_connections_resumed",
                "Resumed connections",
                labels=labels,
            ),
        }
        evicted = CounterMetricFamily(
            f"{p}_connections_evicted", "Connections evicted", labels=["endpoint", "reason"]
        )
        for key, snap in self.pool.stats().items():
            label = key.label()
            for name, fam in {**gauges, **counters}.items():
                fam.add_metric([label], snap[name])
            for reason, n in snap["evicted_by_reason"].items():
                evicted.add_metric([label, reason], n)
        yield from gauges.values()
        yield from counters.values()
        yield evicted
