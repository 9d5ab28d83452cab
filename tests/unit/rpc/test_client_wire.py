"""The client's unary fast path sends exactly the bytes of the ClientCall state machine
(cached header pieces, the header cut before its traceparent) for every kind of call."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from zquic.rpc import Channel, Stub
from zquic.rpc.call import (
    _OK_STATUS,
    ClientCall,
    encode_message_frames,
    encode_status,
    response_header_encodings,
)
from zquic.rpc.frames import FrameType

METHOD = "/rpctest.Echo/Unary"


class _RecordingStream:
    """A plain trio-style stream: records what the client writes, answers one OK reply."""

    def __init__(self, reply: bytes) -> None:
        self.sent = bytearray()
        self._reply = reply

    async def send_all(self, data: bytes) -> None:
        self.sent += data

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        reply, self._reply = self._reply, b""
        return reply

    async def send_eof(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


class _Connection:
    def __init__(self, reply: bytes, *, nowait: bool) -> None:
        self.streams: list[_RecordingStream] = []
        self._reply = reply
        if nowait:
            self.open_stream_nowait = self._open

    def _open(self) -> _RecordingStream:
        self.streams.append(_RecordingStream(self._reply))
        return self.streams[-1]

    async def open_stream(self) -> _RecordingStream:
        return self._open()


def _reply(echo_pb2: Any) -> bytes:
    header = next(iter(response_header_encodings(())))
    body = echo_pb2.EchoReply(text="ok").SerializeToString()
    return (
        header
        + encode_message_frames(FrameType.GRPC_RESPONSE, body, 1 << 20, "identity", 1 << 20)
        + encode_status(FrameType.GRPC_RESPONSE, _OK_STATUS)
    )


def _expected(request: Any, call: Any, channel: Channel, metadata: Any, timeout: Any) -> bytes:
    state = ClientCall(
        compression=channel.compression,
        compression_threshold=channel.compression_threshold,
        accept_encodings=tuple(channel.accept_encodings),
    )
    return (
        state.start(
            METHOD,
            metadata=metadata,
            timeout=timeout,
            traceparent=call.traceparent,
            tracestate=call._tracestate,
        )
        + state.send_message(request.SerializeToString())
        + state.end_request()
    )


CASES: list[tuple[dict[str, Any], dict[str, Any], tuple[tuple[str, Any], ...], float | None]] = [
    ({}, {}, (), None),  # generated traceparent, nothing else: the cached header
    ({}, {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-00"}, (), None),
    ({}, {"traceparent": "short"}, (), None),
    ({}, {"traceparent": "é" * 55}, (), None),  # 55 characters, more bytes
    ({}, {"tracestate": "vendor=x"}, (), None),
    ({}, {"metadata": {"traceparent": "00-" + "3" * 32 + "-" + "4" * 16 + "-01"}}, (), None),
    ({}, {"timeout": 1.5}, (), 1.5),
    (
        {},
        {"metadata": {"k": "v", "x-bin": b"\x00\xff"}},
        (("k", "v"), ("x-bin", b"\x00\xff")),
        None,
    ),
    ({"metadata": {"a": "b"}}, {}, (("a", "b"),), None),
    ({"compression": "gzip", "compression_threshold": 1}, {}, (), None),
    ({"accept_encodings": ("deflate",)}, {}, (), None),
    ({"default_timeout": 30.0}, {}, (), 30.0),
    ({"generate_traceparent": False}, {}, (), None),
]


@pytest.mark.parametrize("nowait", [True, False])
@pytest.mark.parametrize(("channel_kw", "call_kw", "metadata", "header_timeout"), CASES)
async def test_unary_request_bytes(
    echo_pb2: Any,
    autojump_clock: Any,
    nowait: bool,
    channel_kw: dict[str, Any],
    call_kw: dict[str, Any],
    metadata: Any,
    header_timeout: float | None,
) -> None:
    conn = _Connection(_reply(echo_pb2), nowait=nowait)
    channel = Channel(conn, **channel_kw)
    stub = Stub(channel, echo_pb2.DESCRIPTOR.services_by_name["Echo"])
    request = echo_pb2.EchoRequest(text="x" * 300, mode="echo")
    for _ in range(3):  # the first call fills the caches, the later ones use them
        reply, call = await stub.Unary.with_call(request, **call_kw)
        assert reply.text == "ok"
        sent = bytes(conn.streams[-1].sent)
        assert sent == _expected(request, call, channel, metadata, header_timeout)
    if not call_kw and "generate_traceparent" not in channel_kw:
        # Each call has its own traceparent, also with the cached header.
        for _ in range(3):
            await stub.Unary(request)
        assert len({bytes(s.sent) for s in conn.streams}) == len(conn.streams)


async def test_unary_settings_changed_between_calls(echo_pb2: Any) -> None:
    """The cached header pieces follow the channel's settings (list accept_encodings changed
    in place too)."""
    conn = _Connection(_reply(echo_pb2), nowait=True)
    channel = Channel(conn, accept_encodings=["gzip"])
    stub = Stub(channel, echo_pb2.DESCRIPTOR.services_by_name["Echo"])
    request = echo_pb2.EchoRequest(text="y" * 200)
    for change in (
        lambda: None,
        lambda: channel.accept_encodings.append("deflate"),
        lambda: setattr(channel, "compression", "deflate"),
        lambda: setattr(channel, "compression_threshold", 1),
        lambda: setattr(channel, "accept_encodings", ()),
        lambda: setattr(channel, "compression", None),
        lambda: setattr(channel, "metadata", (("m", "1"),)),
    ):
        change()
        for _ in range(2):
            _reply_msg, call = await stub.Unary.with_call(request)
            sent = bytes(conn.streams[-1].sent)
            assert sent == _expected(request, call, channel, channel.metadata, None)
