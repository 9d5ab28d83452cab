"""The shared RPC shutdown sequence of the daemons: drain, wait within the grace, report.

ctx.ready()
await drain_rpc(ctx, server)      # waits for shutdown_requested first
nursery.cancel_scope.cancel()     # closes the endpoint (pending replies are flushed first)
"""

from __future__ import annotations

from typing import Any, Protocol

import trio

from ghostkit.daemon import DaemonContext

# Time kept back from the grace for logging and closing the endpoints before `main` is
# cancelled (at most this, at most a tenth of the grace).
CLOSE_MARGIN = 0.5


class Drainable(Protocol):
    def start_draining(self) -> None: ...

    async def wait_idle(self) -> None: ...

    @property
    def active_calls(self) -> int: ...


async def drain_rpc(
    ctx: DaemonContext[Any], *servers: Drainable, on_drain_start: Any = None
) -> int:
    """Wait for `ctx.shutdown_requested`, then drain `servers` within the remaining grace.

    New calls are refused with UNAVAILABLE and streams end with UNAVAILABLE at once; unary
    and client-streaming calls in flight finish and their replies are handed to the
    transport. `on_drain_start()` (optional) runs right after draining started (e.g. to stop
    a block producer). Logs `drained` (with `still_running` calls if the grace ran out) and
    returns how many calls were still running; the caller then cancels its nursery, which
    closes the endpoints.
    """
    await ctx.shutdown_requested.wait()
    for server in servers:
        server.start_draining()
    if on_drain_start is not None:
        on_drain_start()
    deadline = ctx.shutdown_deadline
    if deadline is None:
        deadline = trio.current_time() + ctx.config.shutdown_grace
    margin = min(CLOSE_MARGIN, ctx.config.shutdown_grace / 10)
    with trio.move_on_at(deadline - margin):
        for server in servers:
            await server.wait_idle()
    still = sum(server.active_calls for server in servers)
    if still:
        ctx.log.warning("drained", still_running=still, grace=ctx.config.shutdown_grace)
    else:
        ctx.log.info("drained", still_running=0)
    return still
