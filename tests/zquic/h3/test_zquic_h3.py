"""HTTP/3 server and client over real loopback QUIC, on both cores."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing
import zquic
from zquic.h3 import (
    ALPN_H3,
    H3Client,
    H3ErrorCode,
    H3Request,
    H3Response,
    H3StreamError,
    open_h3_server,
)

HOST = "127.0.0.1"
MiB = 1024 * 1024


def payload_chunks(size: int, chunk: int = 100_000, seed: int = 7) -> list[bytes]:
    data = hashlib.shake_256(seed.to_bytes(4, "big")).digest(size)
    return [data[i : i + chunk] for i in range(0, size, chunk)]


async def aiter_chunks(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for c in chunks:
        yield c


class App:
    """Test handler: a few routes exercising every part of the API."""

    def __init__(self) -> None:
        self.pulled = 0
        self.outcomes: list[str] = []
        self.big_done = trio.Event()
        self.slow_started = trio.Event()
        self.slow_done = trio.Event()

    async def __call__(self, req: H3Request) -> H3Response | None:
        if req.path.startswith("/hello"):
            return H3Response(
                200,
                {"content-type": "text/plain", "x-method": req.method},
                content=f"hello {req.authority} {req.path} {req.header('x-who')}".encode(),
            )
        if req.path == "/upload":
            digest = hashlib.sha256()
            n = 0
            async for chunk in req.body:
                digest.update(chunk)
                n += len(chunk)
            return H3Response(
                201,
                content=f"{n} {digest.hexdigest()}".encode(),
                trailers=None
                if req.trailers is None
                else [("x-seen-trailers", repr(req.trailers))],
            )
        if req.path.startswith("/download/"):
            size = int(req.path.rsplit("/", 1)[1])
            chunks = payload_chunks(size)
            checksum = hashlib.sha256(b"".join(chunks)).hexdigest()
            return H3Response(200, content=aiter_chunks(chunks), trailers=[("x-sha256", checksum)])
        if req.path == "/echo":
            digest = hashlib.sha256()

            async def tee() -> AsyncIterator[bytes]:
                async for chunk in req.body:
                    digest.update(chunk)
                    yield chunk

            return H3Response(
                200, content=tee(), trailers=lambda: [("x-sha256", digest.hexdigest())]
            )
        if req.path == "/manual":
            await req.send_headers(200, {"x-style": "imperative"})
            for part in (b"one ", b"two ", b"three"):
                await req.send_data(part)
            await req.send_trailers({"x-count": "3"})
            return None
        if req.path == "/firehose":
            try:
                await req.send_headers(200)
                while True:  # until the client stops reading
                    await req.send_data(b"f" * 65536)
                    self.pulled += 65536
            except zquic.errors.StreamReset as exc:  # STOP_SENDING from the client
                self.outcomes.append(f"stopped:{exc.error_code:#x}")
                raise
            finally:
                self.big_done.set()
        if req.path == "/boom":
            raise RuntimeError("handler bug")
        if req.path == "/slow":
            self.slow_started.set()
            try:
                await req.aread()  # the client never finishes its body
            except H3StreamError as exc:
                self.outcomes.append(f"reset:{exc.code:#x}")
                raise
            finally:
                self.slow_done.set()
        return H3Response(404, content=b"not found")


@asynccontextmanager
async def h3_server(backend: str, server_tls: Any, app: Any) -> AsyncIterator[int]:
    async with open_h3_server(
        HOST, 0, tls=server_tls("wraith"), handler=app, backend=backend
    ) as endpoint:
        yield endpoint.local_address[1]


@asynccontextmanager
async def h3_client(backend: str, client_tls: Any, port: int) -> AsyncIterator[H3Client]:
    async with H3Client.connect(HOST, port, tls=client_tls(), backend=backend) as client:
        assert client.connection.alpn_protocol == ALPN_H3
        yield client


async def test_get_and_post(backend, server_tls, client_tls):
    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            r = await client.get("/hello?x=1", headers={"X-Who": "ghost"})
            assert r.status == 200
            assert r.header("content-type") == "text/plain" and r.header("x-method") == "GET"
            assert await r.aread() == f"hello 127.0.0.1:{port} /hello?x=1 ghost".encode()
            assert r.trailers is None

            r = await client.post("/upload", content=b"abc")
            assert r.status == 201
            assert await r.aread() == f"3 {hashlib.sha256(b'abc').hexdigest()}".encode()

            r = await client.get("https://localhost/nowhere")
            assert r.status == 404 and await r.aread() == b"not found"


async def test_large_bodies_both_directions(backend, server_tls, client_tls):
    size = 4 * MiB
    chunks = payload_chunks(size, seed=1)
    expected = hashlib.sha256(b"".join(chunks)).hexdigest()
    app = App()
    with trio.fail_after(30):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            # Upload: the server hashes a streamed 4 MiB request body.
            r = await client.post("/upload", content=aiter_chunks(chunks))
            assert await r.aread() == f"{size} {expected}".encode()
            # Download: a streamed 4 MiB response, read chunk by chunk, checked by its trailer.
            r = await client.get(f"/download/{size}")
            digest = hashlib.sha256()
            received = 0
            async for chunk in r:
                digest.update(chunk)
                received += len(chunk)
            assert received == size
            assert r.trailers == [("x-sha256", digest.hexdigest())]
            assert digest.hexdigest() == hashlib.sha256(b"".join(payload_chunks(size))).hexdigest()
            # Echo: both directions at once (the request body is still being sent while the
            # response streams back), with a trailer computed after the body.
            r = await client.post("/echo", content=aiter_chunks(chunks))
            assert r.status == 200
            echoed = await r.aread()
            assert len(echoed) == size and hashlib.sha256(echoed).hexdigest() == expected
            assert r.trailers == [("x-sha256", expected)]


async def test_trailers_both_ways_and_imperative_responses(backend, server_tls, client_tls):
    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            r = await client.post(
                "/upload", content=b"with trailers", trailers=[("x-checksum", "abc123")]
            )
            assert r.status == 201
            await r.aread()
            assert r.trailers == [("x-seen-trailers", repr([("x-checksum", "abc123")]))]

            r = await client.get("/manual")
            assert r.header("x-style") == "imperative"
            assert await r.aread() == b"one two three"
            assert r.trailers == [("x-count", "3")]


async def test_32_concurrent_requests_one_connection(backend, server_tls, client_tls):
    app = App()
    results: dict[int, bytes] = {}
    with trio.fail_after(20):
        async with open_h3_server(
            HOST, 0, tls=server_tls("wraith"), handler=app, backend=backend
        ) as endpoint:
            port = endpoint.local_address[1]
            async with h3_client(backend, client_tls, port) as client:

                async def one(i: int) -> None:
                    if i % 2:
                        r = await client.post("/upload", content=b"x" * (i * 1000))
                    else:
                        r = await client.get(f"/hello/{i}", headers={"x-who": str(i)})
                    assert r.status in (200, 201)
                    results[i] = await r.aread()

                async with trio.open_nursery() as nursery:
                    for i in range(32):
                        nursery.start_soon(one, i)
            assert endpoint.stats()["connections_accepted"] == 1
    assert len(results) == 32
    for i, body in results.items():
        if i % 2:
            assert body.startswith(f"{i * 1000} ".encode())
        else:
            assert body == f"hello 127.0.0.1:{port} /hello/{i} {i}".encode()


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param([(":method", "GET")], id="missing-path-scheme-authority"),
        pytest.param(
            [(":method", "GET"), (":scheme", "https"), (":authority", "x"), (":path", "/a"),
             (":path", "/b")],
            id="duplicate-path",
        ),
        pytest.param(
            [(":method", "GET"), (":scheme", "https"), (":authority", "x"), (":path", "/a"),
             ("x-ok", "1"), (":late", "pseudo")],
            id="pseudo-after-regular",
        ),
    ],
)  # fmt: skip
async def test_malformed_request_gets_400_and_connection_keeps_serving(
    backend, server_tls, client_tls, fields
):
    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            ok = await client.get("/hello")
            await ok.aread()
            r = await client.send_raw_request(fields)
            assert r.status == 400
            assert (await r.aread()).startswith(b"bad request")
            # Same connection, next requests are served.
            assert not client.connection.is_closed
            for _ in range(3):
                r = await client.get("/hello", headers={"x-who": "after"})
                assert (await r.aread()).endswith(b"after")


async def test_handler_error_is_500_and_connection_survives(backend, server_tls, client_tls):
    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            r = await client.get("/boom")
            assert r.status == 500
            await r.aread()
            r = await client.get("/hello")
            assert r.status == 200


async def test_slow_reader_bounds_the_writer_then_stop_sending(backend, server_tls, client_tls):
    """Backpressure: a client that does not read stalls the handler's send_data."""
    app = App()
    with trio.fail_after(20):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            r = await client.get("/firehose")
            assert r.status == 200
            await trio.testing.wait_all_tasks_blocked(cushion=0.1)
            stalled_at = app.pulled
            # Stream window (1 MiB) + send buffer (512 KiB) + the qh3 receive backlog: far
            # below what an unbounded writer would push in the same time.
            assert stalled_at < 6 * MiB
            got = 0
            async for chunk in r:
                got += len(chunk)
                if got >= 2 * MiB and app.pulled > stalled_at:
                    break  # reading let the writer continue
            await r.aclose()  # STOP_SENDING
            await app.big_done.wait()
            assert app.outcomes == [f"stopped:{H3ErrorCode.H3_NO_ERROR:#x}"]
            r = await client.get("/hello")
            assert r.status == 200


async def test_cancelled_request_resets_stream(backend, server_tls, client_tls):
    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):

            async def endless() -> AsyncIterator[bytes]:
                yield b"start"
                await trio.sleep_forever()

            async with trio.open_nursery() as nursery:

                async def doomed() -> None:
                    await client.post("/slow", content=endless())

                nursery.start_soon(doomed)
                await app.slow_started.wait()
                nursery.cancel_scope.cancel()
            await app.slow_done.wait()
            assert app.outcomes == [f"reset:{H3ErrorCode.H3_REQUEST_CANCELLED:#x}"]
            r = await client.get("/hello")
            assert r.status == 200


async def test_request_body_error_fails_only_that_request(backend, server_tls, client_tls):
    async def broken() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ValueError("producer failed")

    app = App()
    with trio.fail_after(10):
        async with (
            h3_server(backend, server_tls, app) as port,
            h3_client(backend, client_tls, port) as client,
        ):
            with pytest.raises(H3StreamError):
                r = await client.post("/upload", content=broken())
                await r.aread()
            r = await client.get("/hello")
            assert r.status == 200


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        pytest.param(b"\x00\x03abc", H3ErrorCode.H3_FRAME_UNEXPECTED, id="data-before-headers"),
        pytest.param(b"\x01\x40\x20short", H3ErrorCode.H3_FRAME_ERROR, id="truncated-headers"),
    ],
)
async def test_frame_errors_close_only_that_connection(
    backend, server_tls, client_tls, frames, code
):
    app = App()
    with trio.fail_after(10):
        async with h3_server(backend, server_tls, app) as port:
            async with h3_client(backend, client_tls, port) as bystander:
                async with zquic.connect(
                    HOST, port, tls=client_tls(), alpn_protocols=[ALPN_H3], backend=backend
                ) as raw:
                    stream = await raw.open_stream()
                    await stream.send_all(frames)
                    await stream.send_eof()
                    await raw.wait_closed()
                    assert raw.close_reason is not None and raw.close_reason.by_peer
                    assert raw.close_reason.error_code == code
                # Other connections, old and new, are still served.
                r = await bystander.get("/hello")
                assert r.status == 200
            async with h3_client(backend, client_tls, port) as fresh:
                r = await fresh.get("/hello")
                assert r.status == 200


async def test_ipv6(backend, server_tls, client_tls):
    app = App()
    with trio.fail_after(10):
        async with open_h3_server(
            "::1", 0, tls=server_tls("wraith"), handler=app, backend=backend
        ) as endpoint:
            port = endpoint.local_address[1]
            async with H3Client.connect("::1", port, tls=client_tls(), backend=backend) as client:
                r = await client.get("/hello")
                assert await r.aread() == f"hello [::1]:{port} /hello None".encode()


async def test_more_requests_than_the_stream_limit(backend, server_tls, client_tls):
    """160 requests held open at once exceed the server's concurrent-stream limit (100 on
    qh3, 128 on aioquic): the client queues the excess instead of failing."""
    release = trio.Event()
    inside = 0

    async def held(req: H3Request) -> H3Response:
        nonlocal inside
        inside += 1
        await release.wait()
        return H3Response(200, content=req.path.encode())

    done: list[bool] = []
    with trio.fail_after(20):
        async with (
            h3_server(backend, server_tls, held) as port,
            h3_client(backend, client_tls, port) as client,
        ):

            async def one(i: int) -> None:
                r = await client.get(f"/{i}")
                done.append(await r.aread() == f"/{i}".encode())

            async with trio.open_nursery() as nursery:
                for i in range(160):
                    nursery.start_soon(one, i)
                await trio.testing.wait_all_tasks_blocked(cushion=0.1)
                assert 0 < inside <= 128  # the rest wait for stream credit
                release.set()
    assert done == [True] * 160
