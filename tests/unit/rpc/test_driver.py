"""RpcServer + Channel/Stub over in-memory QUIC-like streams: the four shapes and failures."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
import trio
from zquic.rpc import ClientCall, RpcError, StatusCode, TrailersReceived

pytestmark = pytest.mark.timeout(20)


async def test_unary_roundtrip(rig: Any, echo_pb2: Any, calls_done: list[Any]) -> None:
    with trio.fail_after(5):
        resp = await rig.stub.Unary(echo_pb2.EchoRequest(text="hi", payload=b"x" * 10))
    assert resp.text == "hi" and resp.payload == b"x" * 10
    assert calls_done[0][:3] == ("rpctest.Echo", "Unary", StatusCode.OK)
    assert len(calls_done[0][4]) == 32  # trace id always present


async def test_server_streaming(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        async with rig.stub.ServerStream(echo_pb2.EchoRequest(text="s", count=5)) as stream:
            got = [r.index async for r in stream]
    assert got == [0, 1, 2, 3, 4]
    assert stream.code == StatusCode.OK


async def test_client_streaming_list_and_async_iterable(rig: Any, echo_pb2: Any) -> None:
    reqs = [echo_pb2.EchoRequest(text=str(i), payload=b"p" * i) for i in range(4)]

    async def agen() -> Any:
        for r in reqs:
            yield r

    with trio.fail_after(5):
        a = await rig.stub.ClientStream(reqs)
        b = await rig.stub.ClientStream(agen())
        empty = await rig.stub.ClientStream([])
    assert a.text == b.text == "0,1,2,3" and a.index == 6
    assert empty.text == ""


async def test_bidi_interleaved(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        async with rig.stub.Bidi() as call:
            for word in ("a", "b", "c"):
                await call.send(echo_pb2.EchoRequest(text=word))
                reply = await call.receive()
                assert reply.text == word.upper()
            await call.done_writing()
            assert await call.receive() is None
    assert call.code == StatusCode.OK


async def test_rpc_error_status_and_trailers(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5), pytest.raises(RpcError) as info:
        await rig.stub.Unary(echo_pb2.EchoRequest(mode="error"))
    assert info.value.code == StatusCode.NOT_FOUND
    assert info.value.message == "no such thing"
    assert info.value.trailing_metadata == (("why-bin", b"\x00\x01"),)


async def test_abort_keeps_trailing_metadata(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5), pytest.raises(RpcError) as info:
        await rig.stub.Unary(echo_pb2.EchoRequest(mode="abort"))
    assert info.value.code == StatusCode.PERMISSION_DENIED
    assert info.value.trailing_metadata == (("k", "v"),)


async def test_internal_error_hides_traceback(rig: Any, echo_pb2: Any) -> None:
    with structlog.testing.capture_logs() as logs:
        with trio.fail_after(5), pytest.raises(RpcError) as info:
            await rig.stub.Unary(echo_pb2.EchoRequest(mode="crash"))
        with trio.fail_after(5), pytest.raises(RpcError) as info2:
            await rig.stub.Unary(echo_pb2.EchoRequest(mode="wrongtype"))
    assert info.value.code == StatusCode.INTERNAL
    assert "secret" not in info.value.message and "Traceback" not in info.value.message
    assert info2.value.code == StatusCode.INTERNAL
    errors = [e for e in logs if e["event"] == "rpc_handler_error"]
    assert len(errors) == 2  # logged once per failure, server side only
    # The server carries on after a handler crash.
    with trio.fail_after(5):
        assert (await rig.stub.Unary(echo_pb2.EchoRequest(text="ok"))).text == "ok"


async def test_unimplemented_method_and_service(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5), pytest.raises(RpcError) as info:
        await rig.stub.Missing(echo_pb2.EchoRequest())
    assert info.value.code == StatusCode.UNIMPLEMENTED
    call = rig.channel.call("/nope.Service/Do", echo_pb2.EchoReply)
    with trio.fail_after(5), pytest.raises(RpcError) as info:
        await call.send(echo_pb2.EchoRequest())
        await call.done_writing()
        await call.result()
    assert info.value.code == StatusCode.UNIMPLEMENTED
    assert "nope.Service" in info.value.message


async def test_metadata_both_ways(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        resp, call = await rig.stub.Unary.with_call(
            echo_pb2.EchoRequest(mode="meta"), metadata={"x-user": "alice", "blob-bin": b"\x01"}
        )
    assert ("x-user", "alice") in eval(resp.text)  # noqa: S307 - repr of our own tuples
    assert ("blob-bin", b"\x01") in eval(resp.text)  # noqa: S307
    assert call.initial_metadata == (("initial", "yes"),)
    assert call.trailing_metadata == (("trailer", "t1"), ("trailer-bin", b"\xff"))


async def test_traceparent_propagated_or_generated(rig: Any, echo_pb2: Any) -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with trio.fail_after(5):
        given = await rig.stub.Unary(echo_pb2.EchoRequest(mode="trace"), traceparent=tp)
        via_md = await rig.stub.Unary(
            echo_pb2.EchoRequest(mode="trace"), metadata={"traceparent": tp}
        )
        generated = await rig.stub.Unary(echo_pb2.EchoRequest(mode="trace"))
    assert given.text == tp and via_md.text == tp
    assert generated.text.startswith("00-") and generated.text != tp


async def test_deadline_propagated_as_remaining_time(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        resp = await rig.stub.Unary(echo_pb2.EchoRequest(mode="deadline"), timeout=3.0)
        none = await rig.stub.Unary(echo_pb2.EchoRequest(mode="deadline"))
    assert 2.0 < float(resp.text) <= 3.0
    assert none.text == "None"


async def test_client_deadline_cancels_server_handler(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        with pytest.raises(RpcError) as info:
            await rig.stub.Unary(echo_pb2.EchoRequest(mode="slow"), timeout=0.2)
        assert info.value.code == StatusCode.DEADLINE_EXCEEDED
        await rig.impl.cancelled.wait()


async def test_server_enforces_deadline(echo_pb2: Any, rig: Any) -> None:
    # A raw client that announces 0.2 s but never enforces it: the server must answer alone.
    state = ClientCall()
    stream = await rig.conn.open_stream()
    with trio.fail_after(5):
        head = state.start("/rpctest.Echo/Unary", timeout=0.2)
        body = state.send_message(echo_pb2.EchoRequest(mode="slow").SerializeToString())
        await stream.send_all(head + body)
        await stream.send_eof()
        events = []
        while data := await stream.receive_some():
            events += state.receive_data(data)
    assert isinstance(events[-1], TrailersReceived)
    assert events[-1].status.code == StatusCode.DEADLINE_EXCEEDED
    assert rig.impl.cancelled.is_set()


async def test_task_cancellation_reaches_handler(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(rig.stub.Unary, echo_pb2.EchoRequest(mode="slow"))
            await rig.impl.started.wait()
            nursery.cancel_scope.cancel()
        await rig.impl.cancelled.wait()
    assert rig.impl.contexts[-1].cancel_reason == "cancelled by the client"


async def test_closing_server_stream_early_cancels_handler(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5):
        async with rig.stub.ServerStream(echo_pb2.EchoRequest(count=2, mode="slow")) as stream:
            assert (await stream.receive()).index == 0
            await rig.impl.started.wait()
        await rig.impl.cancelled.wait()


async def test_large_message_chunked_both_ways(rig: Any, echo_pb2: Any) -> None:
    big = bytes(range(256)) * (3 * 1024 * 4)  # 3 MiB
    with trio.fail_after(10):
        resp = await rig.stub.Unary(echo_pb2.EchoRequest(payload=big))
    assert resp.payload == big


async def test_too_large_refused_before_sending(rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(5), pytest.raises(RpcError) as info:
        await rig.stub.Unary(echo_pb2.EchoRequest(payload=b"x" * (4 * 1024 * 1024 + 1)))
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED
    assert rig.conn.opened == [] or rig.conn.opened[-1].reset_sent is not None


async def test_server_refuses_too_large_request(echo_pb2: Any, rig: Any) -> None:
    rig.channel.max_message_size = 8 * 1024 * 1024  # a misbehaving client ignores the limit
    with trio.fail_after(10), pytest.raises(RpcError) as info:
        await rig.stub.Unary(echo_pb2.EchoRequest(payload=b"x" * (5 * 1024 * 1024)))
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED
