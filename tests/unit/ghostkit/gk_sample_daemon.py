"""A tiny daemon for the run_daemon and launcher tests: one in-flight job that drains slowly."""

from __future__ import annotations

import attrs
import trio
from ghostkit.config import CommonConfig, setting
from ghostkit.daemon import DaemonContext, run_daemon


@attrs.frozen
class SampleConfig(CommonConfig):
    drain_seconds: float = setting(
        0.5, help="time the in-flight job needs to finish", duration=True
    )
    crash_after_ready: bool = setting(False, help="raise right after declaring ready")
    password: str = setting("", help="a secret that must never be logged", secret=True)


async def sample_main(config: SampleConfig, ctx: DaemonContext[SampleConfig]) -> None:
    async def job() -> None:
        ctx.log.info("job_started")
        await ctx.shutdown_requested.wait()
        ctx.log.info("draining")
        await trio.sleep(config.drain_seconds)  # stands in for finishing in-flight requests
        ctx.log.info("drained")

    ctx.nursery.start_soon(job)
    ctx.ready()
    if config.crash_after_ready:
        raise RuntimeError("sample crash")
    await ctx.shutdown_requested.wait()


if __name__ == "__main__":
    run_daemon("sample", SampleConfig, sample_main)
