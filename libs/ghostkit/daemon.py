"""`run_daemon`: config, logging, admin server, readiness and graceful shutdown in one call."""

from __future__ import annotations

import errno
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
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


class StartupError(Exception):
    """The daemon cannot start (or go on) because of its settings or environment.

    Raise it from `main` (also from inside nurseries: ExceptionGroups are unwrapped) with a
    message for the operator that says what is wrong and, ideally, what to change, e.g.
    `StartupError("validator key file /x/key: wrong passphrase")`. `run_daemon` then logs
    `startup_failed error=<message>` once, prints the single line `<daemon>: <message>` to
    stderr, and exits 1 without a traceback. Subclass it for daemon-specific kinds. Any other
    exception escaping `main` is treated as a bug and logged with its traceback.
    """


# errno of a bind() that failed because of the address/port chosen, not because of a bug.
_BIND_ERRNOS: dict[int, str] = {
    errno.EADDRINUSE: "address already in use",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "address not available on this host",
}


def _hostport(host: str, port: int | str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind_reason(exc: BaseException) -> str | None:
    """Why a bind failed, if `exc` is such a failure (no file name involved)."""
    if isinstance(exc, socket.gaierror):
        return f"unknown address ({exc.strerror or exc})"
    if isinstance(exc, OSError) and exc.errno in _BIND_ERRNOS and exc.filename is None:
        return _BIND_ERRNOS[exc.errno]
    return None


def listen_error(exc: BaseException, host: str, port: int) -> StartupError | None:
    """A StartupError `cannot listen on HOST:PORT: <reason>` if `exc` is a failed bind."""
    reason = _bind_reason(exc)
    return (
        None
        if reason is None
        else StartupError(f"cannot listen on {_hostport(host, port)}: {reason}")
    )


@contextmanager
def listening(host: str, port: int) -> Iterator[None]:
    """Turn a failed bind of `host:port` inside the block into a one-line StartupError.

    `with listening(host, port): await nursery.start(serve_rpc, server, host, port, ...)`
    """
    try:
        yield
    except Exception as exc:  # a bare OSError, or one inside (nested) ExceptionGroups
        leaves = list(_leaves(exc))
        if not leaves or not all(_bind_reason(leaf) for leaf in leaves):
            raise
        raise listen_error(leaves[0], host, port) from None


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            yield from _leaves(sub)
    else:
        yield exc


def _bind_address(exc: BaseException) -> str | None:
    """HOST:PORT of a failed bind, from the locals of the innermost frame that had both."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        local = tb.tb_frame.f_locals
        host, port = local.get("host"), local.get("port")
        if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool):
            found = _hostport(host, port)
        tb = tb.tb_next
    return found


def _is_bind_failure(exc: BaseException) -> bool:
    if _bind_reason(exc) is None or isinstance(exc, socket.gaierror):
        return False  # gaierror is as likely to come from a connect: only `listening` maps it
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_name
        if "bind" in name or "listen" in name or name in ("serve", "open_server"):
            return True
        tb = tb.tb_next
    return False


def startup_message(exc: BaseException) -> str | None:
    """The operator message if `exc` (or every leaf of its ExceptionGroups) is a StartupError
    or a failed bind; None for anything else, which is a bug deserving its traceback."""
    messages: list[str] = []
    for leaf in _leaves(exc):
        if isinstance(leaf, StartupError):
            messages.append(str(leaf) or type(leaf).__name__)
        elif _is_bind_failure(leaf):
            where = _bind_address(leaf)
            reason = _bind_reason(leaf)
            messages.append(
                f"cannot listen on {where}: {reason}" if where else f"cannot listen: {reason}"
            )
        else:
            return None
    return messages[0] if messages else None


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
    # trio time by which `main` is cancelled (set with `shutdown_requested`).
    shutdown_deadline: float | None = None

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
            self.shutdown_deadline = trio.current_time() + self.config.shutdown_grace
            self.readiness.set_draining()
            self.log.info("shutdown_requested", reason=reason, grace=self.config.shutdown_grace)
            self.shutdown_requested.set()


async def _run(
    name: str,
    config: C,
    main: Callable[[C, DaemonContext[C]], Awaitable[None]],
    log: Any,
) -> dict[str, Any]:
    readiness = Readiness()
    registry = get_registry()
    main_scope = trio.CancelScope()
    outcome: dict[str, Any] = {"code": EXIT_OK, "startup_error": None}

    # The signal receiver wraps everything, so no signal falls back to the default handlers
    # (KeyboardInterrupt) while the daemon starts or tears down.
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as root:
            try:
                admin_port = await root.start(
                    serve_admin, config.admin_host, config.admin_port, readiness, registry
                )
            except OSError as exc:
                err = listen_error(exc, config.admin_host, config.admin_port)
                message = str(err) if err else f"admin server: {exc}"
                log.error(
                    "admin_bind_failed",
                    host=config.admin_host,
                    port=config.admin_port,
                    error=message,
                )
                outcome["code"] = EXIT_FAILURE
                outcome["startup_error"] = message
                root.cancel_scope.cancel()
                return outcome
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
                except Exception as exc:
                    outcome["code"] = EXIT_FAILURE
                    message = startup_message(exc)
                    if message is None:
                        log.exception("daemon_failed")
                    else:
                        log.error("startup_failed", error=message)
                        outcome["startup_error"] = message
                finally:
                    main_done.set()

            async def watch_signals() -> None:
                count = 0
                async for signum in signals:
                    count += 1
                    sig = signal.Signals(signum).name
                    if count == 1 and ctx_box:
                        ctx_box[0].request_shutdown(sig)
                        main_scope.deadline = (
                            ctx_box[0].shutdown_deadline
                            or trio.current_time() + config.shutdown_grace
                        )
                    else:
                        log.warning("shutdown_now", signal=sig)
                        main_scope.cancel()

            root.start_soon(run_main)
            root.start_soon(watch_signals)
            await main_done.wait()
            root.cancel_scope.cancel()
    return outcome


def run_daemon(
    name: str,
    config_cls: type[C],
    main: Callable[[C, DaemonContext[C]], Awaitable[None]],
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
    description: str | None = None,
) -> NoReturn:
    """Run a daemon process to completion and exit: 0 after a clean stop or drain,
    1 if `main` failed or a port could not be bound, 2 on bad configuration.

    A StartupError from `main`, or a failed bind of a listening socket, ends with the one
    line `<name>: <message>` on stderr and no traceback; other exceptions are logged with one.
    """
    try:
        config = load_config(
            config_cls,
            name,
            sys.argv[1:] if argv is None else argv,
            prog=prog,
            description=description,
        )
    except ConfigError as exc:
        print(f"{name}: configuration error: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    log = setup_logging(config.log_level, config.log_format, name)
    log.info("starting", config=config_to_dict(config))
    try:
        outcome = trio.run(_run, name, config, main, log)
    except KeyboardInterrupt:  # only possible before the signal receiver is installed
        outcome = {"code": EXIT_OK, "startup_error": None}
    code = outcome["code"]
    log.info("stopped", exit_code=code)
    if outcome["startup_error"]:
        print(f"{name}: {outcome['startup_error']}", file=sys.stderr, flush=True)
    sys.exit(code)
