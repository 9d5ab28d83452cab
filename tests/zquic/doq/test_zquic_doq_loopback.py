"""DoQ server and client over real loopback QUIC, on both cores; dnspython's client as a peer."""

from __future__ import annotations

from typing import Any

import dns.asyncbackend
import dns.asyncquery
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import pytest
import trio
import zquic
from zquic.doq import (
    ALPN_DOQ,
    DOQ_EXCESSIVE_LOAD,
    DOQ_INTERNAL_ERROR,
    DOQ_PROTOCOL_ERROR,
    DoQClient,
    DoQError,
    DoQProtocolError,
    encode_message,
    serve_doq,
)
from zquic.errors import ApplicationClosed
from zquic.pool import ConnectionPool

HOST = "127.0.0.1"


async def resolve(query: dns.message.Message) -> dns.message.Message:
    """A.B.C.D answers: the address encodes the query name length (to check pairing)."""
    name = query.question[0].name
    if name.labels[0] == b"boom":
        raise RuntimeError("resolver exploded")
    if name.labels[0] == b"slow":
        await trio.sleep_forever()
    resp = dns.message.make_response(query)
    n = len(name.to_text())
    resp.answer.append(dns.rrset.from_text(name, 60, "IN", "A", f"10.0.{n // 256}.{n % 256}"))
    return resp


def expected_address(name: str) -> str:
    n = len(name)
    return f"10.0.{n // 256}.{n % 256}"


async def start(
    nursery: trio.Nursery, backend: str, server_tls: Any, resolver: Any = resolve, **kw: Any
) -> int:
    endpoint = await nursery.start(
        lambda task_status: serve_doq(
            HOST,
            0,
            tls=server_tls("cns"),
            resolve=resolver,
            backend=backend,
            task_status=task_status,
            **kw,
        )
    )
    return endpoint.local_address[1]


def answer_of(resp: dns.message.Message) -> str:
    return resp.answer[0][0].to_text()


async def test_round_trips_and_many_queries_on_one_connection(backend, server_tls, client_tls):
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls)
            async with DoQClient.connect(HOST, port, tls=client_tls(), backend=backend) as client:
                q = dns.message.make_query("alice.ghost.", "A")
                q.id = 4242  # any ID: the client puts 0 on the wire and restores it
                resp = await client.query(q)
                assert resp.id == 4242 and q.is_response(resp)
                assert answer_of(resp) == expected_address("alice.ghost.")
                assert client.opener.alpn_protocol == ALPN_DOQ

                results: dict[str, str] = {}

                async def one(i: int) -> None:
                    name = f"{'n' * (i + 1)}.zns."
                    results[name] = answer_of(await client.query(dns.message.make_query(name, "A")))

                async with trio.open_nursery() as inner:
                    for i in range(40):
                        inner.start_soon(one, i)
                assert results == {name: expected_address(name) for name in results}
                assert len(results) == 40
            nursery.cancel_scope.cancel()


async def test_resolver_failure_is_servfail_and_connection_survives(
    backend, server_tls, client_tls
):
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls, query_timeout=0.2)
            async with DoQClient.connect(HOST, port, tls=client_tls(), backend=backend) as client:
                resp = await client.query(dns.message.make_query("boom.ghost.", "A"))
                assert resp.rcode() == dns.rcode.SERVFAIL
                resp = await client.query(dns.message.make_query("slow.ghost.", "A"))
                assert resp.rcode() == dns.rcode.SERVFAIL
                ok = await client.query(dns.message.make_query("fine.ghost.", "A"))
                assert answer_of(ok) == expected_address("fine.ghost.")
            nursery.cancel_scope.cancel()


async def raw_stream_bytes(conn: zquic.Connection, data: bytes) -> bytes:
    stream = await conn.open_stream()
    await stream.send_all(data)
    await stream.send_eof()
    out = b""
    while chunk := await stream.receive_some():
        out += chunk
    return out


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(encode_message(b"\x12\x34" + b"\x00" * 10), id="nonzero-id"),
        pytest.param(b"\x00\x40" + b"\x00" * 12, id="fin-before-length"),
        pytest.param(b"\x00", id="half-a-length"),
        pytest.param(encode_message(b"\x00" * 12) * 2, id="two-messages"),
    ],
)
async def test_protocol_error_closes_connection_server_carries_on(
    backend, server_tls, client_tls, bad
):
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls)
            async with zquic.connect(
                HOST, port, tls=client_tls(), alpn_protocols=[ALPN_DOQ], backend=backend
            ) as conn:
                with pytest.raises((ApplicationClosed, zquic.errors.StreamReset)):
                    await raw_stream_bytes(conn, bad)
                await conn.wait_closed()
                assert isinstance(conn.close_reason, ApplicationClosed)
                assert conn.close_reason.error_code == DOQ_PROTOCOL_ERROR
                assert conn.close_reason.by_peer
            # Every other (and every new) connection is still served.
            async with DoQClient.connect(HOST, port, tls=client_tls(), backend=backend) as client:
                resp = await client.query(dns.message.make_query("after.ghost.", "A"))
                assert answer_of(resp) == expected_address("after.ghost.")
            nursery.cancel_scope.cancel()


async def test_garbage_dns_message_gets_formerr(backend, server_tls, client_tls):
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls)
            async with zquic.connect(
                HOST, port, tls=client_tls(), alpn_protocols=[ALPN_DOQ], backend=backend
            ) as conn:
                junk = b"\x00\x00\x01\x00\x00\x01" + b"\x00" * 6 + b"\xff\xff"
                out = await raw_stream_bytes(conn, encode_message(junk))
                resp = dns.message.from_wire(out[2:])
                assert resp.rcode() == dns.rcode.FORMERR and resp.id == 0
                # The connection is still fine.
                good = dns.message.make_query("ok.ghost.", "A")
                good.id = 0
                out = await raw_stream_bytes(conn, encode_message(good.to_wire()))
                assert answer_of(dns.message.from_wire(out[2:])) == expected_address("ok.ghost.")
            nursery.cancel_scope.cancel()


async def test_excessive_load_resets_extra_streams(backend, server_tls, client_tls):
    entered = 0
    two_in = trio.Event()
    release = trio.Event()

    async def gated(query: dns.message.Message) -> dns.message.Message:
        nonlocal entered
        entered += 1
        if entered == 2:
            two_in.set()
        await release.wait()
        return await resolve(query)

    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(
                nursery, backend, server_tls, resolver=gated, max_queries_per_connection=2
            )
            async with DoQClient.connect(HOST, port, tls=client_tls(), backend=backend) as client:
                answers: list[str] = []

                async def slow(name: str) -> None:
                    answers.append(answer_of(await client.query(dns.message.make_query(name, "A"))))

                async with trio.open_nursery() as inner:
                    inner.start_soon(slow, "one.ghost.")
                    inner.start_soon(slow, "two.ghost.")
                    await two_in.wait()
                    with pytest.raises(DoQError) as info:
                        await client.query(dns.message.make_query("third.ghost.", "A"))
                    assert info.value.code == DOQ_EXCESSIVE_LOAD
                    release.set()
                assert sorted(answers) == sorted(
                    expected_address(n) for n in ("one.ghost.", "two.ghost.")
                )
                # Slots freed: the connection takes queries again.
                resp = await client.query(dns.message.make_query("four.ghost.", "A"))
                assert answer_of(resp) == expected_address("four.ghost.")
            nursery.cancel_scope.cancel()


async def test_doq_client_over_pool(backend, server_tls, client_tls):
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls)
            async with ConnectionPool(
                tls=client_tls(), alpn_protocols=[ALPN_DOQ], backend=backend
            ) as pool:
                client = DoQClient(pool.channel(HOST, port))
                for name in ("a.ghost.", "bb.ghost."):
                    resp = await client.query(dns.message.make_query(name, "A"))
                    assert answer_of(resp) == expected_address(name)
                (snap,) = pool.stats().values()
                assert snap["connections_created"] == 1 and snap["streams_in_flight"] == 0
            nursery.cancel_scope.cancel()


# qh3's server cannot fit its first flight to an aioquic ClientHello (dnspython's DoQ client
# is aioquic) into the anti-amplification budget and answers only after the client's PTO,
# ~1.3 s late (docs/zquic.md, "Interop quirk"). A Retry validates the address first and lifts
# the budget: what a CNS on qh3 should enable for such clients, and it keeps the test fast.
def interop_server_options(backend: str) -> dict[str, Any]:
    return {"retry": True} if backend == "qh3" else {}


async def with_doq_server(backend: str, server_tls: Any, fn: Any) -> Any:
    """Run `fn(port)` against a DoQ server; its exception propagates unwrapped."""
    outcome: list[Any] = []
    async with trio.open_nursery() as nursery:
        port = await start(nursery, backend, server_tls, **interop_server_options(backend))
        try:
            outcome.append(("ok", await fn(port)))
        except Exception as exc:
            outcome.append(("error", exc))
        nursery.cancel_scope.cancel()
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value


async def test_dnspython_sync_client_interop(backend, server_tls, dev_certs):
    q = dns.message.make_query("interop.ghost.", "A")

    async def ask(port: int) -> dns.message.Message:
        def sync() -> dns.message.Message:
            return dns.query.quic(
                q,
                HOST,
                port=port,
                timeout=5,
                verify=str(dev_certs.ca.cert),
                hostname="localhost",
            )

        return await trio.to_thread.run_sync(sync)

    with trio.fail_after(20):
        resp = await with_doq_server(backend, server_tls, ask)
    assert q.is_response(resp)
    assert answer_of(resp) == expected_address("interop.ghost.")


async def test_dnspython_trio_client_interop(backend, server_tls, dev_certs):
    q = dns.message.make_query("trio-interop.ghost.", "AAAA")

    async def ask(port: int) -> dns.message.Message:
        return await dns.asyncquery.quic(
            q,
            HOST,
            port=port,
            timeout=5,
            verify=str(dev_certs.ca.cert),
            hostname="localhost",
            backend=dns.asyncbackend.get_backend("trio"),
        )

    with trio.fail_after(20):
        resp = await with_doq_server(backend, server_tls, ask)
    assert q.is_response(resp)


async def test_query_without_fin_is_reset_after_timeout(backend, server_tls, client_tls):
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            port = await start(nursery, backend, server_tls, query_timeout=0.2)
            async with zquic.connect(
                HOST, port, tls=client_tls(), alpn_protocols=[ALPN_DOQ], backend=backend
            ) as conn:
                q = dns.message.make_query("nofin.ghost.", "A")
                q.id = 0
                stream = await conn.open_stream()
                await stream.send_all(encode_message(q.to_wire()))  # and no FIN
                with pytest.raises(zquic.errors.StreamReset) as info:
                    await stream.receive_some()
                assert info.value.error_code == DOQ_INTERNAL_ERROR
                assert not conn.is_closed  # a stream matter, not a connection error
            nursery.cancel_scope.cancel()


async def test_client_refuses_nonzero_response_id(backend, run_server, client_tls):
    """A server answering with a non-zero Message ID: the client closes with PROTOCOL_ERROR."""

    closed: list[Any] = []
    server_saw_close = trio.Event()

    async def bad_server(conn: zquic.Connection) -> None:
        stream = await conn.accept_stream()
        while await stream.receive_some():
            pass
        resp = dns.message.make_response(dns.message.make_query("x.", "A"))
        resp.id = 99
        await stream.send_all(encode_message(resp.to_wire()), eof=True)
        await conn.wait_closed()
        closed.append(conn.close_reason)
        server_saw_close.set()

    with trio.fail_after(10):
        async with run_server(handler=bad_server, alpn_protocols=[ALPN_DOQ]) as endpoint:
            async with zquic.connect(
                HOST,
                endpoint.local_address[1],
                tls=client_tls(),
                alpn_protocols=[ALPN_DOQ],
                backend=backend,
            ) as conn:
                with pytest.raises(DoQProtocolError):
                    await DoQClient(conn).query(dns.message.make_query("x.", "A"))
                assert conn.is_closed
            await server_saw_close.wait()
            assert closed[0].by_peer and closed[0].error_code == DOQ_PROTOCOL_ERROR
