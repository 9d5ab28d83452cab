"""Frame codec: round trips, chunking, limits, and every documented ProtocolError."""

from __future__ import annotations

import struct
import zlib

import pytest
from zquic.rpc import (
    FrameDecoder,
    FrameType,
    Kind,
    MessageAssembler,
    MessageTooLarge,
    ProtocolError,
    StatusCode,
    encode_frame,
    encode_message,
)
from zquic.rpc.frames import MAX_CONTINUATION_CHUNK, MAX_FIRST_CHUNK, decompress


def assemble(data: bytes, max_size: int = 4 * 1024 * 1024) -> list[bytes]:
    decoder, asm, out = FrameDecoder(), MessageAssembler(max_size), []
    for frame in decoder.feed(data):
        msg = asm.feed(frame)
        if msg is not None:
            out.append(msg.data)
    decoder.eof()
    assert not asm.in_progress
    return out


def test_frame_header_layout() -> None:
    raw = encode_frame(FrameType.GRPC_RESPONSE, b"\x04abc")
    assert raw == b"\x01\x02\x00\x04\x04abc"
    (frame,) = FrameDecoder().feed(raw)
    assert frame.type == FrameType.GRPC_RESPONSE and frame.kind == Kind.TRAILERS
    assert frame.body == b"abc" and frame.raw == raw


def test_byte_at_a_time_decoding() -> None:
    raw = encode_frame(1, b"\x02" + b"x" * 300) + encode_frame(5, b"\x02zz")
    decoder = FrameDecoder()
    frames = [f for i in range(len(raw)) for f in decoder.feed(raw[i : i + 1])]
    assert [f.type for f in frames] == [FrameType.GRPC_REQUEST, FrameType.HEALTH_CHECK]
    assert frames[0].payload == b"\x02" + b"x" * 300


def test_message_chunking_3mib() -> None:
    data = bytes(range(256)) * (3 * 4096)
    wire = encode_message(FrameType.GRPC_REQUEST, data)
    frames = FrameDecoder().feed(wire)
    n = 1 + -(-(len(data) - MAX_FIRST_CHUNK) // MAX_CONTINUATION_CHUNK)
    assert len(frames) == n
    assert frames[0].kind == Kind.MESSAGE
    assert all(f.kind == Kind.CONTINUATION for f in frames[1:])
    assert all(len(f.payload) <= 0xFFFF for f in frames)
    assert assemble(wire) == [data]


@pytest.mark.parametrize("size", [0, 1, MAX_FIRST_CHUNK, MAX_FIRST_CHUNK + 1, 200_000])
def test_message_sizes_round_trip(size: int) -> None:
    data = b"\xab" * size
    assert assemble(encode_message(1, data) + encode_message(1, b"next")) == [data, b"next"]


def test_announced_size_over_limit_refused_at_first_frame() -> None:
    # Only the first frame of a 5 MiB message is fed: the refusal must not wait for the rest.
    first = FrameDecoder().feed(encode_message(1, b"\0" * (5 * 1024 * 1024))[:70000])[0]
    with pytest.raises(MessageTooLarge) as info:
        MessageAssembler(4 * 1024 * 1024).feed(first)
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED


def test_exact_limit_accepted() -> None:
    assert assemble(encode_message(1, b"a" * 1000), max_size=1000) == [b"a" * 1000]


def test_decompression_bomb_refused() -> None:
    bomb = zlib.compress(b"\0" * (10 * 1024 * 1024))
    assert len(bomb) < 20_000
    with pytest.raises(MessageTooLarge):
        decompress("deflate", bomb, 4 * 1024 * 1024)
    with pytest.raises(ProtocolError):
        decompress("deflate", b"not zlib", 100)
    with pytest.raises(ProtocolError):
        decompress("deflate", zlib.compress(b"abc") + b"junk", 100)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\x02\x01\x00\x01\x02", "version"),
        (b"\x00", "version"),
        (b"\x01\x09\x00\x01\x02", "type"),
        (b"\x01\x00", "type"),
        (b"\x01\x01\x00\x00", "empty"),
    ],
)
def test_bad_frame_headers(raw: bytes, why: str) -> None:
    decoder = FrameDecoder()
    with pytest.raises(ProtocolError, match=why):
        decoder.feed(raw)
    with pytest.raises(ProtocolError):  # stays failed
        decoder.feed(encode_frame(1, b"\x05"))


def test_truncated_frame_at_eof() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(1, b"\x02" + b"x" * 10)[:-3]) == []
    with pytest.raises(ProtocolError, match="inside a frame"):
        decoder.eof()


def _msg_frame(flags: int, total: int, data: bytes) -> bytes:
    return encode_frame(1, struct.pack("!BBI", Kind.MESSAGE, flags, total) + data)


@pytest.mark.parametrize(
    ("wire", "why"),
    [
        (_msg_frame(0, 2, b"abc"), "longer than"),
        (_msg_frame(0x80, 1, b"a"), "reserved"),
        (encode_frame(1, b"\x02\x00\x00"), "shorter than its prefix"),
        (encode_frame(1, b"\x03abc"), "without a message"),
        (_msg_frame(0, 10, b"a") + _msg_frame(0, 1, b"b"), "incomplete"),
        (_msg_frame(0, 10, b"a") + encode_frame(1, b"\x03"), "empty CONTINUATION"),
        (_msg_frame(0, 10, b"a") + encode_frame(1, b"\x04"), "kind"),
    ],
)
def test_bad_message_sequences(wire: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        assemble(wire)
