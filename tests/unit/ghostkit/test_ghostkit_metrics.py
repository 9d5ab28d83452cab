"""ghost_rpc_in_flight: count_in_flight wraps a servicer's handlers around the gauge."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from ghost.wallet.v1 import wallet_pb2
from ghostkit.metrics import count_in_flight, new_registry, rpc_metrics

SERVICE = wallet_pb2.DESCRIPTOR.services_by_name["WalletService"]


class Servicer:
    def __init__(self) -> None:
        self.release = trio.Event()
        self.started = trio.Event()

    async def GetBalance(self, request, context):  # type: ignore[no-untyped-def]
        self.started.set()
        await self.release.wait()
        if request.account == "boom":
            raise RuntimeError("handler failed")
        return wallet_pb2.GetBalanceResponse(address=request.account)

    async def StreamBalanceUpdates(self, request, context):  # type: ignore[no-untyped-def]
        for height in range(3):
            yield wallet_pb2.BalanceUpdate(height=height)


def gauge(registry, method: str) -> float:  # type: ignore[no-untyped-def]
    value = registry.get_sample_value(
        "ghost_rpc_in_flight", {"service": SERVICE.full_name, "method": method}
    )
    return 0.0 if value is None else value


async def test_unary_calls_count_while_running_also_when_they_fail() -> None:
    registry = new_registry(process_collectors=False)
    impl = Servicer()
    wrapped = count_in_flight(impl, SERVICE, rpc_metrics(registry))
    assert not hasattr(wrapped, "CreateAccount")  # unimplemented methods stay unimplemented
    results: list[object] = []

    async def call(account: str) -> None:
        try:
            results.append(
                await wrapped.GetBalance(wallet_pb2.GetBalanceRequest(account=account), None)
            )
        except RuntimeError as exc:
            results.append(exc)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "a")
            nursery.start_soon(call, "boom")
            await impl.started.wait()
            await trio.testing.wait_all_tasks_blocked()
            assert gauge(registry, "GetBalance") == 2
            impl.release.set()
    assert gauge(registry, "GetBalance") == 0
    assert len(results) == 2 and any(isinstance(r, RuntimeError) for r in results)


async def test_streams_count_until_they_end_or_are_closed() -> None:
    registry = new_registry(process_collectors=False)
    wrapped = count_in_flight(Servicer(), SERVICE, rpc_metrics(registry))
    stream = wrapped.StreamBalanceUpdates(wallet_pb2.StreamBalanceRequest(), None)
    first = await stream.__anext__()
    assert first.height == 0 and gauge(registry, "StreamBalanceUpdates") == 1
    await stream.aclose()  # the client went away mid-stream
    assert gauge(registry, "StreamBalanceUpdates") == 0
    heights = [ev.height async for ev in wrapped.StreamBalanceUpdates(None, None)]
    assert heights == [0, 1, 2] and gauge(registry, "StreamBalanceUpdates") == 0


def test_the_wrapped_servicer_binds_to_an_rpc_server() -> None:
    from zquic.rpc import RpcServer

    server = RpcServer()
    server.add_service(SERVICE, count_in_flight(Servicer(), SERVICE, rpc_metrics(new_registry())))
    assert SERVICE.full_name in server.services
    with pytest.raises(TypeError):  # the shape check still sees through the wrapper

        class Wrong:
            async def StreamBalanceUpdates(self, request, context):  # type: ignore[no-untyped-def]
                return None

        RpcServer().add_service(
            SERVICE, count_in_flight(Wrong(), SERVICE, rpc_metrics(new_registry()))
        )
