"""ghostkit.rpcserve.drain_rpc: the daemons' shared drain sequence, with a stand-in server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import trio
import trio.testing
from ghostkit.rpcserve import drain_rpc
from structlog.testing import capture_logs


class FakeServer:
    def __init__(self, busy: int) -> None:
        self.active_calls = busy
        self.draining = False
        self.done = trio.Event()

    def start_draining(self) -> None:
        self.draining = True

    async def wait_idle(self) -> None:
        await self.done.wait()
        self.active_calls = 0


def _ctx(grace: float) -> Any:
    import structlog

    return SimpleNamespace(
        shutdown_requested=trio.Event(),
        shutdown_deadline=None,
        config=SimpleNamespace(shutdown_grace=grace),
        log=structlog.get_logger("test"),
    )


async def test_drains_after_the_request_and_reports_idle() -> None:
    ctx, server = _ctx(10.0), FakeServer(busy=2)
    stopped: list[bool] = []
    result: list[int] = []
    with trio.fail_after(5), capture_logs() as logs:
        async with trio.open_nursery() as nursery:

            async def run() -> None:
                result.append(
                    await drain_rpc(ctx, server, on_drain_start=lambda: stopped.append(True))
                )

            nursery.start_soon(run)
            await trio.testing.wait_all_tasks_blocked()
            assert not server.draining  # nothing happens before shutdown_requested
            ctx.shutdown_requested.set()
            await trio.testing.wait_all_tasks_blocked()
            assert server.draining and stopped == [True] and not result
            server.done.set()
    assert result == [0]
    assert [e for e in logs if e["event"] == "drained"][0]["still_running"] == 0


async def test_grace_running_out_reports_the_calls_left(autojump_clock: Any) -> None:
    ctx, server = _ctx(4.0), FakeServer(busy=3)
    ctx.shutdown_requested.set()
    ctx.shutdown_deadline = trio.current_time() + 4.0
    start = trio.current_time()
    with capture_logs() as logs:
        left = await drain_rpc(ctx, server)
    assert left == 3
    # Gave up before the grace ended, keeping a margin for closing the endpoint.
    assert 3.0 <= trio.current_time() - start < 4.0
    drained = [e for e in logs if e["event"] == "drained"]
    assert drained[0]["still_running"] == 3 and drained[0]["log_level"] == "warning"
