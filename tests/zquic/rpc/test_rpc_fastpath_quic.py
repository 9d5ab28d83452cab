"""Unary fast paths over real QUIC: everything the general path reported still arrives."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import structlog
import trio
from structlog.testing import capture_logs
from zquic.rpc import Channel, RpcError, RpcServer, StatusCode, Stub, parse_traceparent

pytestmark = pytest.mark.timeout(60)


async def test_fast_path_statuses_metadata_and_trace(open_rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(20):
        async with open_rig() as rig:
            stub = rig.stub
            req = echo_pb2.EchoRequest
            # A compressible response over the threshold: deflated by the server (the client
            # accepts deflate by default) and inflated by the client's one-pass decoder.
            payload = b"ghostchain " * 2000
            resp, call = await stub.Unary.with_call(req(payload=payload))
            assert resp.payload == payload and call.code == StatusCode.OK
            assert call.initial_metadata == () and call.trailing_metadata == ()
            # Status, message and trailing metadata of errors (trailers-only responses).
            with pytest.raises(RpcError) as info:
                await stub.Unary(req(mode="error"))
            assert info.value.code == StatusCode.NOT_FOUND
            assert info.value.message == "no such thing"
            assert info.value.trailing_metadata == (("why-bin", b"\x00\x01"),)
            with pytest.raises(RpcError) as info:
                await stub.Unary(req(mode="abort"))
            assert info.value.code == StatusCode.PERMISSION_DENIED
            assert info.value.trailing_metadata == (("k", "v"),)
            with pytest.raises(RpcError) as info:
                await stub.Unary(req(mode="wrongtype"))
            assert info.value.code == StatusCode.INTERNAL
            # Trace context: the client's traceparent reaches the handler and the hook.
            resp, call = await stub.Unary.with_call(req(mode="trace"))
            assert resp.text == call.traceparent
            assert rig.calls[-1][4] == parse_traceparent(call.traceparent)[0]
            tp = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
            resp = await stub.Unary(req(mode="trace"), metadata={"traceparent": tp, "a": "b"})
            assert resp.text == tp
            # No traceparent at all: the server starts a trace (and logs its id).
            bare = Stub(Channel(rig.conn, generate_traceparent=False), stub._service)
            resp, call = await bare.Unary.with_call(req(mode="trace"))
            assert call.traceparent == "" and parse_traceparent(resp.text) is not None
            assert rig.calls[-1][4] == resp.text[3:35]
            # Channel and call metadata (cached header prefixes) and a deadline.
            meta = Stub(Channel(rig.conn, metadata={"chan": "1"}), stub._service)
            for i in range(3):
                resp = await meta.Unary(req(mode="meta"), metadata={"n": str(i)})
                assert resp.text == repr(sorted((("chan", "1"), ("n", str(i)))))
            resp = await meta.Unary(req(mode="deadline"), timeout=5)
            assert 0 < float(resp.text) <= 5
    codes = [c[2] for c in rig.calls]
    assert codes.count(StatusCode.OK) == 8


async def test_fast_path_logging(open_rig: Any, echo_pb2: Any) -> None:
    with trio.fail_after(20):
        async with open_rig() as rig:
            with capture_logs() as logs:
                _resp, call = await rig.stub.Unary.with_call(echo_pb2.EchoRequest(text="x"))
    lines = [e for e in logs if e["event"] == "rpc_call"]
    assert len(lines) == 1
    assert lines[0]["status"] == "OK" and lines[0]["method"] == "/rpctest.Echo/Unary"
    assert lines[0]["trace_id"] == parse_traceparent(call.traceparent)[0]


async def test_fast_path_quiet_logger_still_feeds_the_hook(
    open_rig: Any, echo_pb2: Any, backend: str
) -> None:
    quiet = structlog.wrap_logger(
        structlog.PrintLogger(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    with trio.fail_after(20):
        async with open_rig(logger=quiet) as rig:
            _resp, call = await rig.stub.Unary.with_call(echo_pb2.EchoRequest(text="x"))
            with pytest.raises(RpcError):
                await rig.stub.Unary(echo_pb2.EchoRequest(mode="error"))
    assert [c[2] for c in rig.calls] == [StatusCode.OK, StatusCode.NOT_FOUND]
    assert rig.calls[0][4] == parse_traceparent(call.traceparent)[0]
    assert isinstance(rig.server, RpcServer) and rig.server._log_calls is False


async def test_fast_path_bad_response_resets_and_channel_changes(
    open_rig: Any, echo_pb2: Any
) -> None:
    from zquic.errors import StreamStopped
    from zquic.rpc import RawCall, encode_message
    from zquic.rpc.call import _OK_RESPONSE_TRAILERS, _RESPONSE_HEADERS

    resets: list[int] = []
    seen = trio.Event()

    async def fallback(raw: RawCall) -> StatusCode:
        # A well-framed OK response whose message is not an EchoReply.
        bad = _RESPONSE_HEADERS["identity"] + encode_message(2, b"\xff\xff") + _OK_RESPONSE_TRAILERS
        # The unary request ended with FIN in the same write: EOF now, before any reply.
        assert await raw.stream.receive_some() == b""
        aborted = trio.Event()
        raw.stream.set_abort_callback(aborted.set)
        await raw.stream.send_all(bad)
        await aborted.wait()  # the request ended with FIN: the client aborts with STOP_SENDING
        try:
            await raw.stream.send_all(b"\x00")
        except StreamStopped as exc:
            resets.append(exc.error_code)
        seen.set()
        return StatusCode.OK

    with trio.fail_after(20):
        async with open_rig(fallback_handler=fallback) as rig:
            call = rig.channel.call("/other.Svc/M", echo_pb2.EchoReply)
            with pytest.raises(RpcError) as info:
                await call.unary(echo_pb2.EchoRequest(text="x"))
            assert info.value.code == StatusCode.INTERNAL
            assert call.status is None
            await seen.wait()
            assert resets == [1]  # the client stopped the stream (CANCELLED)
            # Channel settings changed after creation are honoured per call.
            rig.channel.accept_encodings = ["gzip"]  # a list: still fine
            payload = b"ghostchain " * 2000
            assert (await rig.stub.Unary(echo_pb2.EchoRequest(payload=payload))).payload == payload
            rig.channel.compression = "brotli"
            with pytest.raises(ValueError):
                await rig.stub.Unary(echo_pb2.EchoRequest(text="x"))
            rig.channel.compression = "gzip"
            rig.channel.compression_threshold = 10
            assert (await rig.stub.Unary(echo_pb2.EchoRequest(payload=payload))).payload == payload


async def test_fast_path_response_over_the_send_budget_and_initial_metadata(
    open_rig: Any, echo_pb2: Any
) -> None:
    import os

    # Incompressible and larger than the connection's send buffer (512 KiB): the one-shot
    # write would block, so the response goes out through the waiting path.
    payload = os.urandom(1536 * 1024)
    with trio.fail_after(20):
        async with open_rig() as rig:
            for timeout in (None, 10):
                resp, call = await rig.stub.Unary.with_call(
                    echo_pb2.EchoRequest(payload=payload), timeout=timeout
                )
                assert resp.payload == payload and call.code == StatusCode.OK
            # send_initial_metadata on the unary fast path: the header goes out before the
            # message, then trailing metadata with the trailers.
            resp, call = await rig.stub.Unary.with_call(
                echo_pb2.EchoRequest(mode="meta"), timeout=10
            )
            assert call.initial_metadata == (("initial", "yes"),)
            assert call.trailing_metadata == (("trailer", "t1"), ("trailer-bin", b"\xff"))
    assert [c[2] for c in rig.calls] == [StatusCode.OK] * 3
    assert all(c[3] > 0 for c in rig.calls)  # durations measured for the hook
