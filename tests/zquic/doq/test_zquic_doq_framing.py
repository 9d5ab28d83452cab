"""DoQ sans-IO framing (RFC 9250): length prefix, one message per stream, Message ID 0."""

from __future__ import annotations

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import pytest
from hypothesis import given
from hypothesis import strategies as st
from zquic.doq import (
    DOQ_PROTOCOL_ERROR,
    DoQErrorCode,
    DoQProtocolError,
    MessageReader,
    check_message_id,
    encode_message,
    encode_response,
    formerr_response,
    parse_query,
)


def query_wire(name: str = "example.ghost.", qid: int = 0) -> bytes:
    q = dns.message.make_query(name, "A")
    q.id = qid
    return q.to_wire()


def test_error_codes_match_rfc():
    assert [int(c) for c in DoQErrorCode][:5] == [0, 1, 2, 3, 4]
    assert DOQ_PROTOCOL_ERROR == 0x2


def test_encode_prefixes_length():
    assert encode_message(b"abc") == b"\x00\x03abc"
    assert encode_message(b"x" * 0xFFFF)[:2] == b"\xff\xff"
    with pytest.raises(ValueError):
        encode_message(b"x" * 0x10000)


@given(st.binary(min_size=0, max_size=3000), st.lists(st.integers(1, 700), max_size=12))
def test_reader_reassembles_any_split(payload, cuts):
    framed = encode_message(payload)
    reader = MessageReader()
    pos = 0
    for cut in cuts:
        reader.feed(framed[pos : pos + cut])
        pos += cut
    reader.feed(framed[pos:])
    assert reader.complete
    assert reader.finish() == payload


def test_reader_refuses_second_message():
    reader = MessageReader()
    with pytest.raises(DoQProtocolError) as info:
        reader.feed(encode_message(b"one") + b"\x00")
    assert info.value.code == DOQ_PROTOCOL_ERROR


@pytest.mark.parametrize("stream_bytes", [b"", b"\x00", b"\x00\x20abc", b"\x00\x0c" + b"\x00" * 11])
def test_reader_refuses_fin_before_announced_length(stream_bytes):
    reader = MessageReader()
    reader.feed(stream_bytes)
    assert not reader.complete
    with pytest.raises(DoQProtocolError):
        reader.finish()


def test_message_id_must_be_zero():
    check_message_id(query_wire(qid=0))
    with pytest.raises(DoQProtocolError, match="Message ID 4660"):
        check_message_id(query_wire(qid=0x1234))
    with pytest.raises(DoQProtocolError):
        check_message_id(b"\x00" * 5)  # not even a DNS header


def test_parse_query_refuses_tcp_keepalive():
    q = dns.message.make_query("a.ghost.", "A", use_edns=0)
    q.id = 0
    q.use_edns(0, options=[dns.edns.GenericOption(dns.edns.OptionType.KEEPALIVE, b"")])
    with pytest.raises(DoQProtocolError, match="keepalive"):
        parse_query(q.to_wire())
    assert parse_query(query_wire()).question[0].name.to_text() == "example.ghost."


def test_formerr_response_for_garbage_after_a_header():
    wire = b"\x00\x00\x01\x00" + b"\x00\x01" + b"\x00" * 6 + b"\xff\xff"  # qdcount 1, junk
    with pytest.raises(dns.exception.FormError):
        parse_query(wire)
    resp = dns.message.from_wire(formerr_response(wire))
    assert resp.id == 0 and resp.rcode() == dns.rcode.FORMERR
    assert resp.flags & dns.flags.QR and resp.flags & dns.flags.RD


def test_encode_response_forces_id_zero_and_strips_keepalive():
    q = dns.message.make_query("a.ghost.", "A", use_edns=0)
    resp = dns.message.make_response(q)
    resp.id = 777
    resp.use_edns(0, options=[dns.edns.GenericOption(dns.edns.OptionType.KEEPALIVE, b"\x00\x10")])
    framed = encode_response(resp)
    parsed = dns.message.from_wire(framed[2:])
    assert int.from_bytes(framed[:2], "big") == len(framed) - 2
    assert parsed.id == 0
    assert parsed.edns == 0 and not parsed.options
