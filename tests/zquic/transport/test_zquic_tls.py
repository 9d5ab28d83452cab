"""TLS: server verification, ALPN, mTLS, session resumption + 0-RTT, key update."""

from __future__ import annotations

import pytest
import trio
import zquic
from cryptography.x509.oid import NameOID
from zquic.errors import ConnectionClosed, HandshakeError

ALPN = ["zquic-test"]


async def echo(conn: zquic.Connection, payload: bytes) -> bytes:
    stream = await conn.open_stream()
    await stream.send_all(payload)
    await stream.send_eof()
    out = b""
    while data := await stream.receive_some():
        out += data
    return out


def _key_phase(conn: zquic.Connection) -> int | None:
    """The 1-RTT send key phase where the core exposes it (aioquic; qh3 keeps it native)."""
    if conn.backend_name != "aioquic":
        return None
    from aioquic.tls import Epoch

    return conn.quic._cryptos[Epoch.ONE_RTT].send.key_phase


def _cn(cert) -> str:
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


async def test_untrusted_server_certificate(backend, run_server, client_tls, rogue_certs):
    with trio.fail_after(10):
        async with run_server() as ep:
            with pytest.raises(HandshakeError):
                async with zquic.connect(
                    "127.0.0.1",
                    ep.local_address[1],
                    tls=client_tls(cafile=rogue_certs.ca.cert),
                    alpn_protocols=ALPN,
                    backend=backend,
                ):
                    pass


async def test_wrong_server_name(backend, run_server, client_tls):
    with trio.fail_after(10):
        async with run_server() as ep:
            with pytest.raises(HandshakeError):
                async with zquic.connect(
                    "127.0.0.1",
                    ep.local_address[1],
                    tls=client_tls(),
                    server_name="not-the-bridge.example",
                    alpn_protocols=ALPN,
                    backend=backend,
                ):
                    pass


async def test_alpn_mismatch_refused(backend, run_server, client_tls):
    called = False

    async def handler(conn: zquic.Connection) -> None:
        nonlocal called
        called = True

    with trio.fail_after(10):
        async with run_server(handler=handler) as ep:
            with pytest.raises(HandshakeError):
                async with zquic.connect(
                    "127.0.0.1",
                    ep.local_address[1],
                    tls=client_tls(),
                    alpn_protocols=["something-else"],
                    backend=backend,
                ):
                    pass
    assert not called


async def test_mtls_trusted_client_accepted(backend, run_server, server_tls, client_tls):
    seen: dict = {}

    async def handler(conn: zquic.Connection) -> None:
        seen["cn"] = _cn(conn.peer_certificate)
        seen["backend"] = conn.backend_name
        stream = await conn.accept_stream()
        await stream.send_all(await stream.receive_some())
        await stream.send_eof()
        await conn.wait_closed()

    with trio.fail_after(10):
        async with run_server(handler=handler, tls=server_tls(mtls=True)) as ep:
            # qh3's server cannot request client certificates: zquic serves mTLS on aioquic.
            assert ep.backend_name == "aioquic"
            async with zquic.connect(
                "127.0.0.1",
                ep.local_address[1],
                tls=client_tls(),
                alpn_protocols=ALPN,
                backend=backend,
            ) as conn:
                assert await echo(conn, b"authenticated") == b"authenticated"
    assert seen == {"cn": "walletd-client", "backend": "aioquic"}


@pytest.mark.parametrize("client_cert", ["untrusted", "missing", "server-usage"])
async def test_mtls_refuses_bad_clients(
    backend, run_server, server_tls, client_tls, rogue_certs, dev_certs, client_cert
):
    called = False

    async def handler(conn: zquic.Connection) -> None:
        nonlocal called
        called = True

    if client_cert == "untrusted":
        tls = client_tls(certs=rogue_certs)
    elif client_cert == "missing":
        tls = zquic.TLSConfig(cafile=dev_certs.ca.cert)
    else:  # a certificate from the right CA but issued for serverAuth only
        pair = dev_certs.server("walletd")
        tls = zquic.TLSConfig(certfile=pair.cert, keyfile=pair.key, cafile=dev_certs.ca.cert)

    with trio.fail_after(10):
        async with run_server(handler=handler, tls=server_tls(mtls=True)) as ep:
            # TLS 1.3: the client may finish its side before the server rejects it, so the
            # refusal shows up either at connect or on first use.
            with pytest.raises(ConnectionClosed) as info:
                async with zquic.connect(
                    "127.0.0.1",
                    ep.local_address[1],
                    tls=tls,
                    alpn_protocols=ALPN,
                    backend=backend,
                ) as conn:
                    await echo(conn, b"let me in")
            assert isinstance(info.value, HandshakeError), info.value
            assert ep.stats()["handshakes_failed"] == 1
    assert not called


async def test_mtls_without_client_ca_is_a_configuration_error(dev_certs):
    with pytest.raises(zquic.errors.ConfigurationError):
        zquic.TLSConfig(
            certfile=dev_certs.server("ghostbridge").cert,
            keyfile=dev_certs.server("ghostbridge").key,
            require_client_cert=True,
        ).check_server()


async def test_session_resumption_and_0rtt(backend, run_server, client_tls):
    seen: list[dict] = []

    async def handler(conn: zquic.Connection) -> None:
        seen.append({"resumed": conn.session_resumed, "early": conn.early_data_accepted})
        stream = await conn.accept_stream()
        data = b""
        while more := await stream.receive_some():
            data += more
        await stream.send_all(data)
        await stream.send_eof()
        await conn.wait_closed()

    with trio.fail_after(15):
        async with run_server(handler=handler) as ep:
            port = ep.local_address[1]
            tickets = []
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                got_ticket = trio.Event()
                conn.on_session_ticket = lambda t: (tickets.append(t), got_ticket.set())
                if conn.session_ticket is not None:
                    tickets.append(conn.session_ticket)
                    got_ticket.set()
                assert await echo(conn, b"first") == b"first"
                await got_ticket.wait()
            ticket = tickets[-1]
            async with zquic.connect(
                "127.0.0.1",
                port,
                tls=client_tls(),
                alpn_protocols=ALPN,
                backend=backend,
                session_ticket=ticket,
                early_data=True,
            ) as conn:
                # Yielded before the handshake finished: this stream's data is 0-RTT.
                assert not conn.handshake_complete.is_set()
                assert await echo(conn, b"early bird") == b"early bird"
                assert conn.session_resumed
            assert ep.stats()["tickets_resumed"] == 1
    assert seen[0] == {"resumed": False, "early": False}
    assert seen[1] == {"resumed": True, "early": True}


async def test_key_update_both_sides(backend, run_server, client_tls):
    async def handler(conn: zquic.Connection) -> None:
        while True:
            try:
                stream = await conn.accept_stream()
            except ConnectionClosed:
                return
            data = b""
            while more := await stream.receive_some():
                data += more
            if data == b"server-update":
                conn.request_key_update()
            await stream.send_all(data)
            await stream.send_eof()

    with trio.fail_after(10):
        async with run_server(handler=handler) as ep:
            async with zquic.connect(
                "127.0.0.1",
                ep.local_address[1],
                tls=client_tls(),
                alpn_protocols=ALPN,
                backend=backend,
            ) as conn:
                assert await echo(conn, b"before") == b"before"
                await conn.ping()  # HANDSHAKE_DONE is in: the handshake is confirmed
                conn.request_key_update()
                assert await echo(conn, b"after client update") == b"after client update"
                assert _key_phase(conn) in (1, None)
                assert await echo(conn, b"server-update") == b"server-update"
                assert await echo(conn, b"after server update") == b"after server update"
                assert _key_phase(conn) in (0, None)  # flipped back by the server's update
                for i in range(3):
                    assert await echo(conn, b"x%d" % i * 5000) == b"x%d" % i * 5000
