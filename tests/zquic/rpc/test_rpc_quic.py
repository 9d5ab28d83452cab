"""The ghostbridge/1 essentials over real QUIC loopback, on both QUIC cores."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import zquic
from ghost.bridge.v1 import bridge_pb2
from zquic.rpc import (
    ALPN,
    Channel,
    ControlCodec,
    FrameType,
    RawCall,
    RpcError,
    RpcServer,
    StatusCode,
    Stub,
    connect_rpc,
    relay_call,
    serve_rpc,
)

pytestmark = pytest.mark.timeout(60)


async def test_four_shapes(qrig: Any, echo_pb2: Any) -> None:
    stub = qrig.stub
    with trio.fail_after(10):
        assert (await stub.Unary(echo_pb2.EchoRequest(text="hi"))).text == "hi"
        async with stub.ServerStream(echo_pb2.EchoRequest(count=20)) as stream:
            assert [r.index async for r in stream] == list(range(20))
        reqs = [echo_pb2.EchoRequest(text=str(i)) for i in range(10)]
        assert (await stub.ClientStream(reqs)).text == ",".join(map(str, range(10)))
        async with stub.Bidi() as call:
            for w in ("x", "y"):
                await call.send(echo_pb2.EchoRequest(text=w))
                assert (await call.receive()).text == w.upper()
            await call.done_writing()
            assert await call.receive() is None
    assert [c[2] for c in qrig.calls] == [StatusCode.OK] * 4


async def test_large_messages_and_limit(qrig: Any, echo_pb2: Any) -> None:
    big = bytes(range(256)) * (3 * 4096)  # 3 MiB, chunked into ~49 frames each way
    with trio.fail_after(30):
        assert (await qrig.stub.Unary(echo_pb2.EchoRequest(payload=big))).payload == big
        with pytest.raises(RpcError) as info:  # refused by the sender, nothing sent
            await qrig.stub.Unary(echo_pb2.EchoRequest(payload=b"x" * (4 * 1024 * 1024 + 1)))
        assert info.value.code == StatusCode.RESOURCE_EXHAUSTED
        qrig.channel.max_message_size = 6 * 1024 * 1024  # client ignores the 4 MiB limit
        with pytest.raises(RpcError) as info:  # refused by the receiving server
            await qrig.stub.Unary(echo_pb2.EchoRequest(payload=b"x" * (5 * 1024 * 1024)))
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED


async def test_connection_survives_refused_large_message(qrig: Any, echo_pb2: Any) -> None:
    # The server stops reading a 5 MiB request it refused while megabytes of it are buffered
    # in the transport; later calls on the same connection must still flow.
    qrig.channel.max_message_size = 6 * 1024 * 1024
    with trio.fail_after(30):
        await qrig.stub.Unary(echo_pb2.EchoRequest(payload=b"y" * (3 * 1024 * 1024)))
        with pytest.raises(RpcError):
            await qrig.stub.Unary(echo_pb2.EchoRequest(payload=b"x" * (5 * 1024 * 1024)))
    with trio.fail_after(10):
        assert (await qrig.stub.Unary(echo_pb2.EchoRequest(text="ok"))).text == "ok"


async def test_errors_metadata_and_peer(qrig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(10):
        with pytest.raises(RpcError) as info:
            await qrig.stub.Unary(echo_pb2.EchoRequest(mode="crash"))
        assert info.value.code == StatusCode.INTERNAL and "secret" not in info.value.message
        with pytest.raises(RpcError) as info:
            await qrig.stub.Missing(echo_pb2.EchoRequest())
        assert info.value.code == StatusCode.UNIMPLEMENTED
        resp, call = await qrig.stub.Unary.with_call(
            echo_pb2.EchoRequest(mode="meta"), metadata={"x-a": "b"}
        )
    assert "('x-a', 'b')" in resp.text
    assert call.initial_metadata == (("initial", "yes"),)
    assert call.trailing_metadata == (("trailer", "t1"), ("trailer-bin", b"\xff"))
    ctx = qrig.impl.contexts[-1]
    assert ctx.peer.alpn == ALPN and ctx.peer.address[0] == "127.0.0.1"


async def test_deadline_and_cancellation_reach_handler(qrig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(10):
        with pytest.raises(RpcError) as info:
            await qrig.stub.Unary(echo_pb2.EchoRequest(mode="slow"), timeout=0.3)
        assert info.value.code == StatusCode.DEADLINE_EXCEEDED
        await qrig.impl.cancelled.wait()
    qrig.impl.started, qrig.impl.cancelled = trio.Event(), trio.Event()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(qrig.stub.Unary, echo_pb2.EchoRequest(mode="slow"))
            await qrig.impl.started.wait()
            nursery.cancel_scope.cancel()
        await qrig.impl.cancelled.wait()
    assert qrig.impl.contexts[-1].cancel_reason == "cancelled by the client"
    qrig.impl.started, qrig.impl.cancelled = trio.Event(), trio.Event()
    with trio.fail_after(10):
        async with qrig.stub.ServerStream(echo_pb2.EchoRequest(count=1, mode="slow")) as s:
            assert (await s.receive()).index == 0
            await qrig.impl.started.wait()
        await qrig.impl.cancelled.wait()


async def test_compression(qrig: Any, echo_pb2: Any) -> None:
    stub = Stub(Channel(qrig.conn, compression="deflate"), qrig.stub._service)
    payload = b"ghostchain " * 50_000
    with trio.fail_after(10):
        assert (await stub.Unary(echo_pb2.EchoRequest(payload=payload))).payload == payload


async def test_control_exchange(open_rig: Any) -> None:
    async def registry(ftype: FrameType, req: Any, peer: Any) -> Any:
        return bridge_pb2.RegisterResponse(lease_id="lease-1", ttl_ms=5000)

    with trio.fail_after(20):
        async with open_rig(control_handler=registry) as rig:
            stream = await rig.conn.open_stream()
            codec = ControlCodec(server=False)
            reg = bridge_pb2.RegisterRequest(
                registration=bridge_pb2.ServiceRegistration(service="rpctest.Echo")
            )
            await stream.send_all(codec.encode(reg))
            replies: list[Any] = []
            while not replies:
                replies += codec.receive_data(await stream.receive_some())
            await stream.aclose()
    assert replies[0].message.lease_id == "lease-1"


async def test_serve_and_connect_wrappers_with_relay(
    backend: str, echo_pb2: Any, server_tls: Any, client_tls: Any
) -> None:
    """client -> front (relays by fallback) -> backend server, every hop real QUIC."""
    from echo_service import EchoService

    svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
    impl = EchoService(echo_pb2)
    back = RpcServer()
    back.add_service(svc, impl)
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            back_ep = await nursery.start(
                lambda task_status: serve_rpc(
                    back, "127.0.0.1", 0, tls=server_tls(), backend=backend,
                    task_status=task_status,
                )
            )  # fmt: skip
            async with zquic.connect(
                "127.0.0.1", back_ep.local_address[1], tls=client_tls(),
                alpn_protocols=[ALPN], backend=backend,
            ) as upstream:  # fmt: skip

                async def fallback(call: RawCall) -> StatusCode:
                    return await relay_call(call, await upstream.open_stream())

                front = RpcServer(fallback_handler=fallback)
                front_ep = await nursery.start(
                    lambda task_status: serve_rpc(
                        front, "127.0.0.1", 0, tls=server_tls(), backend=backend,
                        task_status=task_status,
                    )
                )  # fmt: skip
                async with connect_rpc(
                    "127.0.0.1", front_ep.local_address[1], tls=client_tls(), backend=backend
                ) as channel:
                    stub = Stub(channel, svc)
                    big = b"r" * (2 * 1024 * 1024)
                    assert (await stub.Unary(echo_pb2.EchoRequest(payload=big))).payload == big
                    async with stub.ServerStream(echo_pb2.EchoRequest(count=3)) as s:
                        assert [r.index async for r in s] == [0, 1, 2]
                    with pytest.raises(RpcError) as info:
                        await stub.Unary(echo_pb2.EchoRequest(mode="error"))
                    assert info.value.code == StatusCode.NOT_FOUND
                    async with trio.open_nursery() as inner:
                        inner.start_soon(stub.Unary, echo_pb2.EchoRequest(mode="slow"))
                        await impl.started.wait()
                        inner.cancel_scope.cancel()
                    await impl.cancelled.wait()  # cancel crossed the relay
            nursery.cancel_scope.cancel()


async def test_unary_fast_path_edges(open_rig: Any, echo_pb2: Any) -> None:
    """Unary calls on zquic streams run without a reader task; what it used to notice must
    still be noticed: connection loss cancels the handler, bytes after END are an error, and
    a finished call leaves no STOP_SENDING/RESET traffic behind (2 datagrams per call)."""
    from zquic.rpc import ClientCall, TrailersReceived

    with trio.fail_after(20):
        async with open_rig() as rig:
            # A frame after END in the request: INTERNAL, handler result discarded.
            state = ClientCall()
            stream = await rig.conn.open_stream()
            request = state.start("/rpctest.Echo/Unary") + state.send_message(
                echo_pb2.EchoRequest(text="x").SerializeToString()
            )
            await stream.send_all(request + state.end_request() + b"\x01\x01\x00\x01\x05")
            events: list[Any] = []
            while not events or not isinstance(events[-1], TrailersReceived):
                events += state.receive_data(await stream.receive_some())
            assert events[-1].status.code == StatusCode.INTERNAL
            await stream.aclose()

            # Sequential unary calls: request and response datagrams only.
            for _ in range(5):
                await rig.stub.Unary(echo_pb2.EchoRequest(text="warm"))
            # Not counted below: the warm-up's delayed ACKs. A PING carries any ACK owed and
            # is acknowledged only after the server processed everything sent before it;
            # quiet once a round trip costs just its own two datagrams.
            while True:
                before = rig.conn.stats()
                await rig.conn.ping()
                after = rig.conn.stats()
                if all(after[k] - before[k] == 1 for k in ("datagrams_sent", "datagrams_received")):
                    break
            before = rig.conn.stats()
            for i in range(20):
                assert (await rig.stub.Unary(echo_pb2.EchoRequest(text=str(i)))).text == str(i)
            after = rig.conn.stats()
            dgrams = sum(after[k] - before[k] for k in ("datagrams_sent", "datagrams_received"))
            assert dgrams / 20 <= (3.0 if rig.conn.backend_name == "qh3" else 4.5)
    with trio.fail_after(20):
        async with open_rig() as rig:
            # The client's connection goes away while the handler runs: handler cancelled.
            async with trio.open_nursery() as nursery:

                async def call() -> None:
                    with pytest.raises(RpcError):
                        await rig.stub.Unary(echo_pb2.EchoRequest(mode="slow"))

                nursery.start_soon(call)
                await rig.impl.started.wait()
                rig.conn.close_nowait()
            await rig.impl.cancelled.wait()
    assert [c[2] for c in rig.calls][-1] == StatusCode.CANCELLED
