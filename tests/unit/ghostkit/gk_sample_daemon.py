"""A tiny daemon for the run_daemon and launcher tests: one in-flight job that drains slowly."""

from __future__ import annotations

import attrs
import trio
from ghostkit.config import CommonConfig, setting
from ghostkit.daemon import DaemonContext, StartupError, run_daemon


@attrs.frozen
class SampleConfig(CommonConfig):
    drain_seconds: float = setting(
        0.5, help="time the in-flight job needs to finish", duration=True
    )
    crash_after_ready: bool = setting(False, help="raise right after declaring ready")
    password: str = setting("", help="a secret that must never be logged", secret=True)
    startup_error: str = setting("", help="raise StartupError(this) from a nested nursery")
    udp_port: int | None = setting(None, help="bind a UDP socket on 127.0.0.1:PORT before ready")
    tcp_port: int | None = setting(None, help="listen on TCP 127.0.0.1:PORT before ready")


class SampleStartupError(StartupError):
    """A daemon-specific kind, as ghostd declares its own."""


async def _bind_udp(host: str, port: int) -> trio.socket.SocketType:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await sock.bind((host, port))  # the OSError surfaces raw, as from any server library
    return sock


async def sample_main(config: SampleConfig, ctx: DaemonContext[SampleConfig]) -> None:
    async def job() -> None:
        ctx.log.info("job_started")
        await ctx.shutdown_requested.wait()
        ctx.log.info("draining")
        await trio.sleep(config.drain_seconds)  # stands in for finishing in-flight requests
        ctx.log.info("drained")

    ctx.nursery.start_soon(job)
    if config.startup_error:

        async def fail() -> None:
            raise SampleStartupError(config.startup_error)

        async with trio.open_nursery() as outer:  # -> ExceptionGroup(ExceptionGroup(...))
            async with trio.open_nursery() as inner:
                inner.start_soon(fail)
            outer.start_soon(trio.sleep_forever)
    if config.udp_port is not None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_bind_udp, "127.0.0.1", config.udp_port)
    if config.tcp_port is not None:
        await trio.open_tcp_listeners(config.tcp_port, host="127.0.0.1")
    ctx.ready()
    if config.crash_after_ready:
        raise RuntimeError("sample crash")
    await ctx.shutdown_requested.wait()


if __name__ == "__main__":
    run_daemon("sample", SampleConfig, sample_main, description="The sample daemon of the tests.")
