"""Shared integration fixtures: launch real daemon processes and stop them reliably.

    async def test_x(launch, tmp_path):
        node = await launch("ghostd_stub", "--state-dir", str(tmp_path), "--listen-port", "0")
        info = await node.wait_event("rpc_listening")        # any JSON log event
        ...
        code = await node.stop()                              # SIGTERM, wait, SIGKILL fallback

`launch(module, *flags)` runs `python -m <module> --log-format json --admin-port <free>
<flags>`, collects its merged stdout/stderr, and returns once the daemon logged `ready`
(ghostkit's readiness line, emitted when /readyz turns 200). A daemon that exits first fails
the test with its output. At teardown every daemon still running gets SIGTERM, then SIGKILL
after STOP_TIMEOUT seconds; every process is reaped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trio

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _clean_environ() -> dict[str, str]:
    """The test's environment minus GHOST* settings, so a developer's shell cannot leak
    configuration into a daemon under test (pass `env=` to set some on purpose)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GHOST")}


class Daemon:
    """A running daemon process and the lines it printed so far."""

    def __init__(self, name: str, argv: list[str], proc: trio.Process) -> None:
        self.name = name
        self.argv = argv
        self.proc = proc
        self.lines: list[str] = []
        self.eof = False
        self.admin_port: int | None = None
        self._changed = trio.Event()

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        buf = b""
        async for chunk in self.proc.stdout:
            buf += chunk
            *done, buf = buf.split(b"\n")
            self.lines.extend(line.decode("utf-8", "replace") for line in done)
            self._changed.set()
            self._changed = trio.Event()
        if buf:
            self.lines.append(buf.decode("utf-8", "replace"))
        self.eof = True
        self._changed.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.returncode is None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        """Every JSON log line so far (optionally only those with this event)."""
        out = []
        for line in self.lines:
            start = line.find("{")
            if start < 0:
                continue
            try:
                parsed = json.loads(line[start:])
            except ValueError:
                continue
            if isinstance(parsed, dict) and (event is None or parsed.get("event") == event):
                out.append(parsed)
        return out

    async def wait_for(self, pred: Callable[[str], bool], start: int = 0) -> str:
        """The first output line from index `start` on matching `pred`; fails at EOF."""
        seen = start
        while True:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            if self.eof:
                raise AssertionError(
                    f"{self.name} output ended without the expected line:\n{self.text[-4000:]}"
                )
            await self._changed.wait()

    async def wait_event(
        self, event: str, start: int = 0, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The first JSON log line with this event (and matching `where`)."""

        def match(line: str) -> bool:
            if f'"event": "{event}"' not in line and f'"event":"{event}"' not in line:
                return False
            return where is None or where(json.loads(line[line.index("{") :]))

        line = await self.wait_for(match, start)
        return json.loads(line[line.index("{") :])

    def signal(self, sig: int) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, sig)

    async def wait_exit(self) -> int:
        code = await self.proc.wait()
        while not self.eof:
            await self._changed.wait()
        return code

    async def stop(self, grace: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL; returns the exit code."""
        self.signal(signal.SIGTERM)
        with trio.move_on_after(grace):
            return await self.wait_exit()
        self.signal(signal.SIGKILL)
        return await self.wait_exit()

    async def kill(self) -> int:
        """SIGKILL (a crash: no drain, no cleanup) and reap."""
        self.signal(signal.SIGKILL)
        return await self.wait_exit()


class Launcher:
    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self.daemons: list[Daemon] = []

    async def __call__(
        self,
        module: str,
        *flags: str,
        env: dict[str, str] | None = None,
        ready: bool = True,
        ready_within: float = READY_TIMEOUT,
    ) -> Daemon:
        argv = [sys.executable, "-m", module]
        if "--log-format" not in flags:
            argv += ["--log-format", "json"]
        if "--admin-port" not in flags:
            argv += ["--admin-port", str(free_tcp_port())]
        argv += list(flags)
        proc = await trio.lowlevel.open_process(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**_clean_environ(), "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        daemon = Daemon(module, argv, proc)
        self.daemons.append(daemon)
        self._nursery.start_soon(daemon._read)
        if ready:
            with trio.fail_after(ready_within):
                event = await daemon.wait_event("ready")
            daemon.admin_port = event.get("admin_port")
        return daemon

    async def stop_all(self) -> None:
        for daemon in reversed(self.daemons):
            if daemon.running:
                await daemon.stop()
            else:
                await daemon.wait_exit()


@pytest.fixture
async def launch() -> AsyncIterator[Launcher]:
    """Start daemons with `await launch(module, *flags)`; all are stopped at teardown."""
    async with trio.open_nursery() as nursery:
        launcher = Launcher(nursery)
        try:
            yield launcher
        finally:
            with trio.CancelScope(shield=True):
                await launcher.stop_all()
            nursery.cancel_scope.cancel()
