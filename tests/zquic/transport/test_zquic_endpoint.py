"""Endpoint behaviour: version negotiation, retry, garbage input, idle timeout, migration,
stateless reset."""

from __future__ import annotations

import os
import socket

import pytest
import trio
import zquic
from zquic.errors import IdleTimeout, VersionNegotiationError

ALPN = ["zquic-test"]


def _connect(backend, port, client_tls, host="127.0.0.1", **kw):
    return zquic.connect(host, port, tls=client_tls(), alpn_protocols=ALPN, backend=backend, **kw)


async def echo(conn: zquic.Connection, payload: bytes) -> bytes:
    stream = await conn.open_stream()
    await stream.send_all(payload)
    await stream.send_eof()
    out = b""
    while data := await stream.receive_some():
        out += data
    return out


def _junk_initial(size: int = 1200) -> bytes:
    """A well-formed v1 Initial header (token, length) around an undecryptable payload."""
    dcid, scid = os.urandom(8), os.urandom(8)
    head = b"\xc3" + (1).to_bytes(4, "big") + b"\x08" + dcid + b"\x08" + scid + b"\x00"
    rest = size - len(head) - 2
    return head + (0x4000 | rest).to_bytes(2, "big") + os.urandom(rest)


def _long_header(version: int, dcid: bytes, scid: bytes, size: int = 1200) -> bytes:
    head = bytes([0xC0]) + version.to_bytes(4, "big") + bytes([len(dcid)]) + dcid
    head += bytes([len(scid)]) + scid
    return head + os.urandom(size - len(head))


async def test_version_negotiation(backend, run_server):
    with trio.fail_after(10):
        async with run_server() as ep:
            with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
                await raw.bind(("127.0.0.1", 0))
                dcid, scid = os.urandom(8), os.urandom(8)
                await raw.sendto(_long_header(0x1A2A3A4A, dcid, scid), ep.local_address)
                data, _ = await raw.recvfrom(2048)
            assert data[0] & 0x80
            assert data[1:5] == b"\x00\x00\x00\x00"  # Version Negotiation
            assert data[5] == 8 and data[6:14] == scid  # echoes our CIDs, swapped
            assert data[14] == 8 and data[15:23] == dcid
            versions = [int.from_bytes(data[i : i + 4], "big") for i in range(23, len(data), 4)]
            assert 1 in versions
            assert ep.stats()["version_negotiations"] == 1


async def test_retry(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server(retry=True) as ep:
            async with _connect(backend, ep.local_address[1], client_tls) as conn:
                assert await echo(conn, b"validated") == b"validated"
            stats = ep.stats()
            # One Retry per token-less Initial datagram (qh3's hybrid key share spans two).
            assert stats["retries_sent"] >= 1
            assert stats["retry_tokens_invalid"] == 0
            assert stats["connections_accepted"] == 1


async def test_garbage_does_not_stop_the_server(backend, run_server, client_tls, monkeypatch):
    monkeypatch.setattr(zquic.endpoint, "INITIAL_GRACE", 0.3)
    served = []

    async def handler(conn: zquic.Connection) -> None:
        served.append(conn)
        stream = await conn.accept_stream()
        while data := await stream.receive_some():
            await stream.send_all(data)
        await stream.send_eof()
        await conn.wait_closed()

    with trio.fail_after(15):
        async with run_server(handler=handler) as ep:
            addr = ep.local_address
            async with _connect(backend, addr[1], client_tls) as conn:
                stream = await conn.open_stream()
                await stream.send_all(b"before")
                assert await stream.receive_some() == b"before"
                live_cids = list(ep._conn_cids[served[0]])
                junk = [
                    b"",
                    b"\x00",
                    os.urandom(7),
                    os.urandom(1500),
                    b"\xc0\x00\x00\x00\x01\x08",  # truncated long header
                    b"\xc0\x00\x00\x00\x01\x15" + os.urandom(30),  # CID length out of range
                    _long_header(1, os.urandom(8), os.urandom(8))[:1200],  # Initial, junk header
                    _junk_initial(),  # well-formed Initial that does not decrypt
                    _long_header(1, os.urandom(8), os.urandom(8), size=300),  # short Initial
                    b"\x40" + os.urandom(8) + os.urandom(40),  # short header, unknown CID
                ]
                # Undecryptable packets aimed at the live connection's own CIDs.
                junk += [b"\x41" + cid + os.urandom(60) for cid in live_cids]
                with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
                    await raw.bind(("127.0.0.1", 0))
                    for _ in range(3):
                        for packet in junk:
                            await raw.sendto(packet, addr)
                # The existing connection and stream keep working ...
                await stream.send_all(b"after")
                assert await stream.receive_some() == b"after"
                await stream.send_eof()
                assert await stream.receive_some() == b""
            # ... and so do new ones.
            async with _connect(backend, addr[1], client_tls) as conn2:
                assert await echo(conn2, b"new") == b"new"
            # Junk Initials are forgotten after the grace period, not the idle timeout.
            for junk_conn in [c for c in ep.connections if c not in served]:
                await junk_conn.wait_closed()
            stats = ep.stats()
            assert stats["malformed_datagrams"] + stats["datagrams_dropped"] > 0
            # Junk Initials hold no state: only the two real connections were ever kept.
            # (1-3: copies landing in one received batch share the first copy's state)
            assert 1 <= stats["initials_discarded"] <= 3
            assert stats["connections_accepted"] - stats["initials_discarded"] == 2


async def test_idle_timeout(backend, run_server, client_tls):
    server_reason = []
    server_closed = trio.Event()

    async def handler(conn: zquic.Connection) -> None:
        await conn.wait_closed()
        server_reason.append(conn.close_reason)
        server_closed.set()

    with trio.fail_after(10):
        async with run_server(handler=handler, idle_timeout=0.4) as ep:
            async with _connect(backend, ep.local_address[1], client_tls, idle_timeout=0.4) as conn:
                await conn.wait_closed()
                assert isinstance(conn.close_reason, IdleTimeout), conn.close_reason
                assert conn.is_closed
                with pytest.raises(IdleTimeout):
                    await conn.open_stream()
            await server_closed.wait()
    assert isinstance(server_reason[0], IdleTimeout), server_reason


async def test_migration_keeps_streams(backend, run_server, client_tls):
    for host in ("127.0.0.1", "::1"):
        with trio.fail_after(10):
            async with run_server(host=host) as ep:
                async with _connect(backend, ep.local_address[1], client_tls, host=host) as conn:
                    stream = await conn.open_stream()
                    await stream.send_all(b"one")
                    assert await stream.receive_some() == b"one"
                    old_port = conn.local_address[1]
                    new_addr = await conn.rebind()
                    assert new_addr[1] != old_port
                    assert conn.local_address == new_addr
                    await stream.send_all(b"two")  # same stream, new path
                    assert await stream.receive_some() == b"two"
                    assert await echo(conn, b"fresh stream") == b"fresh stream"
                    await conn.ping()
                    assert ep.stats()["connections_accepted"] == 1
                    # The server follows the client to its new address.
                    (server_conn,) = ep.connections
                    assert server_conn.remote_address[1] == new_addr[1]


async def test_stateless_reset_for_recently_closed(run_server, client_tls):
    """aioquic exposes the reset tokens it issued: a short-header packet for a connection the
    server closed is answered with a stateless reset carrying the token the client holds.
    (qh3 keeps its tokens inside the native core: zquic sends no resets there.)"""
    server_conns = []

    async def handler(conn: zquic.Connection) -> None:
        server_conns.append(conn)  # returns at once: the server closes the connection

    with trio.fail_after(10):
        async with run_server(handler=handler, backend="aioquic") as ep:
            async with _connect("aioquic", ep.local_address[1], client_tls) as conn:
                await conn.wait_closed()
                peer_cid = conn.quic._peer_cid
                await server_conns[0].wait_closed()  # drained: its CIDs are forgotten
                with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
                    await raw.bind(("127.0.0.1", 0))
                    await raw.sendto(b"\x41" + peer_cid.cid + os.urandom(60), ep.local_address)
                    data, _ = await raw.recvfrom(2048)
            assert data[0] & 0xC0 == 0x40  # looks like a short-header packet
            assert 21 <= len(data) < 69
            assert data[-16:] == peer_cid.stateless_reset_token
            assert ep.stats()["stateless_resets_sent"] == 1


async def test_client_version_negotiation_failure(backend, client_tls):
    """A 'server' that only speaks an unknown version answers with Version Negotiation: the
    client fails with VersionNegotiationError."""
    with trio.fail_after(10):
        with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:
            await fake.bind(("127.0.0.1", 0))

            async def answer_vn() -> None:
                data, addr = await fake.recvfrom(65535)
                dlen = data[5]
                dcid = data[6 : 6 + dlen]
                scid = data[7 + dlen : 7 + dlen + data[6 + dlen]]
                vn = bytes([0x80]) + b"\x00\x00\x00\x00" + bytes([len(scid)]) + scid
                vn += bytes([len(dcid)]) + dcid + (0x0A1A2A3A).to_bytes(4, "big")
                await fake.sendto(vn, addr)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(answer_vn)
                with pytest.raises(VersionNegotiationError):
                    async with _connect(backend, fake.getsockname()[1], client_tls):
                        pass
