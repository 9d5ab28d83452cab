from __future__ import annotations

import httpx
import trio
from ghostkit.admin import Readiness, route, serve_admin
from ghostkit.metrics import exposition, new_registry, rpc_metrics


async def _read_until_closed(stream: trio.SocketStream) -> bytes:
    data = b""
    while chunk := await stream.receive_some(65536):
        data += chunk
    return data


async def test_endpoints_over_loopback(nursery: trio.Nursery) -> None:
    registry = new_registry(process_collectors=False)
    rpc = rpc_metrics(registry)
    rpc.observe("ghost.wallet.v1.WalletService", "GetBalance", "OK", 0.003)
    with rpc.track("ghost.wallet.v1.WalletService", "Send") as call:
        call.code = "NOT_FOUND"
    readiness = Readiness()
    with trio.fail_after(10):
        port = await nursery.start(serve_admin, "127.0.0.1", 0, readiness, registry)
        assert port > 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            r = await client.get("/metrics")
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert (
                'ghost_rpc_requests_total{code="OK",method="GetBalance",'
                'service="ghost.wallet.v1.WalletService"} 1.0' in r.text
            )
            assert 'code="NOT_FOUND",method="Send"' in r.text
            assert "ghost_rpc_duration_seconds_bucket" in r.text
            assert 'ghost_rpc_in_flight{method="Send"' in r.text

            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
            readiness.set_ready()
            assert (await client.get("/readyz?verbose=1")).status_code == 200
            head = await client.head("/readyz")
            assert head.status_code == 200 and head.content == b""
            readiness.set_draining()
            r = await client.get("/readyz")
            assert r.status_code == 503 and "draining" in r.text
            assert (await client.get("/healthz")).status_code == 200

            assert (await client.get("/nope")).status_code == 404
            r = await client.post("/metrics", content=b"x" * 100)
            assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
            # The same keep-alive connection keeps working after a 405 with a body.
            assert (await client.get("/healthz")).status_code == 200


async def test_garbage_gets_400_and_server_survives(nursery: trio.Nursery) -> None:
    readiness = Readiness()
    with trio.fail_after(10):
        port = await nursery.start(
            serve_admin, "127.0.0.1", 0, readiness, new_registry(process_collectors=False)
        )
        for garbage in (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello?\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nContent-Length: banana\r\nHost: x\r\n\r\n",
            b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\n",
        ):
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            async with stream:
                await stream.send_all(garbage)
                reply = await _read_until_closed(stream)
            assert reply.startswith(b"HTTP/1.1 4"), (garbage[:20], reply[:60])
            assert reply.split(b" ")[1] in (b"400", b"431")
        # A client that connects and hangs up without a word is fine too.
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.aclose()

        # Pipelined keep-alive requests on one connection, then the server still serves.
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        async with stream:
            await stream.send_all(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            reply = await _read_until_closed(stream)
        assert reply.count(b"HTTP/1.1 ") == 2
        assert b"HTTP/1.1 200" in reply and b"HTTP/1.1 503" in reply
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert r.status_code == 200


def test_route_is_pure() -> None:
    readiness = Readiness(is_ready=True)
    assert route("GET", "/readyz", readiness, None).status == 200
    assert route("DELETE", "/readyz", readiness, None).status == 405
    assert route("GET", "/", readiness, None).status == 404
    body, ctype = exposition(new_registry(process_collectors=False))
    assert ctype.startswith("text/plain") and isinstance(body, bytes)


def test_rpc_metrics_track_counts_errors_as_unknown() -> None:
    registry = new_registry(process_collectors=False)
    rpc = rpc_metrics(registry)
    assert rpc_metrics(registry) is rpc  # registering twice would raise in prometheus_client
    try:
        with rpc.track("svc", "Boom"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    value = registry.get_sample_value(
        "ghost_rpc_requests_total", {"service": "svc", "method": "Boom", "code": "UNKNOWN"}
    )
    assert value == 1.0
    assert (
        registry.get_sample_value("ghost_rpc_in_flight", {"service": "svc", "method": "Boom"}) == 0
    )
