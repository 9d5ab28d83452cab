"""Cross-core interop: a server on one QUIC core, a client on the other."""

from __future__ import annotations

import pytest
import trio
import zquic

ALPN = ["zquic-test"]


@pytest.mark.parametrize(
    ("server_backend", "client_backend"), [("qh3", "aioquic"), ("aioquic", "qh3")]
)
async def test_cross_backend_echo(server_tls, client_tls, server_backend, client_backend):
    async def handler(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        data = b""
        while more := await stream.receive_some():
            data += more
        await stream.send_all(data, eof=True)
        await conn.wait_closed()

    # qh3's server cannot build its first flight for an aioquic ClientHello within the
    # anti-amplification budget ("packet builder capacity exhausted"); the handshake completes
    # after the client's first PTO (~1.3 s). This guards that recovery path (the endpoint must
    # not discard such a connection as junk).
    with trio.fail_after(10):
        async with zquic.open_server(
            "127.0.0.1",
            0,
            tls=server_tls(),
            alpn_protocols=ALPN,
            connection_handler=handler,
            backend=server_backend,
        ) as ep:
            async with zquic.connect(
                "127.0.0.1",
                ep.local_address[1],
                tls=client_tls(),
                alpn_protocols=ALPN,
                backend=client_backend,
            ) as conn:
                stream = await conn.open_stream()
                await stream.send_all(b"interop" * 10_000, eof=True)
                out = b""
                while data := await stream.receive_some():
                    out += data
                assert out == b"interop" * 10_000
            assert ep.stats()["initials_discarded"] == 0
