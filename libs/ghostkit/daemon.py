"""`run_daemon`: config, logging, admin server, readiness and graceful shutdown in one call."""

from __future__ import annotations

import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, NoReturn, TypeVar

import attrs
import trio
from prometheus_client import CollectorRegistry

from ghostkit.admin import Readiness, serve_admin
from ghostkit.config import CommonConfig, ConfigError, config_to_dict, load_config
from ghostkit.logging import setup_logging
from ghostkit.metrics import RpcMetrics, get_registry, rpc_metrics

C = TypeVar("C", bound=CommonConfig)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


@attrs.define(eq=False)
class DaemonContext(Generic[C]):
    """What `main` gets besides its config.

    Servers watch `shutdown_requested` to stop accepting and drain; `main` should return once
    drained. After `shutdown_grace` seconds past the first signal, `main` is cancelled.
    """

    name: str
    config: C
    log: Any  # structlog BoundLogger
    nursery: trio.Nursery  # background tasks; cancelled with `main` after the grace
    registry: CollectorRegistry
    rpc: RpcMetrics
    readiness: Readiness
    admin_port: int
    shutdown_requested: trio.Event = attrs.field(factory=trio.Event)

    def ready(self) -> None:
        """Flip /readyz to 200 (unless draining) and log `ready` once."""
        if not self.readiness.is_ready:
            self.readiness.set_ready()
            self.log.info("ready", admin_port=self.admin_port)

    @property
    def draining(self) -> bool:
        return self.readiness.draining

    def request_shutdown(self, reason: str = "requested") -> None:
        """Begin draining as a signal would (e.g. a fatal dependency loss)."""
        if not self.shutdown_requested.is_set():
            self.readiness.set_draining()
            self.log.info("shutdown_requested", reason=reason, grace=self.config.shutdown_grace)
            self.shutdown_requested.set()


async def _run(
    name: str,
    config: C,
    main: Callable[[C, DaemonContext[C]], Awaitable[None]],
    log: Any,
) -> int:
    readiness = Readiness()
    registry = get_registry()
    main_scope = trio.CancelScope()
    outcome: dict[str, Any] = {"code": EXIT_OK}

    # The signal receiver wraps everything, so no signal falls back to the default handlers
    # (KeyboardInterrupt) while the daemon starts or tears down.
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as root:
            try:
                admin_port = await root.start(
                    serve_admin, config.admin_host, config.admin_port, readiness, registry
                )
            except OSError as exc:
                log.error(
                    "admin_bind_failed",
                    host=config.admin_host,
                    port=config.admin_port,
                    error=str(exc),
                )
                root.cancel_scope.cancel()
                return EXIT_FAILURE
            log.info("admin_listening", host=config.admin_host, port=admin_port)

            main_done = trio.Event()
            ctx_box: list[DaemonContext[C]] = []

            async def run_main() -> None:
                try:
                    with main_scope:
                        async with trio.open_nursery() as nursery:
                            ctx = DaemonContext(
                                name=name,
                                config=config,
                                log=log,
                                nursery=nursery,
                                registry=registry,
                                rpc=rpc_metrics(registry),
                                readiness=readiness,
                                admin_port=admin_port,
                            )
                            ctx_box.append(ctx)
                            await main(config, ctx)
                    if main_scope.cancelled_caught:
                        log.warning("shutdown_forced", grace=config.shutdown_grace)
                except Exception:
                    log.exception("daemon_failed")
                    outcome["code"] = EXIT_FAILURE
                finally:
                    main_done.set()

            async def watch_signals() -> None:
                count = 0
                async for signum in signals:
                    count += 1
                    sig = signal.Signals(signum).name
                    if count == 1 and ctx_box:
                        ctx_box[0].request_shutdown(sig)
                        main_scope.deadline = trio.current_time() + config.shutdown_grace
                    else:
                        log.warning("shutdown_now", signal=sig)
                        main_scope.cancel()

            root.start_soon(run_main)
            root.start_soon(watch_signals)
            await main_done.wait()
            root.cancel_scope.cancel()
    return outcome["code"]


def run_daemon(
    name: str,
    config_cls: type[C],
    main: Callable[[C, DaemonContext[C]], Awaitable[None]],
    argv: Sequence[str] | None = None,
) -> NoReturn:
    """Run a daemon process to completion and exit: 0 after a clean stop or drain,
    1 if `main` failed or the admin port could not be bound, 2 on bad configuration."""
    try:
        config = load_config(config_cls, name, sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        print(f"{name}: configuration error: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    log = setup_logging(config.log_level, config.log_format, name)
    log.info("starting", config=config_to_dict(config))
    try:
        code = trio.run(_run, name, config, main, log)
    except KeyboardInterrupt:  # only possible before the signal receiver is installed
        code = EXIT_OK
    log.info("stopped", exit_code=code)
    sys.exit(code)
