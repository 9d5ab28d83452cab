"""ghostbridge/1 over real QUIC: the Echo test service served by RpcServer on zquic."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import zquic

# The Echo test service and its .proto live with the unit tests; share them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "rpc"))

from echo_service import EchoService  # noqa: E402
from rpc_fakes import load_echo_pb2  # noqa: E402
from zquic.rpc import ALPN, Channel, RpcServer, Stub  # noqa: E402


@pytest.fixture(scope="session")
def echo_pb2() -> Any:
    return load_echo_pb2()


@attrs.define
class QuicRig:
    server: RpcServer
    conn: zquic.Connection
    channel: Channel
    stub: Any
    impl: EchoService
    port: int
    calls: list[tuple[Any, ...]]


@pytest.fixture
def open_rig(
    backend: str, echo_pb2: Any, run_server: Any, client_tls: Callable[..., Any]
) -> Callable[..., Any]:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opener(**server_kw: Any) -> AsyncIterator[QuicRig]:
        calls: list[tuple[Any, ...]] = []
        impl = EchoService(echo_pb2)
        server = RpcServer(on_call_done=lambda *a: calls.append(a), **server_kw)
        svc = echo_pb2.DESCRIPTOR.services_by_name["Echo"]
        server.add_service(svc, impl)
        async with run_server(handler=server.handle_connection, alpn_protocols=[ALPN]) as ep:
            port = ep.local_address[1]
            async with zquic.connect(
                "127.0.0.1", port, tls=client_tls(), alpn_protocols=[ALPN], backend=backend
            ) as conn:
                channel = Channel(conn)
                yield QuicRig(server, conn, channel, Stub(channel, svc), impl, port, calls)

    return opener


@pytest.fixture
async def qrig(open_rig: Any) -> AsyncIterator[QuicRig]:
    with trio.fail_after(30):
        async with open_rig() as rig:
            yield rig
