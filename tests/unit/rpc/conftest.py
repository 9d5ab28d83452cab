from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
from rpc_fakes import FakeConnection, load_echo_pb2
from zquic.rpc import Channel, RpcServer, Stub


@pytest.fixture(scope="session")
def echo_pb2() -> Any:
    return load_echo_pb2()


@pytest.fixture
def calls_done() -> list[tuple[Any, ...]]:
    return []


@pytest.fixture
async def rig(echo_pb2: Any, calls_done: list[Any]) -> AsyncIterator[Any]:
    """A server bound to the Echo test service and a stub over a fake connection."""
    from echo_service import EchoService

    impl = EchoService(echo_pb2)
    server = RpcServer(on_call_done=lambda *a: calls_done.append(a))
    server.add_service(echo_pb2.DESCRIPTOR.services_by_name["Echo"], impl)
    conn = FakeConnection()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.handle_connection, conn)
        channel = Channel(conn)
        yield Rig(
            server, conn, channel, Stub(channel, echo_pb2.DESCRIPTOR.services_by_name["Echo"]), impl
        )
        await conn.close()
        nursery.cancel_scope.cancel()


class Rig:
    def __init__(self, server: Any, conn: Any, channel: Any, stub: Any, impl: Any) -> None:
        self.server, self.conn, self.channel, self.stub, self.impl = (
            server,
            conn,
            channel,
            stub,
            impl,
        )
