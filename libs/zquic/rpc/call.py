"""Pure call state machines for ghostbridge/1 (no I/O): bytes in -> events out, calls -> bytes.

`ServerCall` and `ClientCall` follow h2's style: the driver feeds received bytes with
`receive_data()` / `receive_eof()` and writes whatever the `send_*()` methods return.
Remote violations raise `ProtocolError` (its `code` is the status to report); local misuse
raises `CallStateError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from ghost.bridge.v1 import bridge_pb2
from google.protobuf.message import DecodeError

from .frames import (
    _FRAME_HEADER,
    _MESSAGE_HEAD,
    DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_MAX_MESSAGE_SIZE,
    IDENTITY,
    MAX_FIRST_CHUNK,
    MAX_HEADER_BODY,
    SUPPORTED_ENCODINGS,
    VERSION,
    AssembledMessage,
    Frame,
    FrameDecoder,
    FrameType,
    Kind,
    MessageAssembler,
    compress,
    decompress,
    encode_kind,
    encode_message,
    is_identity,
)
from .metadata import Metadata, metadata_from_proto, metadata_to_proto
from .status import CallStateError, MessageTooLarge, ProtocolError, RpcError, StatusCode

# ---- events ---------------------------------------------------------------------------------


@attrs.frozen
class RequestHeaderReceived:
    header: bridge_pb2.CallHeader


@attrs.frozen
class ResponseHeaderReceived:
    metadata: Metadata
    message_encoding: str


@attrs.frozen
class MessageReceived:
    data: bytes


@attrs.frozen
class EndOfRequest:
    """The client half-closed: no more request messages."""


@attrs.frozen
class CallStatus:
    code: StatusCode
    message: str = ""
    details: bytes = b""
    trailing_metadata: Metadata = ()

    def to_error(self) -> RpcError:
        return RpcError(self.code, self.message, self.trailing_metadata, details=self.details)


@attrs.frozen
class TrailersReceived:
    status: CallStatus


Event = (
    RequestHeaderReceived
    | ResponseHeaderReceived
    | MessageReceived
    | EndOfRequest
    | TrailersReceived
)


# ---- helpers --------------------------------------------------------------------------------

_IDENTITIES = ("", IDENTITY)


def parse_proto(cls: type, body: bytes, what: str) -> object:
    msg = cls()
    try:
        msg.ParseFromString(body)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ProtocolError(f"malformed {what}: {exc}") from None
    return msg


def encode_call_header(header: bridge_pb2.CallHeader) -> bytes:
    """The HEADER frame opening a call (relays use it to forward an adjusted header)."""
    body = header.SerializeToString()
    if len(body) > MAX_HEADER_BODY:
        raise RpcError(StatusCode.RESOURCE_EXHAUSTED, "call header (metadata) exceeds one frame")
    return encode_kind(FrameType.GRPC_REQUEST, Kind.HEADER, body)


def parse_call_header_frame(frame: Frame) -> bridge_pb2.CallHeader:
    """Validate the first frame of a call stream and return its CallHeader."""
    if frame.type != FrameType.GRPC_REQUEST:
        raise ProtocolError(f"{frame.type.name} frame on a call stream from the client")
    if frame.kind != Kind.HEADER:
        raise ProtocolError("a call must start with a HEADER frame")
    return parse_call_header_body(frame.body)


_CALL_HEADER_FROM_STRING = bridge_pb2.CallHeader.FromString


def parse_call_header_body(body: bytes) -> bridge_pb2.CallHeader:
    """The CallHeader of a HEADER frame's body, with its method validated."""
    try:
        header = _CALL_HEADER_FROM_STRING(body)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ProtocolError(f"malformed call header: {exc}") from None
    method = header.method
    if method.count("/") != 2 or not method.startswith("/"):
        raise ProtocolError(f"malformed method {method!r}")
    return header


def timeout_to_ms(seconds: float | None) -> int:
    """Remaining time for the header; rounds up so a live deadline never encodes as 0 (none)."""
    if seconds is None:
        return 0
    return max(1, math.ceil(seconds * 1000))


def choose_encoding(accepted: Sequence[str], ours: tuple[str, ...]) -> str:
    for enc in ours:
        if enc in accepted:
            return enc
    return IDENTITY


class _MessageEncoder:
    def __init__(self, frame_type: FrameType, max_size: int, threshold: int) -> None:
        self.frame_type = frame_type
        self.max_size = max_size
        self.threshold = threshold
        self.encoding = IDENTITY

    def encode(self, data: bytes) -> bytes:
        return encode_message_frames(
            self.frame_type, data, self.max_size, self.encoding, self.threshold
        )


def encode_message_frames(
    frame_type: FrameType | int, data: bytes, max_size: int, encoding: str, threshold: int
) -> bytes:
    """A message's frames as sent: size limit checked, compressed when it pays (§6)."""
    n = len(data)
    # Refuse before sending: the peer would reject it anyway, after we paid for the bytes.
    if n > max_size:
        raise RpcError(
            StatusCode.RESOURCE_EXHAUSTED,
            f"message of {n} bytes exceeds the limit of {max_size}",
        )
    if n >= threshold and encoding not in _IDENTITIES:
        packed = compress(encoding, data)
        if len(packed) < n:
            return encode_message(frame_type, packed, compressed=True)
    if n <= MAX_FIRST_CHUNK:  # the common case: one MESSAGE frame
        return _MESSAGE_HEAD.pack(VERSION, frame_type, n + 6, 2, 0, n) + data
    return encode_message(frame_type, data)


class _MessageDecoder:
    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.assembler = MessageAssembler(max_size)
        self.encoding = IDENTITY

    def feed(self, frame: Frame) -> bytes | None:
        msg: AssembledMessage | None = self.assembler.feed(frame)
        if msg is None:
            return None
        if not msg.compressed:
            return msg.data
        if is_identity(self.encoding):
            raise ProtocolError("compressed message but no message encoding was declared")
        return decompress(self.encoding, msg.data, self.max_size)


# ---- server side ----------------------------------------------------------------------------


class ServerCall:
    """Server half of one call: parses the request stream, produces the response stream."""

    __slots__ = (
        "_encoding",
        "_encodings",
        "_frames_",
        "_in_",
        "_max_message_size",
        "_threshold",
        "header",
        "header_sent",
        "request_ended",
        "trailers_sent",
    )

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        compression_threshold: int = DEFAULT_COMPRESSION_THRESHOLD,
        encodings: tuple[str, ...] = SUPPORTED_ENCODINGS,
    ) -> None:
        self._max_message_size = max_message_size
        # The decoders are made on first use: a unary request decoded by the driver in one
        # pass (`split_unary_request`) never needs them.
        self._frames_: FrameDecoder | None = None
        self._in_: _MessageDecoder | None = None
        # The response encoder's state (a GRPC_RESPONSE `_MessageEncoder`, kept inline).
        self._threshold = compression_threshold
        self._encoding = IDENTITY
        self._encodings = encodings
        self.header: bridge_pb2.CallHeader | None = None
        self.request_ended = False
        self.header_sent = False
        self.trailers_sent = False

    @property
    def _frames(self) -> FrameDecoder:
        if self._frames_ is None:
            self._frames_ = FrameDecoder()
        return self._frames_

    @property
    def _in(self) -> _MessageDecoder:
        if self._in_ is None:
            self._in_ = _MessageDecoder(self._max_message_size)
        return self._in_

    @property
    def response_encoding(self) -> str:
        return self._encoding

    def receive_data(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for frame in self._frames.feed(data):
            events.extend(self._on_frame(frame))
        return events

    def accept_header(self, header: bridge_pb2.CallHeader) -> None:
        """Take a call header the driver already parsed (instead of feeding its frame)."""
        if self.header is not None:
            raise CallStateError("call header already received")
        self.header = header
        encoding = header.message_encoding
        if encoding and encoding != IDENTITY:
            if encoding not in self._encodings:
                raise ProtocolError(
                    f"unsupported message encoding {encoding!r}", StatusCode.UNIMPLEMENTED
                )
            self._in.encoding = encoding
        accepted = header.accept_encoding
        if accepted:
            for enc in self._encodings:  # choose_encoding(), inline
                if enc in accepted:
                    self._encoding = enc
                    break

    def _on_frame(self, frame: Frame) -> list[Event]:
        if self.header is None:
            header = parse_call_header_frame(frame)
            self.accept_header(header)
            return [RequestHeaderReceived(header)]
        if self.request_ended:
            raise ProtocolError("frame after the end of the request")
        if frame.type != FrameType.GRPC_REQUEST:
            raise ProtocolError(f"{frame.type.name} frame on a call stream from the client")
        if frame.kind == Kind.END:
            return self._end("END")
        if frame.kind in (Kind.HEADER, Kind.TRAILERS):
            raise ProtocolError(f"unexpected {Kind(frame.kind).name} frame in a request")
        data = self._in.feed(frame)
        return [] if data is None else [MessageReceived(data)]

    def request_read(self) -> None:
        """The driver decoded the whole request itself (`split_unary_request`): HEADER,
        one message, END. Later bytes are frames after the end of the request."""
        self.request_ended = True

    def _end(self, how: str) -> list[Event]:
        if self._in.assembler.in_progress:
            raise ProtocolError(f"{how} inside a message")
        self.request_ended = True
        return [EndOfRequest()]

    def receive_eof(self) -> list[Event]:
        """The client's FIN; also accepted as the end of the request when no END came."""
        self._frames.eof()
        if self.header is None:
            raise ProtocolError("stream ended before the call header")
        if self.request_ended:
            return []
        return self._end("stream end")

    def send_header(self, metadata: Metadata = ()) -> bytes:
        if self.header_sent or self.trailers_sent:
            raise CallStateError("response header already sent")
        self.header_sent = True
        encoding = self._encoding
        if not metadata:
            cached = _RESPONSE_HEADERS.get(encoding)
            if cached is not None:
                return cached
        hdr = bridge_pb2.ResponseHeader(
            metadata=metadata_to_proto(metadata),
            message_encoding="" if is_identity(encoding) else encoding,
        )
        body = hdr.SerializeToString()
        if len(body) > MAX_HEADER_BODY:
            raise RpcError(StatusCode.RESOURCE_EXHAUSTED, "response metadata exceeds one frame")
        return encode_kind(FrameType.GRPC_RESPONSE, Kind.HEADER, body)

    def send_message(self, data: bytes) -> bytes:
        """A response message (preceded by the response header if not yet sent)."""
        if self.trailers_sent:
            raise CallStateError("message after trailers")
        encoding = self._encoding
        encoded = encode_message_frames(
            FrameType.GRPC_RESPONSE, data, self._max_message_size, encoding, self._threshold
        )
        if self.header_sent:
            return encoded
        head = _RESPONSE_HEADERS.get(encoding)  # send_header() without metadata, cached
        if head is None:
            return self.send_header() + encoded
        self.header_sent = True
        return head + encoded

    def send_trailers(self, status: CallStatus) -> bytes:
        if self.trailers_sent:
            raise CallStateError("trailers already sent")
        self.trailers_sent = True
        if status is _OK_STATUS:
            return _OK_RESPONSE_TRAILERS
        return encode_status(FrameType.GRPC_RESPONSE, status)


_OK_STATUS = CallStatus(StatusCode.OK)
_OK_TRAILERS = {t: encode_kind(t, Kind.TRAILERS, b"") for t in FrameType}  # Status{} is empty


def encode_status(frame_type: FrameType, status: CallStatus) -> bytes:
    """A TRAILERS frame; an oversized status keeps its code and is trimmed to fit."""
    if status is _OK_STATUS or status == _OK_STATUS:
        return _OK_TRAILERS[frame_type]
    msg = bridge_pb2.Status(
        code=int(status.code),
        message=status.message,
        details=status.details,
        trailing_metadata=metadata_to_proto(status.trailing_metadata),
    )
    body = msg.SerializeToString()
    if len(body) > MAX_HEADER_BODY:
        msg = bridge_pb2.Status(code=int(status.code), message=status.message[:1024])
        body = msg.SerializeToString()
    return encode_kind(frame_type, Kind.TRAILERS, body)


# ---- client side ----------------------------------------------------------------------------


class ClientCall:
    """Client half of one call: produces the request stream, parses the response stream."""

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        compression: str | None = None,
        compression_threshold: int = DEFAULT_COMPRESSION_THRESHOLD,
        accept_encodings: tuple[str, ...] = SUPPORTED_ENCODINGS,
    ) -> None:
        if compression is not None and not is_identity(compression):
            if compression not in SUPPORTED_ENCODINGS:
                raise ValueError(f"unsupported compression {compression!r}")
        self._frames = FrameDecoder()
        self._in = _MessageDecoder(max_message_size)
        self._out = _MessageEncoder(FrameType.GRPC_REQUEST, max_message_size, compression_threshold)
        self._out.encoding = compression or IDENTITY
        self._accept = accept_encodings
        self.started = False
        self.request_ended = False
        self.header_received = False
        self.status: CallStatus | None = None
        self.response_metadata: Metadata = ()

    def start(
        self,
        method: str,
        *,
        metadata: Metadata = (),
        timeout: float | None = None,
        traceparent: str = "",
        tracestate: str = "",
    ) -> bytes:
        if self.started:
            raise CallStateError("call already started")
        self.started = True
        header = bridge_pb2.CallHeader(
            method=method,
            metadata=metadata_to_proto(metadata),
            timeout_ms=timeout_to_ms(timeout),
            traceparent=traceparent,
            tracestate=tracestate,
            message_encoding="" if is_identity(self._out.encoding) else self._out.encoding,
            accept_encoding=list(self._accept),
        )
        return encode_call_header(header)

    def send_message(self, data: bytes) -> bytes:
        if not self.started or self.request_ended:
            raise CallStateError("send_message outside an open request")
        return self._out.encode(data)

    def encode_message(self, data: bytes) -> bytes:
        """A request message's frames, also before `start()` (a unary client checks the size
        limit before it opens a stream); the caller sends them after the header."""
        if self.request_ended:
            raise CallStateError("encode_message after the end of the request")
        return self._out.encode(data)

    def end_request(self) -> bytes:
        """The END frame: no more request messages. The stream stays open (not FIN) so the
        call can still be cancelled with RESET_STREAM until the status arrives."""
        if not self.started or self.request_ended:
            raise CallStateError("end_request outside an open request")
        self.request_ended = True
        return END_REQUEST_FRAME

    def receive_data(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for frame in self._frames.feed(data):
            events.extend(self._on_frame(frame))
        return events

    def _on_frame(self, frame: Frame) -> list[Event]:
        if self.status is not None:
            raise ProtocolError("frame after the end of the call (trailers)")
        if frame.type != FrameType.GRPC_RESPONSE:
            raise ProtocolError(f"{frame.type.name} frame on a call stream from the server")
        kind = frame.kind
        if kind == Kind.END:
            raise ProtocolError("END frame in a response")
        if kind == Kind.TRAILERS:
            if self._in.assembler.in_progress:
                raise ProtocolError("trailers inside a message")
            if len(frame.payload) == 1:  # Status{}: OK, nothing else (no protobuf parse)
                self.status = _OK_STATUS
                return [TrailersReceived(_OK_STATUS)]
            st = parse_proto(bridge_pb2.Status, frame.body, "status")
            assert isinstance(st, bridge_pb2.Status)
            self.status = CallStatus(
                StatusCode.coerce(st.code),
                st.message,
                st.details,
                metadata_from_proto(st.trailing_metadata),
            )
            return [TrailersReceived(self.status)]
        if kind == Kind.HEADER:
            if self.header_received:
                raise ProtocolError("second response header")
            if len(frame.payload) == 1:  # ResponseHeader{}: no metadata, identity
                self.header_received = True
                return [ResponseHeaderReceived((), IDENTITY)]
            hdr = parse_proto(bridge_pb2.ResponseHeader, frame.body, "response header")
            assert isinstance(hdr, bridge_pb2.ResponseHeader)
            enc = hdr.message_encoding
            if not is_identity(enc):
                if enc not in self._accept:
                    raise ProtocolError(f"server used unaccepted encoding {enc!r}")
                self._in.encoding = enc
            self.header_received = True
            self.response_metadata = metadata_from_proto(hdr.metadata)
            return [ResponseHeaderReceived(self.response_metadata, enc or IDENTITY)]
        if not self.header_received:
            raise ProtocolError("response message before the response header")
        data = self._in.feed(frame)
        return [] if data is None else [MessageReceived(data)]

    def receive_eof(self) -> list[Event]:
        self._frames.eof()
        if self.status is None:
            raise ProtocolError("stream ended without a status", StatusCode.INTERNAL)
        return []


# ---- unary fast paths -----------------------------------------------------------------------
# A unary exchange usually arrives in one read: HEADER + one MESSAGE + END (request), HEADER +
# one MESSAGE + OK TRAILERS (response). These helpers recognise exactly that shape from the
# bytes and return its parts, or None: anything else (metadata, errors, split or compressed
# data, limits) goes through the state machines above, which decode it identically.

END_REQUEST_FRAME = b"\x01\x01\x00\x01\x05"  # GRPC_REQUEST, payload = kind END
_OK_RESPONSE_TRAILERS = b"\x01\x02\x00\x01\x04"  # GRPC_RESPONSE TRAILERS, Status{} (OK)
_MESSAGE_HEAD_SIZE = _MESSAGE_HEAD.size  # 10


def split_unary_request(data: bytes, max_size: int) -> tuple[int, bytes] | None:
    """`data` == HEADER frame + one complete uncompressed MESSAGE frame + END frame, nothing
    else: (end offset of the HEADER frame, the message bytes). Else None."""
    n = len(data)
    if n < 20 or data[0] != 1 or data[1] != 1 or data[4] != 1:
        return None
    hlen = (data[2] << 8) | data[3]
    if hlen == 0:
        return None
    hend = 4 + hlen
    if n < hend + _MESSAGE_HEAD_SIZE + 5:
        return None
    version, ftype, length, kind, flags, total = _MESSAGE_HEAD.unpack_from(data, hend)
    if (
        version != 1
        or ftype != 1
        or kind != 2
        or flags
        or length != total + 6
        or total > max_size
        or n != hend + 4 + length + 5
        or data[-5:] != END_REQUEST_FRAME
    ):
        return None
    return hend, data[hend + _MESSAGE_HEAD_SIZE : n - 5]


def _response_header_frame(encoding: str) -> bytes:
    hdr = bridge_pb2.ResponseHeader(message_encoding="" if is_identity(encoding) else encoding)
    return encode_kind(FrameType.GRPC_RESPONSE, Kind.HEADER, hdr.SerializeToString())


# ResponseHeader frames without metadata, by encoding (what a server sends nearly always).
_RESPONSE_HEADERS: dict[str, bytes] = {
    enc: _response_header_frame(enc) for enc in (IDENTITY, *SUPPORTED_ENCODINGS)
}


def response_header_encodings(accepted: tuple[str, ...]) -> dict[bytes, str]:
    """Metadata-free response HEADER frames a client with `accepted` encodings takes as is."""
    out = {_RESPONSE_HEADERS[IDENTITY]: IDENTITY}
    for enc in accepted:
        if enc in _RESPONSE_HEADERS:
            out[_RESPONSE_HEADERS[enc]] = enc
        elif not is_identity(enc):
            out[_response_header_frame(enc)] = enc
    return out


def split_unary_response(
    data: bytes, headers: dict[bytes, str], max_size: int
) -> tuple[bytes, str] | None:
    """`data` == a metadata-free response HEADER frame (a key of `headers`) + one complete
    MESSAGE frame + OK TRAILERS frame, nothing else: (the message as sent, its encoding, or
    IDENTITY when not compressed). Else None."""
    n = len(data)
    if n < 20 or data[0] != 1 or data[1] != 2:
        return None
    hend = 4 + ((data[2] << 8) | data[3])
    encoding = headers.get(data[:hend])
    if encoding is None or n < hend + _MESSAGE_HEAD_SIZE + 5:
        return None
    version, ftype, length, kind, flags, total = _MESSAGE_HEAD.unpack_from(data, hend)
    if (
        version != 1
        or ftype != 2
        or kind != 2
        or length != total + 6
        or total > max_size
        or n != hend + 4 + length + 5
        or data[-5:] != _OK_RESPONSE_TRAILERS
    ):
        return None
    if flags == 0:
        encoding = IDENTITY
    elif flags != 1 or encoding == IDENTITY:
        return None
    return data[hend + _MESSAGE_HEAD_SIZE : n - 5], encoding


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _pb_string(tag: bytes, value: str) -> bytes:
    data = value.encode()
    return tag + _varint(len(data)) + data


def call_header_prefix(method: str, metadata: Metadata) -> bytes:
    """CallHeader fields 1-2 (method, metadata), serialized: fixed per method and metadata."""
    return bridge_pb2.CallHeader(
        method=method, metadata=metadata_to_proto(metadata)
    ).SerializeToString()


def call_header_suffix(message_encoding: str, accept_encodings: tuple[str, ...]) -> bytes:
    """CallHeader fields 6-7 (message_encoding, accept_encoding): fixed per channel."""
    return bridge_pb2.CallHeader(
        message_encoding="" if is_identity(message_encoding) else message_encoding,
        accept_encoding=list(accept_encodings),
    ).SerializeToString()


def encode_call_header_parts(
    prefix: bytes, timeout_ms: int, traceparent: str, tracestate: str, suffix: bytes
) -> bytes:
    """The HEADER frame from pre-serialized parts: the same bytes as `encode_call_header` of
    the whole CallHeader (protobuf writes fields in number order; fields 3-5 are per call)."""
    body = prefix
    if timeout_ms:
        body += b"\x18" + _varint(timeout_ms)
    if traceparent:
        body += _pb_string(b"\x22", traceparent)
    if tracestate:
        body += _pb_string(b"\x2a", tracestate)
    body += suffix
    n = len(body)
    if n > MAX_HEADER_BODY:
        raise RpcError(StatusCode.RESOURCE_EXHAUSTED, "call header (metadata) exceeds one frame")
    return _FRAME_HEADER.pack(VERSION, 1, n + 1) + b"\x01" + body


__all__ = [
    "CallStatus",
    "ClientCall",
    "EndOfRequest",
    "Event",
    "MessageReceived",
    "MessageTooLarge",
    "RequestHeaderReceived",
    "ResponseHeaderReceived",
    "ServerCall",
    "TrailersReceived",
    "encode_call_header",
    "encode_status",
    "parse_call_header_frame",
    "timeout_to_ms",
]
