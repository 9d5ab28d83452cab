"""Echo over streams, IPv4 and IPv6, many streams and connections, large transfers."""

from __future__ import annotations

import hashlib
import os

import pytest
import trio
import zquic

ALPN = ["zquic-test"]


async def echo_once(conn: zquic.Connection, payload: bytes) -> bytes:
    stream = await conn.open_stream()
    await stream.send_all(payload)
    await stream.send_eof()
    chunks = []
    while data := await stream.receive_some():
        chunks.append(data)
    await stream.aclose()
    return b"".join(chunks)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_echo(backend, run_server, client_tls, host):
    with trio.fail_after(10):
        async with run_server(host=host) as endpoint:
            assert endpoint.backend_name == backend
            port = endpoint.local_address[1]
            async with zquic.connect(
                host, port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                assert conn.alpn_protocol == "zquic-test"
                assert conn.backend_name == backend
                assert conn.peer_certificate is not None
                assert await echo_once(conn, b"hello ghost") == b"hello ghost"
                assert await echo_once(conn, b"x" * 100_000) == b"x" * 100_000
                rtt = await conn.ping()
                assert 0 <= rtt < 5
                # Finished streams are forgotten on both ends (no leak on long connections).
                assert conn.stats()["open_streams"] == 0
                (server_conn,) = endpoint.connections
                assert server_conn.stats()["open_streams"] == 0


async def test_many_streams_and_connections(backend, run_server, client_tls):
    n_conns, n_streams = 4, 25
    with trio.fail_after(30):
        async with run_server() as endpoint:
            port = endpoint.local_address[1]
            results: list[bool] = []

            async def one_client(ci: int) -> None:
                async with zquic.connect(
                    "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
                ) as conn:

                    async def one_stream(si: int) -> None:
                        payload = f"{ci}:{si}:".encode() * (si + 1)
                        results.append(await echo_once(conn, payload) == payload)

                    async with trio.open_nursery() as nursery:
                        for si in range(n_streams):
                            nursery.start_soon(one_stream, si)

            async with trio.open_nursery() as nursery:
                for ci in range(n_conns):
                    nursery.start_soon(one_client, ci)
            assert results == [True] * (n_conns * n_streams)
            assert endpoint.stats()["connections_accepted"] == n_conns


async def test_large_transfer_integrity(backend, run_server, client_tls):
    payload = os.urandom(8 * 1024 * 1024)
    with trio.fail_after(40):
        async with run_server() as endpoint:
            port = endpoint.local_address[1]
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                stream = await conn.open_stream()
                digest = hashlib.sha256()
                received = 0

                async def reader() -> None:
                    nonlocal received
                    while data := await stream.receive_some():
                        digest.update(data)
                        received += len(data)

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(reader)
                    await stream.send_all(payload)
                    await stream.send_eof()
                assert received == len(payload)
                assert digest.digest() == hashlib.sha256(payload).digest()
