"""RpcServer graceful drain over real QUIC: refuse new calls, finish unary ones, end streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio
import trio.testing
import zquic
from echo_service import EchoService
from ghost.bridge.v1 import bridge_pb2
from zquic.rpc import ALPN, Channel, ControlCodec, FrameType, RpcError, RpcServer, StatusCode, Stub

pytestmark = pytest.mark.timeout(60)


class GatedEcho(EchoService):
    """mode "gate": the handler waits for `gate`; `entered` counts handlers waiting."""

    def __init__(self, pb2: Any) -> None:
        super().__init__(pb2)
        self.gate = trio.Event()
        self.entered = 0
        self.all_entered = trio.Event()
        self.expected = 0

    async def Unary(self, req: Any, ctx: Any) -> Any:
        if req.mode == "gate":
            self.entered += 1
            if self.entered == self.expected:
                self.all_entered.set()
            await self.gate.wait()
            return self.pb2.EchoReply(text=f"done {req.text}")
        return await super().Unary(req, ctx)


async def _serve(run_server: Any, server: RpcServer, task_status: trio.TaskStatus[int]) -> None:
    async with run_server(handler=server.handle_connection, alpn_protocols=[ALPN]) as ep:
        task_status.started(ep.local_address[1])
        await trio.sleep_forever()


def _server(echo_pb2: Any, impl: EchoService, **kw: Any) -> RpcServer:
    server = RpcServer(**kw)
    server.add_service(echo_pb2.DESCRIPTOR.services_by_name["Echo"], impl)
    return server


async def test_inflight_unary_replies_survive_endpoint_close(
    backend: str, echo_pb2: Any, run_server: Any, client_tls: Callable[..., Any]
) -> None:
    n = 20
    impl = GatedEcho(echo_pb2)
    impl.expected = n
    codes: list[Any] = []
    server = _server(echo_pb2, impl, on_call_done=lambda *a: codes.append(a[2]))
    results: dict[int, Any] = {}
    with trio.fail_after(30):
        async with trio.open_nursery() as outer:
            server_scope = trio.CancelScope()

            async def serve(task_status: trio.TaskStatus[int]) -> None:
                with server_scope:
                    await _serve(run_server, server, task_status)

            port = await outer.start(serve)
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=[ALPN], backend=backend
            ) as conn:
                stub = Stub(Channel(conn), echo_pb2.DESCRIPTOR.services_by_name["Echo"])

                async def call(i: int) -> None:
                    try:
                        req = echo_pb2.EchoRequest(text=str(i), mode="gate")
                        results[i] = await stub.Unary(req)
                    except RpcError as exc:
                        results[i] = exc

                async with trio.open_nursery() as calls:
                    for i in range(n):
                        calls.start_soon(call, i)
                    await impl.all_entered.wait()
                    assert server.active_calls == n
                    server.start_draining()
                    assert server.draining
                    # A call that starts now is refused without running the handler.
                    with pytest.raises(RpcError) as refused:
                        await stub.Unary(echo_pb2.EchoRequest(text="late"))
                    assert refused.value.code == StatusCode.UNAVAILABLE
                    assert refused.value.message == "server is shutting down"
                    assert len(impl.contexts) == 0  # "late" never reached a handler

                    idle = trio.Event()

                    async def wait_idle() -> None:
                        await server.wait_idle()
                        idle.set()
                        # Close the endpoint at once: the replies must already be out.
                        server_scope.cancel()

                    calls.start_soon(wait_idle)
                    await trio.testing.wait_all_tasks_blocked()
                    assert not idle.is_set()  # the handlers are still blocked
                    impl.gate.set()
    assert server.active_calls == 0
    assert {i: getattr(r, "text", r) for i, r in results.items()} == {
        i: f"done {i}" for i in range(n)
    }
    assert codes.count(StatusCode.OK) == n
    assert codes.count(StatusCode.UNAVAILABLE) == 1


async def test_streams_end_with_unavailable_and_control_streams_do_not_block(
    backend: str, echo_pb2: Any, run_server: Any, client_tls: Callable[..., Any]
) -> None:
    async def registry(ftype: FrameType, req: Any, peer: Any) -> Any:
        return bridge_pb2.RegisterResponse(lease_id="lease-1", ttl_ms=5000)

    impl = EchoService(echo_pb2)
    server = _server(echo_pb2, impl, control_handler=registry)
    with trio.fail_after(30):
        async with trio.open_nursery() as outer:
            port = await outer.start(_serve, run_server, server)
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=[ALPN], backend=backend
            ) as conn:
                stub = Stub(Channel(conn), echo_pb2.DESCRIPTOR.services_by_name["Echo"])
                # A control stream (a bridge lease) stays open across the drain.
                control = await conn.open_stream()
                codec = ControlCodec(server=False)
                await control.send_all(
                    codec.encode(
                        bridge_pb2.RegisterRequest(
                            registration=bridge_pb2.ServiceRegistration(service="rpctest.Echo")
                        )
                    )
                )
                replies: list[Any] = []
                while not replies:
                    replies += codec.receive_data(await control.receive_some())
                async with (
                    stub.ServerStream(echo_pb2.EchoRequest(count=1, mode="slow")) as stream,
                    stub.Bidi() as bidi,
                ):
                    got = [(await stream.__anext__()).index]
                    await bidi.send(echo_pb2.EchoRequest(text="a"))
                    assert (await bidi.receive()).text == "A"
                    await impl.started.wait()  # the stream's handler is blocked
                    assert server.active_calls == 2
                    server.start_draining()
                    with pytest.raises(RpcError) as ended:
                        async for reply in stream:
                            got.append(reply.index)
                    assert ended.value.code == StatusCode.UNAVAILABLE
                    assert ended.value.message == "server is shutting down"
                    with pytest.raises(RpcError) as bidi_ended:
                        while await bidi.receive() is not None:
                            pass
                    assert bidi_ended.value.code == StatusCode.UNAVAILABLE
                    await server.wait_idle()  # the open control stream is not a call
                    assert server.active_calls == 0
                    assert got == [0]
                await control.aclose()
            outer.cancel_scope.cancel()
