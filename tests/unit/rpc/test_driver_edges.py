"""Driver edge cases: bad input, control frames, relay, compression, logging, binding."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
import trio
from ghost.bridge.v1 import bridge_pb2
from rpc_fakes import FakeConnection
from zquic.errors import StreamReset
from zquic.rpc import (
    Channel,
    ClientCall,
    ControlCodec,
    FrameType,
    RawCall,
    RpcError,
    RpcServer,
    StatusCode,
    Stub,
    TrailersReceived,
    relay_call,
)

pytestmark = pytest.mark.timeout(20)


async def read_all(stream: Any) -> bytes:
    out = b""
    while data := await stream.receive_some():
        out += data
    return out


@pytest.mark.parametrize(
    "garbage",
    [b"\x07\x01\x00\x01\x01", b"\x01\x01\x00\x03\x01\xff\xff", b"\x01\x02\x00\x01\x01"],
)
async def test_garbage_gets_status_and_server_carries_on(
    rig: Any, echo_pb2: Any, garbage: bytes
) -> None:
    stream = await rig.conn.open_stream()
    client = ClientCall()
    client.start("/x.Y/Z")
    with structlog.testing.capture_logs() as logs, trio.fail_after(5):
        await stream.send_all(garbage)
        events = client.receive_data(await read_all(stream))
    assert isinstance(events[-1], TrailersReceived)
    assert events[-1].status.code == StatusCode.INTERNAL
    assert [e["event"] for e in logs].count("rpc_protocol_error") == 1
    with trio.fail_after(5):
        assert (await rig.stub.Unary(echo_pb2.EchoRequest(text="still"))).text == "still"


async def test_protocol_error_mid_call(rig: Any, echo_pb2: Any) -> None:
    stream = await rig.conn.open_stream()
    client = ClientCall()
    with trio.fail_after(5):
        await stream.send_all(client.start("/rpctest.Echo/ClientStream") + b"\x01\x01\x00\x01\x09")
        events = client.receive_data(await read_all(stream))
    assert events[-1].status.code == StatusCode.INTERNAL


async def test_silent_stream_is_dropped_after_header_timeout(echo_pb2: Any) -> None:
    server = RpcServer(header_timeout=0.05)
    conn = FakeConnection()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.handle_connection, conn)
        stream = await conn.open_stream()
        await stream.send_all(b"\x01")  # one byte, then nothing
        with trio.fail_after(5), pytest.raises(StreamReset):
            await read_all(stream)
        nursery.cancel_scope.cancel()


async def test_random_bytes_never_crash_handle_stream(echo_pb2: Any) -> None:
    import random

    rng = random.Random(7)
    server = RpcServer(header_timeout=0.5)
    server.add_service(echo_pb2.DESCRIPTOR.services_by_name["Echo"], object())
    conn = FakeConnection()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.handle_connection, conn)
        with trio.fail_after(10):
            for _ in range(50):
                stream = await conn.open_stream()
                prefix = rng.choice([b"", b"\x01", b"\x01\x01", b"\x01\x03"])
                await stream.send_all(prefix + rng.randbytes(rng.randrange(1, 200)))
                await stream.send_eof()
                try:
                    await read_all(stream)
                except StreamReset:
                    pass
        nursery.cancel_scope.cancel()


async def test_control_frames_with_and_without_registry() -> None:
    seen: list[Any] = []

    async def registry(ftype: FrameType, req: Any, peer: Any) -> Any:
        seen.append((ftype, req))
        if ftype == FrameType.SERVICE_REGISTER:
            return bridge_pb2.RegisterResponse(lease_id="L1", ttl_ms=9000)
        raise RpcError(StatusCode.NOT_FOUND, "no lease")

    for handler in (registry, None):
        server = RpcServer(control_handler=handler)
        conn = FakeConnection()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(server.handle_connection, conn)
            stream = await conn.open_stream()
            codec = ControlCodec(server=False)
            reg = bridge_pb2.RegisterRequest(
                registration=bridge_pb2.ServiceRegistration(
                    service="ghost.wallet.v1.WalletService",
                    endpoint=bridge_pb2.Endpoint(host="127.0.0.1", port=8080),
                    methods=["M" * 100] * 1000,  # > one frame: exercises chunking
                )
            )
            hc = bridge_pb2.HealthCheckRequest(lease_id="L1", status=bridge_pb2.SERVING)
            with trio.fail_after(5):
                await stream.send_all(codec.encode(reg) + codec.encode(hc))
                await stream.send_eof()
                replies = codec.receive_data(await read_all(stream))
                codec.receive_eof()
            nursery.cancel_scope.cancel()
        assert [r.type for r in replies] == [FrameType.SERVICE_REGISTER, FrameType.HEALTH_CHECK]
        if handler is None:
            assert all(r.message.result.code == StatusCode.UNIMPLEMENTED for r in replies)
        else:
            assert replies[0].message.lease_id == "L1"
            assert replies[1].message.result.code == StatusCode.NOT_FOUND
    assert seen[0][1].registration.endpoint.port == 8080 and len(seen) == 2


async def test_compression_end_to_end(rig: Any, echo_pb2: Any) -> None:
    svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
    payload = b"compress me " * 10_000
    for enc in ("deflate", "gzip"):
        stub = Stub(Channel(rig.conn, compression=enc), svc)
        with trio.fail_after(5):
            resp = await stub.Unary(echo_pb2.EchoRequest(payload=payload))
        assert resp.payload == payload
        # Both directions went compressed: far fewer bytes than the payload crossed.
        assert rig.conn.opened[-1].bytes_sent < len(payload) // 10
        assert rig.conn.accepted[-1].bytes_sent < len(payload) // 10
    plain = Stub(Channel(rig.conn, accept_encodings=()), svc)
    with trio.fail_after(5):
        assert (await plain.Unary(echo_pb2.EchoRequest(payload=payload))).payload == payload
    assert rig.conn.opened[-1].bytes_sent > len(payload)
    assert rig.conn.accepted[-1].bytes_sent > len(payload)


async def test_one_log_event_per_call(rig: Any, echo_pb2: Any, calls_done: list[Any]) -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with structlog.testing.capture_logs() as logs, trio.fail_after(5):
        await rig.stub.Unary(echo_pb2.EchoRequest(), traceparent=tp)
        with pytest.raises(RpcError):
            await rig.stub.Unary(echo_pb2.EchoRequest(mode="error"), traceparent=tp)
    calls = [e for e in logs if e["event"] == "rpc_call"]
    assert [c["status"] for c in calls] == ["OK", "NOT_FOUND"]
    assert all(c["trace_id"] == "0af7651916cd43dd8448eb211c80319c" for c in calls)
    assert all(c["method"] == "/rpctest.Echo/Unary" and c["duration_ms"] >= 0 for c in calls)
    assert [(c[2], c[4]) for c in calls_done] == [
        (StatusCode.OK, "0af7651916cd43dd8448eb211c80319c"),
        (StatusCode.NOT_FOUND, "0af7651916cd43dd8448eb211c80319c"),
    ]


async def test_binding_checks(echo_pb2: Any) -> None:
    svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]

    class WrongShape:
        async def ServerStream(self, req: Any, ctx: Any) -> Any:  # must be a generator
            return None

    with pytest.raises(TypeError, match="async generator"):
        RpcServer().add_service(svc, WrongShape())
    server = RpcServer()
    server.add_service(svc, object())
    with pytest.raises(ValueError, match="already"):
        server.add_service(svc, object())
    assert server.services == {"rpctest.Echo"}


async def test_expired_deadline_and_dead_connection(echo_pb2: Any) -> None:
    conn = FakeConnection()
    stub = Stub(Channel(conn), echo_pb2.DESCRIPTOR.services_by_name["Echo"])
    with pytest.raises(RpcError) as info:
        await stub.Unary(echo_pb2.EchoRequest(), timeout=0)
    assert info.value.code == StatusCode.DEADLINE_EXCEEDED and conn.opened == []
    await conn.close()
    with pytest.raises(RpcError) as info:
        await stub.Unary(echo_pb2.EchoRequest())
    assert info.value.code == StatusCode.UNAVAILABLE


async def test_server_reset_maps_to_status(echo_pb2: Any) -> None:
    conn = FakeConnection()
    stub = Stub(Channel(conn), echo_pb2.DESCRIPTOR.services_by_name["Echo"])

    async def refuse() -> None:
        stream = await conn.accept_stream()
        await stream.receive_some()
        stream.reset(5)  # REFUSED

    async with trio.open_nursery() as nursery:
        nursery.start_soon(refuse)
        with trio.fail_after(5), pytest.raises(RpcError) as info:
            await stub.Unary(echo_pb2.EchoRequest())
    assert info.value.code == StatusCode.UNAVAILABLE


# ---- relay ----------------------------------------------------------------------------------


@pytest.fixture
async def relay_rig(echo_pb2: Any, rig: Any) -> Any:
    """client -> front server (no services, fallback relays) -> rig.server (Echo)."""
    statuses: list[StatusCode] = []
    seen_headers: list[Any] = []
    recorded = trio.Event()

    async def fallback(call: RawCall) -> StatusCode:
        nonlocal recorded
        seen_headers.append(call.header)
        backend = await rig.conn.open_stream()
        code = await relay_call(call, backend, extra_metadata=[("via", "bridge")])
        statuses.append(code)
        recorded.set()
        recorded = trio.Event()
        return code

    async def wait_statuses(n: int) -> None:
        while len(statuses) < n:
            await recorded.wait()

    front = RpcServer(fallback_handler=fallback)
    conn = FakeConnection()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(front.handle_connection, conn)
        stub = Stub(Channel(conn), echo_pb2.DESCRIPTOR.services_by_name["Echo"])
        yield stub, statuses, seen_headers, wait_statuses
        nursery.cancel_scope.cancel()


async def test_relay_all_shapes_and_errors(relay_rig: Any, echo_pb2: Any, rig: Any) -> None:
    stub, statuses, headers, wait_statuses = relay_rig
    big = b"z" * (3 * 1024 * 1024)
    with trio.fail_after(10):
        assert (await stub.Unary(echo_pb2.EchoRequest(payload=big))).payload == big
        async with stub.ServerStream(echo_pb2.EchoRequest(count=3)) as s:
            assert [r.index async for r in s] == [0, 1, 2]
        assert (await stub.ClientStream([echo_pb2.EchoRequest(text="a")] * 2)).text == "a,a"
        async with stub.Bidi() as call:
            await call.send(echo_pb2.EchoRequest(text="q"))
            assert (await call.receive()).text == "Q"
            await call.done_writing()
            assert await call.receive() is None
        resp = await stub.Unary(echo_pb2.EchoRequest(mode="meta"))
        assert "('via', 'bridge')" in resp.text
        with pytest.raises(RpcError) as info:
            await stub.Unary(echo_pb2.EchoRequest(mode="error"))
        assert info.value.code == StatusCode.NOT_FOUND
        with pytest.raises(RpcError) as info:
            await stub.Missing(echo_pb2.EchoRequest())
        assert info.value.code == StatusCode.UNIMPLEMENTED
        # The relay records a call's status when it finishes on its side, which may be just
        # after the client returned with the trailers: wait for all seven.
        await wait_statuses(7)
    assert statuses[:4] == [StatusCode.OK] * 4
    assert statuses[-2:] == [StatusCode.NOT_FOUND, StatusCode.UNIMPLEMENTED]


async def test_relay_propagates_deadline_and_cancel(
    relay_rig: Any, echo_pb2: Any, rig: Any
) -> None:
    stub, _statuses, headers, _wait = relay_rig
    with trio.fail_after(5):
        resp = await stub.Unary(echo_pb2.EchoRequest(mode="deadline"), timeout=2.0)
    assert 1.0 < float(resp.text) <= 2.0 and headers[-1].timeout_ms <= 2000
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stub.Unary, echo_pb2.EchoRequest(mode="slow"))
            await rig.impl.started.wait()
            nursery.cancel_scope.cancel()
        await rig.impl.cancelled.wait()  # the backend handler saw the client's reset


async def test_metrics_hook_feeds_ghostkit_metrics(echo_pb2: Any) -> None:
    from echo_service import EchoService
    from ghostkit.metrics import new_registry, rpc_metrics
    from zquic.rpc import metrics_hook

    registry = new_registry(process_collectors=False)
    server = RpcServer(on_call_done=metrics_hook(rpc_metrics(registry)))
    svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
    server.add_service(svc, EchoService(echo_pb2))
    conn = FakeConnection()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.handle_connection, conn)
        stub = Stub(Channel(conn), svc)
        with trio.fail_after(5):
            await stub.Unary(echo_pb2.EchoRequest())
            with pytest.raises(RpcError):
                await stub.Unary(echo_pb2.EchoRequest(mode="error"))
        nursery.cancel_scope.cancel()
    labels = {"service": "rpctest.Echo", "method": "Unary"}
    assert registry.get_sample_value("ghost_rpc_requests_total", {**labels, "code": "OK"}) == 1
    assert (
        registry.get_sample_value("ghost_rpc_requests_total", {**labels, "code": "NOT_FOUND"}) == 1
    )
    assert registry.get_sample_value("ghost_rpc_duration_seconds_count", labels) == 2
