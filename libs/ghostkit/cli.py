"""`ghostnet`: dev certificates and the native launcher for the whole ecosystem."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import attrs
import h11
import trio
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ghostkit.certs import ensure_dev_certs
from ghostkit.config import ADMIN_PORTS, STATE_DIR_ENV

DEFAULT_STATE_DIR = ".ghostnet"
READY_TIMEOUT = 60.0
STOP_GRACE = 15.0  # above the daemons' default shutdown_grace (10 s) so they can drain
PROBE_INTERVAL = 0.1
PROBE_TIMEOUT = 2.0


@attrs.frozen
class DaemonSpec:
    """One daemon the launcher can start: `python -m <module> --state-dir .. --admin-port ..`."""

    name: str  # daemon name: env prefix GHOST_<NAME>_, certificate name
    module: str  # importable package with a __main__ module
    admin_port: int  # where the launcher waits for /readyz
    depends_on: tuple[str, ...] = ()
    extra_args: tuple[str, ...] = ()


# Start order follows this table, adjusted so dependencies always come first.
DAEMONS: tuple[DaemonSpec, ...] = (
    DaemonSpec("ghostd", "ghostd_stub", ADMIN_PORTS["ghostd"]),
    DaemonSpec("ghostbridge", "ghostbridge", ADMIN_PORTS["ghostbridge"]),
    DaemonSpec("walletd", "walletd_stub", ADMIN_PORTS["walletd"], depends_on=("ghostbridge",)),
    DaemonSpec("cns", "cns", ADMIN_PORTS["cns"], depends_on=("ghostbridge", "ghostd")),
    DaemonSpec("wraith", "wraith", ADMIN_PORTS["wraith"], depends_on=("ghostbridge",)),
)


def is_available(module: str) -> bool:
    """True when `module` is a package with a __main__, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(loc) / "__main__.py").is_file() for loc in spec.submodule_search_locations)


def start_order(specs: Sequence[DaemonSpec]) -> list[DaemonSpec]:
    """Dependencies first, otherwise table order; dependencies outside `specs` are ignored."""
    by_name = {s.name: s for s in specs}
    done: list[DaemonSpec] = []
    seen: set[str] = set()

    def visit(spec: DaemonSpec, stack: tuple[str, ...]) -> None:
        if spec.name in seen:
            return
        if spec.name in stack:
            raise ValueError(f"dependency cycle: {' -> '.join((*stack, spec.name))}")
        for dep in spec.depends_on:
            if dep in by_name:
                visit(by_name[dep], (*stack, spec.name))
        seen.add(spec.name)
        done.append(spec)

    for spec in specs:
        visit(spec, ())
    return done


def ca_fingerprint(ca_pem: Path) -> str:
    cert = x509.load_pem_x509_certificate(ca_pem.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":")


# ---------------------------------------------------------------- readiness probe


async def probe_readyz(host: str, port: int) -> int | None:
    """HTTP status of GET /readyz, or None if nothing answers properly."""
    conn = h11.Connection(h11.CLIENT)
    with trio.move_on_after(PROBE_TIMEOUT):
        try:
            stream = await trio.open_tcp_stream(host, port)
        except OSError:
            return None
        async with stream:
            try:
                req = h11.Request(
                    method="GET",
                    target="/readyz",
                    headers=[("Host", f"{host}:{port}"), ("Connection", "close")],
                )
                await stream.send_all(conn.send(req) + conn.send(h11.EndOfMessage()))
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        conn.receive_data(await stream.receive_some(4096))
                    elif isinstance(event, h11.Response):
                        return event.status_code
                    else:
                        return None
            except (OSError, trio.BrokenResourceError, h11.ProtocolError):
                return None
    return None


# ---------------------------------------------------------------- launcher


@attrs.define(eq=False)
class _Child:
    spec: DaemonSpec
    proc: trio.Process
    exited: trio.Event = attrs.field(factory=trio.Event)


def _say(out: TextIO, message: str) -> None:
    print(f"ghostnet: {message}", file=out, flush=True)


async def _pump(child: _Child, out: TextIO) -> None:
    """Forward a child's output line by line, prefixed with its name."""
    assert child.proc.stdout is not None
    prefix = f"[{child.spec.name}] "
    buf = b""
    async for chunk in child.proc.stdout:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            out.write(prefix + line.decode("utf-8", "replace") + "\n")
        out.flush()
    if buf:
        out.write(prefix + buf.decode("utf-8", "replace") + "\n")
        out.flush()


async def _stop_all(children: list[_Child], grace: float, out: TextIO) -> None:
    running = [c for c in reversed(children) if c.proc.returncode is None]
    for child in running:
        _say(out, f"stopping {child.spec.name} (pid {child.proc.pid})")
        child.proc.send_signal(signal.SIGTERM)
    with trio.move_on_after(grace):
        for child in running:
            await child.exited.wait()
    for child in running:
        if child.proc.returncode is None:
            _say(out, f"{child.spec.name} did not stop within {grace:g}s; killing it")
            child.proc.kill()
            await child.proc.wait()


async def launch(
    specs: Sequence[DaemonSpec],
    state_dir: Path,
    *,
    out: TextIO = sys.stdout,
    python: str = sys.executable,
    ready_timeout: float = READY_TIMEOUT,
    stop_grace: float = STOP_GRACE,
    host: str = "127.0.0.1",
) -> int:
    """Start `specs` in order, each after the previous is ready; run until a signal or a death.

    Returns 0 after a signal-initiated stop, 1 when a daemon died or never became ready.
    """
    children: list[_Child] = []
    stop = trio.Event()
    failures: list[str] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def fail(message: str) -> None:
        if not stop.is_set():
            failures.append(message)
            _say(out, message + "; stopping the rest")
            stop.set()

    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def on_signals() -> None:
                async for signum in signals:
                    if not stop.is_set():
                        _say(out, f"{signal.Signals(signum).name} received; stopping daemons")
                        stop.set()
                    else:  # a second signal: no more patience
                        for child in children:
                            if child.proc.returncode is None:
                                child.proc.kill()

            async def watch(child: _Child) -> None:
                code = await child.proc.wait()
                child.exited.set()
                fail(f"{child.spec.name} exited with code {code}")

            async def start_all() -> None:
                for spec in specs:
                    if stop.is_set():
                        return
                    cmd = [
                        python, "-m", spec.module,
                        "--state-dir", str(state_dir),
                        "--admin-port", str(spec.admin_port),
                        *spec.extra_args,
                    ]  # fmt: skip
                    _say(out, f"starting {spec.name}: {' '.join(cmd[1:])}")
                    # Own session: a terminal Ctrl-C reaches only the launcher, which then sends
                    # exactly one SIGTERM (a second signal would make a daemon skip draining).
                    try:
                        proc = await trio.lowlevel.open_process(
                            cmd,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            env=env,
                            start_new_session=True,
                        )
                    except OSError as exc:
                        fail(f"cannot start {spec.name}: {exc}")
                        return
                    child = _Child(spec, proc)
                    children.append(child)
                    nursery.start_soon(_pump, child, out)
                    nursery.start_soon(watch, child)
                    with trio.move_on_after(ready_timeout) as scope:
                        while not stop.is_set():
                            if await probe_readyz(host, spec.admin_port) == 200:
                                break
                            with trio.move_on_after(PROBE_INTERVAL):
                                await stop.wait()
                    if stop.is_set():
                        return
                    if scope.cancelled_caught:
                        fail(f"{spec.name} not ready after {ready_timeout:g}s")
                        return
                    _say(out, f"{spec.name} ready (admin http://{host}:{spec.admin_port})")
                _say(out, "all daemons ready; Ctrl-C stops them")

            starting = trio.CancelScope()
            started = trio.Event()

            async def run_start_all() -> None:
                with starting:
                    await start_all()
                started.set()

            nursery.start_soon(on_signals)
            nursery.start_soon(run_start_all)
            await stop.wait()
            # Let a spawn in progress finish first, so no child escapes the stop below.
            starting.cancel()
            await started.wait()
            await _stop_all(children, stop_grace, out)
            nursery.cancel_scope.cancel()
    _say(out, "stopped" if not failures else "stopped after a failure")
    return 1 if failures else 0


# ---------------------------------------------------------------- commands


def _state_dir(value: str | None) -> Path:
    return Path(value or os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)


def cmd_certs(args: argparse.Namespace) -> int:
    state_dir = _state_dir(args.state_dir)
    try:
        certs = ensure_dev_certs(state_dir, extra_names=args.name or ())
        fingerprint = ca_fingerprint(certs.ca.cert)
    except (OSError, ValueError) as exc:
        print(f"ghostnet certs: cannot create certificates in {state_dir}: {exc}", file=sys.stderr)
        return 1
    print(f"certificates in {certs.directory}")
    print(f"  CA          {certs.ca.cert}  (key {certs.ca.key})")
    print(f"  CA SHA-256  {fingerprint}")
    for name, pair in certs.servers.items():
        client = certs.clients[name]
        print(f"  {name:<11} server {pair.cert}  client {client.cert}")
    return 0


def cmd_up(args: argparse.Namespace, table: Sequence[DaemonSpec] = DAEMONS) -> int:
    state_dir = _state_dir(args.state_dir)
    known = {s.name for s in table}
    unknown = [n for n in (args.only or ()) if n not in known]
    if unknown:
        names = ", ".join(unknown)
        print(
            f"ghostnet up: unknown daemon(s) {names}; known: {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    wanted = [s for s in table if not args.only or s.name in args.only]
    available = [s for s in wanted if is_available(s.module)]
    missing = [s for s in wanted if s not in available]
    for spec in missing:
        _say(sys.stdout, f"{spec.name} not available yet (no module {spec.module}.__main__)")
    if not available:
        _say(sys.stdout, "no daemons available; nothing to start")
        return 0
    try:
        ensure_dev_certs(state_dir)
    except OSError as exc:
        print(f"ghostnet up: cannot create certificates in {state_dir}: {exc}", file=sys.stderr)
        return 1
    return trio.run(
        lambda: launch(start_order(available), state_dir, ready_timeout=args.ready_timeout)
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ghostnet", description="GhostNet-Py developer tool.")
    sub = parser.add_subparsers(dest="command", required=True)
    state_help = f"state directory (default: ${STATE_DIR_ENV} or {DEFAULT_STATE_DIR})"

    certs = sub.add_parser("certs", help="create or reuse the dev CA and daemon certificates")
    certs.add_argument("--state-dir", help=state_help)
    certs.add_argument(
        "--name", action="append", metavar="SAN", help="extra subject alt name (repeatable)"
    )
    certs.set_defaults(func=cmd_certs)

    up = sub.add_parser("up", help="start the daemons in dependency order and supervise them")
    up.add_argument("--state-dir", help=state_help)
    up.add_argument(
        "--only", action="append", metavar="NAME", help="start only this daemon (repeatable)"
    )
    up.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        help=f"seconds to wait for each daemon's /readyz (default {READY_TIMEOUT:g})",
    )
    up.set_defaults(func=cmd_up)

    from ghostkit.call import add_parser as add_call_parser

    add_call_parser(sub, state_help)
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    code = args.func(args)
    sys.exit(code)


if __name__ == "__main__":
    main()
