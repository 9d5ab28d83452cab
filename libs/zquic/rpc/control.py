"""Sans-IO codec for control streams: SERVICE_REGISTER, SERVICE_DISCOVERY, HEALTH_CHECK.

A control stream carries request/response exchanges of one protobuf message each, encoded
like call messages (MESSAGE + CONTINUATION kinds, never compressed) inside frames of the
control type. The client sends a request frame; the server answers with one frame of the same
type, in order; several exchanges may share a stream (lease renewals).
"""

from __future__ import annotations

import attrs
from ghost.bridge.v1 import bridge_pb2
from google.protobuf.message import Message

from .call import parse_proto
from .frames import (
    CONTROL_TYPES,
    DEFAULT_MAX_MESSAGE_SIZE,
    FrameDecoder,
    FrameType,
    MessageAssembler,
    encode_message,
)
from .status import ProtocolError

REQUEST_TYPES: dict[FrameType, type[Message]] = {
    FrameType.SERVICE_REGISTER: bridge_pb2.RegisterRequest,
    FrameType.SERVICE_DISCOVERY: bridge_pb2.DiscoveryRequest,
    FrameType.HEALTH_CHECK: bridge_pb2.HealthCheckRequest,
}
RESPONSE_TYPES: dict[FrameType, type[Message]] = {
    FrameType.SERVICE_REGISTER: bridge_pb2.RegisterResponse,
    FrameType.SERVICE_DISCOVERY: bridge_pb2.DiscoveryResponse,
    FrameType.HEALTH_CHECK: bridge_pb2.HealthCheckResponse,
}


@attrs.frozen
class ControlMessage:
    type: FrameType
    message: Message


def frame_type_for(message: Message, *, response: bool) -> FrameType:
    table = RESPONSE_TYPES if response else REQUEST_TYPES
    for ftype, cls in table.items():
        if isinstance(message, cls):
            return ftype
    raise TypeError(
        f"{type(message).__name__} is not a control {'response' if response else 'request'}"
    )


class ControlCodec:
    """One side of a control stream. `server=True` parses requests and encodes responses."""

    def __init__(self, *, server: bool, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.server = server
        self._frames = FrameDecoder()
        self._assembler = MessageAssembler(max_message_size)
        self._current: FrameType | None = None

    def encode(self, message: Message) -> bytes:
        ftype = frame_type_for(message, response=self.server)
        return encode_message(ftype, message.SerializeToString())

    def receive_data(self, data: bytes) -> list[ControlMessage]:
        out = []
        table = REQUEST_TYPES if self.server else RESPONSE_TYPES
        for frame in self._frames.feed(data):
            if frame.type not in CONTROL_TYPES:
                raise ProtocolError(f"{frame.type.name} frame on a control stream")
            if self._assembler.in_progress and frame.type != self._current:
                raise ProtocolError("control frame type changed inside a message")
            msg = self._assembler.feed(frame)
            self._current = frame.type
            if msg is None:
                continue
            if msg.compressed:
                raise ProtocolError("compressed control message")
            parsed = parse_proto(table[frame.type], msg.data, frame.type.name)
            assert isinstance(parsed, Message)
            out.append(ControlMessage(frame.type, parsed))
        return out

    def receive_eof(self) -> None:
        self._frames.eof()
        if self._assembler.in_progress:
            raise ProtocolError("stream ended inside a control message")
