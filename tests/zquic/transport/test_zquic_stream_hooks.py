"""QuicStream hooks used by zquic.rpc's unary fast path: the abort callback and a close
that abandons a finished exchange's receive side without STOP_SENDING."""

from __future__ import annotations

import pytest
import trio
import zquic

ALPN = ["zquic-test"]


def _acceptor() -> tuple[object, trio.MemoryReceiveChannel[zquic.QuicStream]]:
    send, receive = trio.open_memory_channel[zquic.QuicStream](16)

    async def handler(conn: zquic.Connection) -> None:
        while True:
            try:
                await send.send(await conn.accept_stream())
            except zquic.errors.ConnectionClosed:
                return

    return handler, receive


async def test_abort_callback_on_reset_stop_and_connection_loss(backend, run_server, client_tls):
    handler, accepted = _acceptor()
    with trio.fail_after(10):
        async with run_server(handler=handler) as endpoint:
            port = endpoint.local_address[1]
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                fired: list[str] = []
                streams: list[zquic.QuicStream] = []
                for how in ("reset", "stop"):
                    stream = await conn.open_stream()
                    await stream.send_all(b"req")
                    server_stream = await accepted.receive()
                    streams.append(server_stream)
                    got = trio.Event()

                    def on_abort(how: str = how, got: trio.Event = got) -> None:
                        fired.append(how)
                        got.set()

                    server_stream.set_abort_callback(on_abort)
                    if how == "reset":
                        stream.reset(7)
                    else:
                        await stream.aclose()  # STOP_SENDING: the reply is never read
                    await got.wait()
                assert fired == ["reset", "stop"]
                # Registered after the abort happened: called at once.
                late: list[int] = []
                streams[0].set_abort_callback(lambda: late.append(1))
                assert late == [1]

                stream = await conn.open_stream()
                await stream.send_all(b"req")
                lost = trio.Event()
                (await accepted.receive()).set_abort_callback(lost.set)
            await lost.wait()  # the client closed the connection


async def test_close_without_stop_sending(backend, run_server, client_tls):
    handler, accepted = _acceptor()
    with trio.fail_after(10):
        async with run_server(handler=handler) as endpoint:
            port = endpoint.local_address[1]
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                stream = await conn.open_stream()
                await stream.send_all(b"request")  # no FIN yet: the receive side stays open
                server_stream = await accepted.receive()
                assert await server_stream.receive_some() == b"request"
                await server_stream.send_all(b"reply", eof=True)
                server_stream.close_nowait(stop_sending=False)
                assert await stream.receive_some() == b"reply"
                assert await stream.receive_some() == b""
                # A PING from the server is acknowledged only after the client processed
                # everything the server sent before it, a STOP_SENDING included.
                await endpoint.connections[0].ping()
                # No STOP_SENDING arrived: the client can still finish its side normally.
                assert not stream.send_finished
                await stream.send_eof()
                await stream.aclose()
                # Acknowledged once the server processed the FIN sent before it: the late FIN
                # of the abandoned receive side does not bring the stream back.
                await conn.ping()
                assert conn.stats()["open_streams"] == 0
                assert endpoint.connections[0].stats()["open_streams"] == 0


async def test_nowait_variants(backend, run_server, client_tls):
    handler, accepted = _acceptor()
    with trio.fail_after(10):
        async with run_server(handler=handler) as endpoint:
            port = endpoint.local_address[1]
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=ALPN, backend=backend
            ) as conn:
                stream = await conn.open_stream()
                with pytest.raises(trio.WouldBlock):
                    stream.receive_nowait()
                with pytest.raises(trio.WouldBlock):  # more than the send budget: nothing sent
                    stream.send_nowait(b"x" * (stream.send_capacity() + 1))
                stream.send_nowait(b"ping")
                server_stream = await accepted.receive()
                await stream.wait_send_all_might_not_block()
                # Acknowledged only after the server processed the data sent before the PING.
                await conn.ping()
                assert server_stream.receive_nowait() == b"ping"
                server_stream.send_nowait(b"pong", eof=True)
                with pytest.raises(trio.ClosedResourceError):
                    server_stream.send_nowait(b"late")
                assert await stream.receive_some() == b"pong"
                assert await stream.receive_some() == b""
                assert stream.receive_nowait() == b""  # EOF
                stream.reset(1)
                with pytest.raises(trio.WouldBlock):
                    server_stream.receive_nowait()  # reset still in flight
                await conn.ping()  # acknowledged after the server processed the RESET_STREAM
                with pytest.raises(zquic.errors.StreamReset) as info:
                    server_stream.receive_nowait()
                assert info.value.error_code == 1
