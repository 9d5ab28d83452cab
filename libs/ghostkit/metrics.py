"""Prometheus metrics: one registry per process plus the RPC metrics every daemon exports."""

from __future__ import annotations

import functools
import inspect
import time
import types
import weakref
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from typing import Any

import attrs
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# RPC latencies span sub-millisecond local calls to multi-second relayed ones.
RPC_BUCKETS: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

# What generate_latest() writes; prometheus_client's CONTENT_TYPE_LATEST names 1.0.0 in newer
# releases, which only applies with Accept negotiation.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_registry: CollectorRegistry | None = None


def new_registry(*, process_collectors: bool = True) -> CollectorRegistry:
    """A fresh registry, with process/platform/GC collectors unless told otherwise."""
    registry = CollectorRegistry(auto_describe=True)
    if process_collectors:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
    return registry


def get_registry() -> CollectorRegistry:
    """The process-wide registry (created on first use); the admin server exposes it."""
    global _registry
    if _registry is None:
        _registry = new_registry()
    return _registry


def exposition(registry: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """(body, content type) of the Prometheus text format for `registry`."""
    return generate_latest(registry or get_registry()), CONTENT_TYPE


@attrs.define
class RpcMetrics:
    """`ghost_rpc_*` metrics; the RPC layer calls `observe` or wraps a call in `track`."""

    requests: Counter
    duration: Histogram
    in_flight: Gauge

    def observe(self, service: str, method: str, code: str, seconds: float) -> None:
        self.requests.labels(service=service, method=method, code=code).inc()
        self.duration.labels(service=service, method=method).observe(seconds)

    @contextmanager
    def track(self, service: str, method: str) -> Iterator[_CallOutcome]:
        """Count in-flight, time the call; set `outcome.code` (default OK, UNKNOWN on error)."""
        outcome = _CallOutcome()
        gauge = self.in_flight.labels(service=service, method=method)
        gauge.inc()
        start = time.perf_counter()
        try:
            yield outcome
        except BaseException:
            if outcome.code == "OK":
                outcome.code = "UNKNOWN"
            raise
        finally:
            gauge.dec()
            self.observe(service, method, outcome.code, time.perf_counter() - start)


@attrs.define
class _CallOutcome:
    code: str = "OK"


_rpc: weakref.WeakKeyDictionary[CollectorRegistry, RpcMetrics] = weakref.WeakKeyDictionary()


def rpc_metrics(registry: CollectorRegistry | None = None) -> RpcMetrics:
    """The RPC metrics of `registry` (default: the process registry), created once."""
    registry = registry or get_registry()
    found = _rpc.get(registry)
    if found is not None:
        return found
    labels = ("service", "method")
    metrics = RpcMetrics(
        requests=Counter(
            "ghost_rpc_requests",
            "RPC calls handled, by final status code",
            (*labels, "code"),
            registry=registry,
        ),
        duration=Histogram(
            "ghost_rpc_duration_seconds",
            "RPC call duration",
            labels,
            buckets=RPC_BUCKETS,
            registry=registry,
        ),
        in_flight=Gauge("ghost_rpc_in_flight", "RPC calls in progress", labels, registry=registry),
    )
    _rpc[registry] = metrics
    return metrics


def count_in_flight(implementation: object, service: Any, metrics: RpcMetrics) -> object:
    """Wrap a servicer so `ghost_rpc_in_flight{service,method}` counts its running handlers.

    zquic's RpcServer only reports finished calls (`on_call_done`, which feeds
    `ghost_rpc_requests_total` and `ghost_rpc_duration_seconds` via `metrics_hook`), so the
    gauge is kept here, around each handler: from the moment the request is decoded and the
    handler starts until it returns or its stream ends. Use
    `server.add_service(SERVICE, count_in_flight(servicer, SERVICE, ctx.rpc))`.
    `service` is the protobuf ServiceDescriptor.
    """
    wrapped = types.SimpleNamespace()
    for method in service.methods:
        handler = getattr(implementation, method.name, None)
        if handler is None:
            continue
        gauge = metrics.in_flight.labels(service=service.full_name, method=method.name)
        if inspect.isasyncgenfunction(inspect.unwrap(handler)):
            setattr(wrapped, method.name, _counted_stream(handler, gauge))
        else:
            setattr(wrapped, method.name, _counted_unary(handler, gauge))
    return wrapped


def _counted_unary(handler: Any, gauge: Any) -> Any:
    @functools.wraps(handler)
    async def counted(request: Any, context: Any) -> Any:
        gauge.inc()
        try:
            return await handler(request, context)
        finally:
            gauge.dec()

    return counted


def _counted_stream(handler: Any, gauge: Any) -> Any:
    @functools.wraps(handler)
    async def counted(request: Any, context: Any) -> Any:
        gauge.inc()
        try:
            async with aclosing(handler(request, context)) as responses:
                async for response in responses:
                    yield response
        finally:
            gauge.dec()

    return counted
