"""The RPC layer's Channel over a ConnectionPool endpoint (the `async open_stream()` contract)."""

from __future__ import annotations

import sys
from pathlib import Path

import trio
from zquic.pool import ConnectionPool, PoolConfig
from zquic.rpc import ALPN, Channel, RpcServer, Stub

# The Echo test service and its .proto live with the RPC unit tests; share them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "rpc"))

from echo_service import EchoService  # noqa: E402
from rpc_fakes import load_echo_pb2  # noqa: E402


async def test_rpc_channel_over_pool(backend, run_server, client_tls):
    echo_pb2 = load_echo_pb2()
    svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
    server = RpcServer()
    server.add_service(svc, EchoService(echo_pb2))
    with trio.fail_after(15):
        async with (
            run_server(handler=server.handle_connection, alpn_protocols=[ALPN]) as endpoint,
            ConnectionPool(
                tls=client_tls(),
                alpn_protocols=[ALPN],
                config=PoolConfig(max_streams_per_connection=4, max_connections=2),
                backend=backend,
            ) as pool,
        ):
            stub = Stub(Channel(pool.channel("127.0.0.1", endpoint.local_address[1])), svc)
            replies: list[str] = []

            async def call(i: int) -> None:
                replies.append((await stub.Unary(echo_pb2.EchoRequest(text=f"m{i}"))).text)

            async with trio.open_nursery() as nursery:
                for i in range(16):
                    nursery.start_soon(call, i)
            assert sorted(replies) == sorted(f"m{i}" for i in range(16))
            (snap,) = pool.stats().values()
            assert snap["streams_opened"] == 16 and snap["streams_in_flight"] == 0
            assert 1 <= snap["connections_created"] <= 2
            async with stub.ServerStream(echo_pb2.EchoRequest(count=5)) as stream:
                assert len([m async for m in stream]) == 5
            assert pool.stats()[next(iter(pool.stats()))]["streams_in_flight"] == 0
