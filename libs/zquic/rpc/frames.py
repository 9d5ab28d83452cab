"""Sans-IO framing of ghostbridge/1: frame header, payload kinds, message chunking, compression.

Wire format (docs/protocol.md is the normative text):

    frame    = version:u8 (=1) | type:u8 | length:u16 BE | payload[length]   (1 <= length)
    payload  = kind:u8 | body
    HEADER       0x01  body = protobuf CallHeader (request) / ResponseHeader (response)
    MESSAGE      0x02  body = flags:u8 | total:u32 BE | first bytes of the message
    CONTINUATION 0x03  body = next bytes of the message (>= 1 byte)
    TRAILERS     0x04  body = protobuf Status (response only)
    END          0x05  body = empty: end of the request messages (request only)
"""

from __future__ import annotations

import enum
import struct
import zlib

import attrs

from .status import MessageTooLarge, ProtocolError

VERSION = 1
FRAME_HEADER_SIZE = 4
MAX_PAYLOAD = 0xFFFF
MESSAGE_PREFIX_SIZE = 6  # kind + flags + total u32
MAX_FIRST_CHUNK = MAX_PAYLOAD - MESSAGE_PREFIX_SIZE
MAX_CONTINUATION_CHUNK = MAX_PAYLOAD - 1
MAX_HEADER_BODY = MAX_PAYLOAD - 1
DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024
DEFAULT_COMPRESSION_THRESHOLD = 1024

_FRAME_HEADER = struct.Struct("!BBH")
_MESSAGE_PREFIX = struct.Struct("!BBI")
# Frame header + MESSAGE prefix: version, type, length, kind, flags, total (one-frame messages).
_MESSAGE_HEAD = struct.Struct("!BBHBBI")


class FrameType(enum.IntEnum):
    GRPC_REQUEST = 0x01
    GRPC_RESPONSE = 0x02
    SERVICE_REGISTER = 0x03
    SERVICE_DISCOVERY = 0x04
    HEALTH_CHECK = 0x05


CALL_TYPES = frozenset({FrameType.GRPC_REQUEST, FrameType.GRPC_RESPONSE})
CONTROL_TYPES = frozenset(
    {FrameType.SERVICE_REGISTER, FrameType.SERVICE_DISCOVERY, FrameType.HEALTH_CHECK}
)
_KNOWN_TYPES = frozenset(int(t) for t in FrameType)
_TYPE_OF = {int(t): t for t in FrameType}  # a dict lookup is cheaper than FrameType(n)


class Kind(enum.IntEnum):
    """First payload byte of every frame."""

    HEADER = 0x01
    MESSAGE = 0x02
    CONTINUATION = 0x03
    TRAILERS = 0x04
    END = 0x05


class MessageFlags(enum.IntFlag):
    COMPRESSED = 0x01


_KNOWN_FLAGS = int(MessageFlags.COMPRESSED)


@attrs.frozen
class Frame:
    type: FrameType
    payload: bytes

    @property
    def kind(self) -> int:
        return self.payload[0]

    @property
    def body(self) -> bytes:
        return self.payload[1:]

    @property
    def raw(self) -> bytes:
        """The frame exactly as on the wire (what a relay forwards)."""
        return encode_frame(self.type, self.payload)


def encode_frame(frame_type: FrameType | int, payload: bytes) -> bytes:
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise ValueError(f"frame payload must be 1..{MAX_PAYLOAD} bytes, got {len(payload)}")
    return _FRAME_HEADER.pack(VERSION, int(frame_type), len(payload)) + payload


class FrameDecoder:
    """Turns arbitrary byte chunks into frames.

    Validates each header as soon as its bytes arrive, so garbage is refused before any
    payload is buffered. After a ProtocolError the decoder stays failed.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._error: ProtocolError | None = None

    def feed(self, data: bytes) -> list[Frame]:
        """Append `data` and return every frame now complete."""
        self.append(data)
        frames = []
        while (frame := self.next_frame()) is not None:
            frames.append(frame)
        return frames

    def append(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._buf += data

    def next_frame(self) -> Frame | None:
        if self._error is not None:
            raise self._error
        buf = self._buf
        try:
            if len(buf) >= 1 and buf[0] != VERSION:
                raise ProtocolError(f"unsupported frame version {buf[0]}")
            if len(buf) >= 2 and buf[1] not in _KNOWN_TYPES:
                raise ProtocolError(f"unknown frame type {buf[1]:#04x}")
            if len(buf) < FRAME_HEADER_SIZE:
                return None
            _version, ftype, length = _FRAME_HEADER.unpack_from(buf)
            if length == 0:
                raise ProtocolError("empty frame payload")
        except ProtocolError as exc:
            self._error = exc
            raise
        end = FRAME_HEADER_SIZE + length
        if len(buf) < end:
            return None
        frame = Frame(_TYPE_OF[ftype], bytes(buf[FRAME_HEADER_SIZE:end]))
        del buf[:end]
        return frame

    def peek_type(self) -> FrameType | None:
        """Type of the next frame once its first two bytes are buffered (validated)."""
        if len(self._buf) < 2:
            return None
        if self._buf[0] != VERSION or self._buf[1] not in _KNOWN_TYPES:
            self.next_frame()  # raises the ProtocolError
        return _TYPE_OF[self._buf[1]]

    def take_buffer(self) -> bytes:
        """Hand the unparsed remainder to someone else (e.g. a relay) and clear it."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def eof(self) -> None:
        """The byte stream ended: a partial frame is a ProtocolError."""
        if self._error is not None:
            raise self._error
        if self._buf:
            self._error = ProtocolError(f"stream ended inside a frame ({len(self._buf)} bytes)")
            raise self._error


# ---- messages -------------------------------------------------------------------------------


def encode_message(frame_type: FrameType | int, data: bytes, *, compressed: bool = False) -> bytes:
    """One message as a MESSAGE frame plus CONTINUATION frames when it exceeds one frame."""
    flags = MessageFlags.COMPRESSED if compressed else 0
    if len(data) <= MAX_FIRST_CHUNK:  # the common case: one MESSAGE frame
        return (
            _FRAME_HEADER.pack(VERSION, int(frame_type), MESSAGE_PREFIX_SIZE + len(data))
            + _MESSAGE_PREFIX.pack(Kind.MESSAGE, flags, len(data))
            + data
        )
    view = memoryview(data)
    first = view[:MAX_FIRST_CHUNK]
    parts = [encode_frame(frame_type, _MESSAGE_PREFIX.pack(Kind.MESSAGE, flags, len(data)) + first)]
    cont = bytes([Kind.CONTINUATION])
    for off in range(MAX_FIRST_CHUNK, len(data), MAX_CONTINUATION_CHUNK):
        parts.append(encode_frame(frame_type, cont + view[off : off + MAX_CONTINUATION_CHUNK]))
    return b"".join(parts)


def encode_kind(frame_type: FrameType | int, kind: Kind, body: bytes) -> bytes:
    """A HEADER or TRAILERS frame; the body must fit one frame."""
    if len(body) > MAX_HEADER_BODY:
        raise ValueError(f"{kind.name} body of {len(body)} bytes exceeds one frame")
    return encode_frame(frame_type, bytes([kind]) + body)


@attrs.frozen
class AssembledMessage:
    data: bytes
    compressed: bool


class MessageAssembler:
    """Rejoins MESSAGE + CONTINUATION frames; enforces the size limit on the announced size."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size
        self._parts: list[bytes] = []
        self._have = 0
        self._total = 0
        self._compressed = False
        self.in_progress = False

    def feed(self, frame: Frame) -> AssembledMessage | None:
        """Feed a MESSAGE or CONTINUATION frame; returns the message once complete."""
        kind = frame.kind
        if kind == Kind.MESSAGE:
            if self.in_progress:
                raise ProtocolError("MESSAGE frame while a message is incomplete")
            if len(frame.payload) < MESSAGE_PREFIX_SIZE:
                raise ProtocolError("MESSAGE frame shorter than its prefix")
            _kind, flags, total = _MESSAGE_PREFIX.unpack_from(frame.payload)
            if flags & ~_KNOWN_FLAGS:
                raise ProtocolError(f"reserved message flags set: {flags:#04x}")
            if total > self.max_message_size:
                raise MessageTooLarge(
                    f"message of {total} bytes exceeds the limit of {self.max_message_size}"
                )
            chunk = frame.payload[MESSAGE_PREFIX_SIZE:]
            compressed = bool(flags & MessageFlags.COMPRESSED)
            if len(chunk) == total:  # the whole message in one frame: no bookkeeping
                return AssembledMessage(chunk, compressed)
            self._total = total
            self._compressed = compressed
            self._parts = []
            self._have = 0
            self.in_progress = True
        elif kind == Kind.CONTINUATION:
            if not self.in_progress:
                raise ProtocolError("CONTINUATION frame without a message in progress")
            chunk = frame.payload[1:]
            if not chunk:
                raise ProtocolError("empty CONTINUATION frame")
        else:
            raise ProtocolError(f"frame kind {kind:#04x} where a message chunk was expected")
        self._have += len(chunk)
        if self._have > self._total:
            raise ProtocolError("message data longer than its announced size")
        self._parts.append(chunk)
        if self._have < self._total:
            return None
        self.in_progress = False
        data = b"".join(self._parts)
        self._parts = []
        return AssembledMessage(data, self._compressed)


# ---- compression ----------------------------------------------------------------------------

IDENTITY = "identity"
SUPPORTED_ENCODINGS: tuple[str, ...] = ("deflate", "gzip")
_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": zlib.MAX_WBITS | 16}


def is_identity(encoding: str) -> bool:
    return encoding in ("", IDENTITY)


def compress(encoding: str, data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, _WBITS[encoding])
    return c.compress(data) + c.flush()


def decompress(encoding: str, data: bytes, max_size: int) -> bytes:
    """Inflate with a hard output cap, so a small bomb cannot allocate past `max_size`."""
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise ProtocolError(f"unsupported message encoding {encoding!r}")
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(data, max_size + 1)
        if len(out) > max_size or d.unconsumed_tail:
            raise MessageTooLarge(f"decompressed message exceeds the limit of {max_size}")
        out += d.flush()
    except zlib.error as exc:
        raise ProtocolError(f"corrupt {encoding} message: {exc}") from None
    if len(out) > max_size:
        raise MessageTooLarge(f"decompressed message exceeds the limit of {max_size}")
    if not d.eof or d.unused_data:
        raise ProtocolError(f"corrupt {encoding} message: bad stream end")
    return out
