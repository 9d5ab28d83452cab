"""ghostbridge/1: gRPC-style calls over QUIC streams (sans-IO codec + trio driver).

The wire protocol is specified in docs/protocol.md.
"""

from __future__ import annotations

from ._io import PeerInfo
from .call import (
    CallStatus,
    ClientCall,
    EndOfRequest,
    MessageReceived,
    RequestHeaderReceived,
    ResponseHeaderReceived,
    ServerCall,
    TrailersReceived,
    encode_call_header,
    parse_call_header_frame,
)
from .client import Call, Channel, Stub
from .control import ControlCodec, ControlMessage
from .frames import (
    DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_PAYLOAD,
    VERSION,
    Frame,
    FrameDecoder,
    FrameType,
    Kind,
    MessageAssembler,
    encode_frame,
    encode_message,
)
from .metadata import Metadata, child_traceparent, new_traceparent, parse_traceparent
from .relay import relay_call
from .server import CallContext, RawCall, RpcServer, metrics_hook
from .status import (
    CallStateError,
    MessageTooLarge,
    ProtocolError,
    ResetCode,
    RpcError,
    StatusCode,
)
from .transport import ALPN, connect_rpc, serve_rpc

__all__ = [
    "ALPN",
    "DEFAULT_COMPRESSION_THRESHOLD",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MAX_PAYLOAD",
    "VERSION",
    "Call",
    "CallContext",
    "CallStateError",
    "CallStatus",
    "Channel",
    "ClientCall",
    "ControlCodec",
    "ControlMessage",
    "EndOfRequest",
    "Frame",
    "FrameDecoder",
    "FrameType",
    "Kind",
    "MessageAssembler",
    "MessageReceived",
    "MessageTooLarge",
    "Metadata",
    "PeerInfo",
    "ProtocolError",
    "RawCall",
    "RequestHeaderReceived",
    "ResetCode",
    "ResponseHeaderReceived",
    "RpcError",
    "RpcServer",
    "ServerCall",
    "StatusCode",
    "Stub",
    "TrailersReceived",
    "child_traceparent",
    "connect_rpc",
    "encode_call_header",
    "encode_frame",
    "encode_message",
    "metrics_hook",
    "new_traceparent",
    "parse_call_header_frame",
    "parse_traceparent",
    "relay_call",
    "serve_rpc",
]
