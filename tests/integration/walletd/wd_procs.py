"""Provisional daemon launcher for the walletd integration tests.

To be replaced by the shared launch fixture of tests/integration/conftest.py once it lands;
kept small on purpose: spawn `python -m <module>`, collect merged output, wait for JSON log
events, SIGTERM/SIGKILL by pid, always reap.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import trio


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, proc: trio.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.eof = False
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

    async def wait_for(self, pred: Callable[[str], bool], start: int = 0) -> str:
        seen = start
        while True:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            if self.eof:
                raise AssertionError("output ended without the expected line:\n" + self.text)
            await self._changed.wait()

    async def wait_event(self, event: str, start: int = 0) -> dict:
        line = await self.wait_for(lambda s: f'"event": "{event}"' in s, start)
        return json.loads(line[line.index("{") :])

    def signal(self, sig: int) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, sig)

    async def stop(self) -> int:
        self.signal(signal.SIGTERM)
        code = await self.proc.wait()
        while not self.eof:
            await self._changed.wait()
        return code

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@asynccontextmanager
async def spawn(module: str, *args: str) -> AsyncIterator[Daemon]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHOST")}
    env["PYTHONUNBUFFERED"] = "1"
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", module, "--log-format", "json", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    d = Daemon(proc)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(d._read)
            yield d
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            nursery.cancel_scope.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
        with trio.CancelScope(shield=True):
            await proc.wait()
