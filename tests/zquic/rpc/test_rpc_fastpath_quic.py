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
