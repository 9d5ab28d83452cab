"""The low-level hook: an HTTP/3 request/response with the core's own sans-IO H3Connection
driven through `event_listener_factory` / `conn.quic` / `conn.transmit()`."""

from __future__ import annotations

import importlib

import trio
import zquic


async def test_h3_over_event_listener(backend, run_server, client_tls):
    h3conn = importlib.import_module(f"{backend}.h3.connection")
    h3ev = importlib.import_module(f"{backend}.h3.events")
    quic_events = importlib.import_module(f"{backend}.quic.events")

    def server_factory(conn: zquic.Connection):
        if conn.alpn_protocol != "h3":
            return None
        h3 = h3conn.H3Connection(conn.quic)

        def on_event(event) -> None:
            for h in h3.handle_event(event):
                if isinstance(h, h3ev.HeadersReceived):
                    path = dict(h.headers)[b":path"]
                    h3.send_headers(h.stream_id, [(b":status", b"200")])
                    h3.send_data(h.stream_id, b"you asked for " + path, end_stream=True)
            conn.transmit()

        return on_event

    async def handler(conn: zquic.Connection) -> None:
        await conn.wait_closed()

    with trio.fail_after(10):
        async with run_server(
            handler=handler, alpn_protocols=["h3"], event_listener_factory=server_factory
        ) as ep:
            got = trio.Event()
            response: dict = {"body": b""}
            client_h3 = {}

            def client_factory(conn: zquic.Connection):
                h3 = client_h3["h3"] = h3conn.H3Connection(conn.quic)

                def on_event(event) -> None:
                    if isinstance(event, quic_events.ConnectionTerminated):
                        got.set()  # unblock the test; the assertion below reports it
                    for h in h3.handle_event(event):
                        if isinstance(h, h3ev.HeadersReceived):
                            response["status"] = dict(h.headers)[b":status"]
                        elif isinstance(h, h3ev.DataReceived):
                            response["body"] += h.data
                            if h.stream_ended:
                                got.set()

                return on_event

            async with zquic.connect(
                "127.0.0.1",
                ep.local_address[1],
                tls=client_tls(),
                alpn_protocols=["h3"],
                backend=backend,
                event_listener_factory=client_factory,
            ) as conn:
                assert conn.alpn_protocol == "h3"
                h3 = client_h3["h3"]
                stream_id = conn.quic.get_next_available_stream_id()
                h3.send_headers(
                    stream_id,
                    [
                        (b":method", b"GET"),
                        (b":scheme", b"https"),
                        (b":authority", b"localhost"),
                        (b":path", b"/ghost"),
                    ],
                    end_stream=True,
                )
                conn.transmit()
                await got.wait()
    assert response == {"status": b"200", "body": b"you asked for /ghost"}
