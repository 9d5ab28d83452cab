"""Pure call state machines: lifecycle, compression negotiation, protocol violations."""

from __future__ import annotations

import pytest
from ghost.bridge.v1 import bridge_pb2
from zquic.rpc import (
    CallStateError,
    CallStatus,
    ClientCall,
    EndOfRequest,
    FrameDecoder,
    FrameType,
    Kind,
    MessageReceived,
    ProtocolError,
    RequestHeaderReceived,
    ResponseHeaderReceived,
    RpcError,
    ServerCall,
    StatusCode,
    TrailersReceived,
    encode_frame,
    encode_message,
)

COMPRESSIBLE = b"ghost " * 2000


def exchange(client: ClientCall, server: ServerCall, msgs: list[bytes]) -> list[object]:
    wire = client.start("/pkg.Svc/M", metadata=(("a", "1"),), timeout=1.5, traceparent="tp")
    for m in msgs:
        wire += client.send_message(m)
    wire += client.end_request()
    return server.receive_data(wire) + server.receive_eof()


def test_full_lifecycle() -> None:
    client, server = ClientCall(), ServerCall()
    events = exchange(client, server, [b"one", b""])
    assert isinstance(events[0], RequestHeaderReceived)
    hdr = events[0].header
    assert hdr.method == "/pkg.Svc/M" and hdr.timeout_ms == 1500 and hdr.traceparent == "tp"
    assert [e.data for e in events if isinstance(e, MessageReceived)] == [b"one", b""]
    assert isinstance(events[-1], EndOfRequest)

    out = server.send_header((("h", "v"),)) + server.send_message(b"reply")
    out += server.send_trailers(CallStatus(StatusCode.OK, trailing_metadata=(("t", "x"),)))
    got = client.receive_data(out) + client.receive_eof()
    # The client accepts deflate by default; this small reply still goes uncompressed.
    assert got[0] == ResponseHeaderReceived((("h", "v"),), "deflate")
    assert got[1] == MessageReceived(b"reply")
    assert got[2] == TrailersReceived(CallStatus(StatusCode.OK, "", b"", (("t", "x"),)))


def test_trailers_only_response_and_unknown_code() -> None:
    client = ClientCall()
    client.start("/a.B/C")
    raw = encode_frame(
        2, bytes([Kind.TRAILERS]) + bridge_pb2.Status(code=99, message="?").SerializeToString()
    )
    (ev,) = client.receive_data(raw)
    assert ev.status.code == StatusCode.UNKNOWN


def test_compression_negotiated_and_thresholded() -> None:
    client = ClientCall(compression="deflate", compression_threshold=100)
    server = ServerCall(compression_threshold=100)
    wire = client.start("/pkg.Svc/M")
    big, small = client.send_message(COMPRESSIBLE), client.send_message(b"tiny")
    assert len(big) < len(COMPRESSIBLE) // 10  # compressed on the wire
    assert big[4 + 1] == 0x01 and small[4 + 1] == 0x00  # COMPRESSED flag per message
    events = server.receive_data(wire + big + small)
    assert [e.data for e in events if isinstance(e, MessageReceived)] == [COMPRESSIBLE, b"tiny"]
    assert server.response_encoding == "deflate"  # client accepted deflate
    resp = server.send_message(COMPRESSIBLE)
    assert len(resp) < len(COMPRESSIBLE) // 10
    got = client.receive_data(resp)
    assert got[0].message_encoding == "deflate" and got[1].data == COMPRESSIBLE


def test_server_never_compresses_unless_accepted() -> None:
    client, server = ClientCall(accept_encodings=()), ServerCall(compression_threshold=10)
    server.receive_data(client.start("/pkg.Svc/M"))
    assert server.response_encoding == "identity"
    resp = server.send_message(COMPRESSIBLE)
    assert len(resp) > len(COMPRESSIBLE)
    assert client.receive_data(resp)[1].data == COMPRESSIBLE


def test_incompressible_data_sent_plain() -> None:
    import os

    client = ClientCall(compression="gzip", compression_threshold=10)
    client.start("/a.B/C")
    data = os.urandom(5000)
    assert client.send_message(data)[5] == 0x00


def test_unsupported_request_encoding_is_unimplemented() -> None:
    header = bridge_pb2.CallHeader(method="/a.B/C", message_encoding="br")
    raw = encode_frame(1, bytes([Kind.HEADER]) + header.SerializeToString())
    with pytest.raises(ProtocolError) as info:
        ServerCall().receive_data(raw)
    assert info.value.code == StatusCode.UNIMPLEMENTED


def test_compressed_flag_without_encoding_is_protocol_error() -> None:
    server = ServerCall()
    server.receive_data(ClientCall().start("/a.B/C"))
    with pytest.raises(ProtocolError, match="no message encoding"):
        server.receive_data(encode_message(1, b"x", compressed=True))


def test_too_large_refused_by_sender() -> None:
    client = ClientCall(max_message_size=1000)
    client.start("/a.B/C")
    with pytest.raises(RpcError) as info:
        client.send_message(b"x" * 1001)
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED


def test_receiver_refuses_oversized_announcement() -> None:
    server = ServerCall(max_message_size=1000)
    server.receive_data(ClientCall().start("/a.B/C"))
    with pytest.raises(ProtocolError) as info:
        server.receive_data(encode_message(1, b"x" * 100_000)[:65539])  # first frame only
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("wire", "why"),
    [
        (encode_message(1, b"x"), "must start with a HEADER"),
        (encode_frame(2, b"\x01"), "GRPC_RESPONSE frame"),
        (encode_frame(1, b"\x01\xff\xff"), "malformed call header"),
        (encode_frame(1, b"\x01\x0a\x03\xff\xfe\xfd"), "bad UTF-8"),
        (
            encode_frame(1, b"\x01" + bridge_pb2.CallHeader(method="x").SerializeToString()),
            "method",
        ),
    ],
)
def test_bad_request_starts(wire: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        ServerCall().receive_data(wire)


def test_frames_after_end_of_request() -> None:
    client, server = ClientCall(), ServerCall()
    wire = client.start("/a.B/C") + client.end_request()
    server.receive_data(wire)
    with pytest.raises(ProtocolError, match="after the end"):
        server.receive_data(encode_message(1, b"late"))


def test_eof_is_an_implicit_end_but_not_inside_a_message() -> None:
    server = ServerCall()
    server.receive_data(ClientCall().start("/a.B/C"))
    assert server.receive_eof() == [EndOfRequest()]
    server2 = ServerCall()
    server2.receive_data(ClientCall().start("/a.B/C") + encode_message(1, b"x" * 70000)[:65539])
    with pytest.raises(ProtocolError, match="inside a message"):
        server2.receive_eof()
    with pytest.raises(ProtocolError, match="before the call header"):
        ServerCall().receive_eof()


def test_client_side_violations() -> None:
    def started() -> ClientCall:
        c = ClientCall(accept_encodings=("deflate",))
        c.start("/a.B/C")
        return c

    server = ServerCall()
    server.receive_data(ClientCall().start("/a.B/C"))
    trailers = server.send_trailers(CallStatus(StatusCode.OK))
    with pytest.raises(ProtocolError, match="after the end of the call"):
        started().receive_data(trailers + trailers)
    with pytest.raises(ProtocolError, match="before the response header"):
        started().receive_data(encode_message(2, b"x"))
    with pytest.raises(ProtocolError, match="without a status"):
        started().receive_eof()
    hdr = bridge_pb2.ResponseHeader(message_encoding="gzip").SerializeToString()
    with pytest.raises(ProtocolError, match="unaccepted"):
        started().receive_data(encode_frame(2, bytes([Kind.HEADER]) + hdr))
    with pytest.raises(ProtocolError, match="END frame"):
        started().receive_data(encode_frame(2, bytes([Kind.END])))


def test_local_misuse_raises_call_state_error() -> None:
    server = ServerCall()
    server.send_trailers(CallStatus(StatusCode.OK))
    with pytest.raises(CallStateError):
        server.send_message(b"x")
    client = ClientCall()
    with pytest.raises(CallStateError):
        client.send_message(b"x")


def test_oversized_status_is_trimmed_not_fatal() -> None:
    server = ServerCall()
    raw = server.send_trailers(CallStatus(StatusCode.ABORTED, "m" * 70000, b"d" * 70000))
    client = ClientCall()
    client.start("/a.B/C")
    (ev,) = client.receive_data(raw)
    assert ev.status.code == StatusCode.ABORTED and len(ev.status.message) == 1024


def test_header_frame_type_for_control_stream() -> None:
    (frame,) = FrameDecoder().feed(ClientCall().start("/a.B/C"))
    assert frame.type == FrameType.GRPC_REQUEST and frame.kind == Kind.HEADER


def test_status_enum_matches_proto() -> None:
    proto = {v.name: v.number for v in bridge_pb2.StatusCode.DESCRIPTOR.values}
    assert proto == {c.name: c.value for c in StatusCode}
    assert len(proto) == 17


def test_server_ok_trailers_and_encoding_choice_match_the_general_encoders() -> None:
    from zquic.rpc.call import _OK_STATUS, choose_encoding, encode_status

    ok = encode_status(FrameType.GRPC_RESPONSE, CallStatus(StatusCode.OK))
    for status in (_OK_STATUS, CallStatus(StatusCode.OK)):
        assert ServerCall().send_trailers(status) == ok
    for accepted, ours in [
        (["gzip", "deflate"], ("deflate", "gzip")),
        (["gzip"], ("deflate", "gzip")),
        (["br"], ("deflate", "gzip")),
        (["deflate"], ()),
    ]:
        server = ServerCall(encodings=ours)
        server.accept_header(bridge_pb2.CallHeader(method="/s/m", accept_encoding=accepted))
        assert server.response_encoding == choose_encoding(accepted, ours)
