"""The unary fast paths decode and encode exactly what the state machines do (same bytes)."""

from __future__ import annotations

import pytest
from ghost.bridge.v1 import bridge_pb2
from zquic.rpc.call import (
    END_REQUEST_FRAME,
    ClientCall,
    MessageReceived,
    ServerCall,
    TrailersReceived,
    call_header_prefix,
    call_header_suffix,
    encode_call_header,
    encode_call_header_parts,
    encode_message_frames,
    response_header_encodings,
    split_unary_request,
    split_unary_response,
    timeout_to_ms,
)
from zquic.rpc.frames import encode_message
from zquic.rpc.status import RpcError, StatusCode

METHOD = "/ghost.test.v1.Echo/Unary"


@pytest.mark.parametrize(
    ("metadata", "timeout", "tp", "ts", "enc", "accept"),
    [
        ((), None, "", "", "identity", ("deflate", "gzip")),
        ((), 1.5, "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "", "identity", ("deflate", "gzip")),
        ((("k", "v"), ("x-bin", b"\x00\xff")), 0.0001, "tp", "st=1", "gzip", ()),
        ((("k", "é" * 200),), 86400 * 365, "", "vendor=x", "deflate", ("gzip",)),
        ((), 3e9, "t" * 300, "", "", ("deflate",)),
    ],
)
def test_header_parts_equal_client_call_start(metadata, timeout, tp, ts, enc, accept):
    client = ClientCall(compression=enc or None, accept_encodings=accept)
    want = client.start(METHOD, metadata=metadata, timeout=timeout, traceparent=tp, tracestate=ts)
    got = encode_call_header_parts(
        call_header_prefix(METHOD, metadata),
        timeout_to_ms(timeout),
        tp,
        ts,
        call_header_suffix(enc, accept),
    )
    assert got == want


def test_header_parts_too_large():
    prefix = call_header_prefix(METHOD, (("k", "v" * 70000),))
    with pytest.raises(RpcError) as info:
        encode_call_header_parts(prefix, 0, "", "", b"")
    assert info.value.code == StatusCode.RESOURCE_EXHAUSTED
    with pytest.raises(RpcError):
        encode_call_header(bridge_pb2.CallHeader(method=METHOD, tracestate="v" * 70000))


@pytest.mark.parametrize("size", [0, 1, 64, 65529, 65530, 200000])
@pytest.mark.parametrize("enc", ["identity", "deflate", "gzip"])
def test_message_frames_match_encoder(size, enc):
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    client = ClientCall(compression=enc, compression_threshold=100)
    client.start(METHOD)
    assert encode_message_frames(1, data, 4 << 20, enc, 100) == client.send_message(data)
    if enc == "identity":
        assert encode_message_frames(2, data, 4 << 20, enc, 100) == encode_message(2, data)


def _request(payload: bytes, **kw) -> bytes:
    client = ClientCall(**kw)
    head = client.start(METHOD, traceparent="tp")
    return head + client.send_message(payload) + client.end_request()


@pytest.mark.parametrize("payload", [b"", b"x", b"y" * 1000])
def test_split_request(payload):
    wire = _request(payload)
    split = split_unary_request(wire, 4 << 20)
    assert split is not None
    hend, message = split
    assert message == payload
    server = ServerCall()
    events = server.receive_data(wire)
    assert [e.data for e in events if isinstance(e, MessageReceived)] == [payload]
    assert wire[hend:].startswith(encode_message(1, payload))


def test_split_request_refuses_other_shapes():
    wire = _request(b"abc")
    assert split_unary_request(wire[:-1], 1000) is None  # END incomplete
    assert split_unary_request(wire + END_REQUEST_FRAME, 1000) is None  # trailing bytes
    assert split_unary_request(wire[:-5], 1000) is None  # no END
    assert split_unary_request(wire, 2) is None  # over the limit: the state machine says so
    compressed = _request(b"a" * 5000, compression="deflate", compression_threshold=10)
    assert split_unary_request(compressed, 1 << 20) is None
    bad = bytearray(wire)
    bad[0] = 2
    assert split_unary_request(bytes(bad), 1000) is None
    two = _request(b"abc")
    i = len(two) - 5
    assert split_unary_request(two[:i] + encode_message(1, b"d") + two[i:], 1000) is None


def _response(payload: bytes, accept=("deflate", "gzip"), threshold=1024, status=None, md=()):
    server = ServerCall(compression_threshold=threshold)
    server.receive_data(_request(b"q", accept_encodings=accept))
    out = server.send_header(md) if md else b""
    out += server.send_message(payload)
    from zquic.rpc.call import CallStatus

    return out + server.send_trailers(status or CallStatus(StatusCode.OK))


@pytest.mark.parametrize("payload", [b"", b"r" * 64, b"s" * 5000])
@pytest.mark.parametrize("accept", [(), ("deflate",), ("gzip",), ("deflate", "gzip")])
def test_split_response_matches_state_machine(payload, accept):
    wire = _response(payload, accept=accept)
    split = split_unary_response(wire, response_header_encodings(accept), 4 << 20)
    assert split is not None
    data, enc = split
    client = ClientCall(accept_encodings=accept)
    client.start(METHOD)
    events = client.receive_data(wire)
    assert [e.data for e in events if isinstance(e, MessageReceived)] == [payload]
    assert isinstance(events[-1], TrailersReceived)
    if enc == "identity":
        assert data == payload
    else:
        from zquic.rpc.frames import decompress

        assert len(payload) >= 1024 and decompress(enc, data, 1 << 20) == payload


def test_split_response_refuses_other_shapes():
    from zquic.rpc.call import CallStatus

    headers = response_header_encodings(("deflate", "gzip"))
    ok = _response(b"r" * 64)
    assert split_unary_response(ok, headers, 1 << 20) is not None
    assert split_unary_response(ok[:-1], headers, 1 << 20) is None
    assert split_unary_response(ok + b"\x01", headers, 1 << 20) is None
    assert split_unary_response(ok, headers, 10) is None  # over the limit
    err = _response(b"r", status=CallStatus(StatusCode.NOT_FOUND, "no"))
    assert split_unary_response(err, headers, 1 << 20) is None
    with_md = _response(b"r" * 64, md=(("k", "v"),))
    assert split_unary_response(with_md, headers, 1 << 20) is None
    # a compressed response in an encoding this client did not accept
    gz = _response(b"s" * 5000, accept=("gzip",))
    assert split_unary_response(gz, response_header_encodings(("deflate",)), 1 << 20) is None
    assert split_unary_response(b"", headers, 1 << 20) is None
