"""Hypothesis: decoders never fail with anything but ProtocolError; chunking is invisible."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zquic.rpc import (
    CallStatus,
    ClientCall,
    ControlCodec,
    FrameDecoder,
    ProtocolError,
    ServerCall,
    StatusCode,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

messages = st.lists(st.binary(max_size=3000), max_size=5)
big_messages = st.lists(st.binary(min_size=0, max_size=140_000), max_size=2)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def request_wire(msgs: list[bytes], compress: bool) -> bytes:
    client = ClientCall(compression="deflate" if compress else None, compression_threshold=64)
    wire = client.start("/pkg.Svc/Method", metadata=(("k", "v"),), timeout=2.0)
    for m in msgs:
        wire += client.send_message(m)
    return wire + client.end_request()


def response_wire(msgs: list[bytes]) -> bytes:
    server = ServerCall(compression_threshold=64)
    server.receive_data(ClientCall().start("/a.B/C"))
    wire = server.send_header()
    for m in msgs:
        wire += server.send_message(m)
    return wire + server.send_trailers(CallStatus(StatusCode.ABORTED, "why", b"d"))


def run_server(chunks: list[bytes], max_size: int = 4 * 1024 * 1024) -> list[object]:
    server = ServerCall(max_message_size=max_size)
    events: list[object] = []
    for chunk in chunks:
        events += server.receive_data(chunk)
    return events + server.receive_eof()


def run_client(chunks: list[bytes]) -> list[object]:
    client = ClientCall()
    client.start("/a.B/C")
    events: list[object] = []
    for chunk in chunks:
        events += client.receive_data(chunk)
    return events + client.receive_eof()


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_frame_decoder_random_bytes(chunks: list[bytes]) -> None:
    decoder = FrameDecoder()
    try:
        for chunk in chunks:
            for frame in decoder.feed(chunk):
                assert 1 <= len(frame.payload) <= 0xFFFF
        decoder.eof()
    except ProtocolError:
        pass


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=8), st.booleans())
def test_call_machines_random_bytes(chunks: list[bytes], server_side: bool) -> None:
    try:
        (run_server if server_side else run_client)(chunks)
    except ProtocolError:
        pass


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=6), st.booleans())
def test_control_codec_random_bytes(chunks: list[bytes], server: bool) -> None:
    codec = ControlCodec(server=server)
    try:
        for chunk in chunks:
            codec.receive_data(chunk)
        codec.receive_eof()
    except ProtocolError:
        pass


@SETTINGS
@given(messages, st.booleans(), st.lists(st.integers(min_value=0), max_size=20))
def test_request_split_anywhere_decodes_identically(
    msgs: list[bytes], compress: bool, cuts: list[int]
) -> None:
    wire = request_wire(msgs, compress)
    whole = run_server([wire])
    assert run_server(split(wire, cuts)) == whole
    assert [e.data for e in whole if hasattr(e, "data")] == msgs


@settings(max_examples=30, deadline=None)
@given(big_messages, st.lists(st.integers(min_value=0), max_size=10))
def test_chunked_messages_split_anywhere(msgs: list[bytes], cuts: list[int]) -> None:
    wire = request_wire(msgs, False)
    assert [e.data for e in run_server(split(wire, cuts)) if hasattr(e, "data")] == msgs


@SETTINGS
@given(messages, st.lists(st.integers(min_value=0), max_size=20))
def test_response_split_anywhere_decodes_identically(msgs: list[bytes], cuts: list[int]) -> None:
    wire = response_wire(msgs)
    whole = run_client([wire])
    assert run_client(split(wire, cuts)) == whole
    assert whole[-1].status.code == StatusCode.ABORTED


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
    st.tuples(st.just("insert"), st.integers(min_value=0), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(min_value=0), st.integers(min_value=1, max_value=8)),
    st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(0)),
)


def mutate(wire: bytes, muts: list[tuple[str, int, object]]) -> bytes:
    data = bytearray(wire)
    for op, pos, arg in muts:
        if not data:
            break
        pos %= len(data)
        if op == "flip":
            data[pos] ^= int(arg)  # type: ignore[call-overload]
        elif op == "insert":
            data[pos:pos] = arg  # type: ignore[assignment]
        elif op == "delete":
            del data[pos : pos + int(arg)]  # type: ignore[call-overload]
        else:
            del data[pos:]
    return bytes(data)


@SETTINGS
@given(messages, st.booleans(), st.lists(mutation, min_size=1, max_size=4), st.booleans())
def test_mutated_streams_only_protocol_errors(
    msgs: list[bytes], compress: bool, muts: list[tuple[str, int, object]], server: bool
) -> None:
    wire = request_wire(msgs, compress) if server else response_wire(msgs)
    try:
        (run_server if server else run_client)([mutate(wire, muts)])
    except ProtocolError:
        pass
