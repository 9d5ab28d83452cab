"""Test helper: a subprocess whose merged output is collected so tests can wait on lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import trio

HERE = Path(__file__).resolve().parent


class Proc:
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

    async def wait_for(self, pred: Callable[[str], bool]) -> str:
        """Return the first output line matching `pred` (fails if output ends first)."""
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            if self.eof:
                raise AssertionError("output ended without the expected line:\n" + self.text)
            await self._changed.wait()

    async def wait_event(self, event: str) -> dict:
        """Wait for a JSON log line with this event and return it parsed."""
        line = await self.wait_for(lambda s: f'"event": "{event}"' in s)
        return json.loads(line[line.index("{") :])

    async def finish(self) -> int:
        code = await self.proc.wait()
        while not self.eof:
            await self._changed.wait()
        return code

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@asynccontextmanager
async def spawn(args: list[str], cwd: Path | None = None) -> AsyncIterator[Proc]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    env = {k: v for k, v in env.items() if not k.startswith("GHOST")}
    proc = await trio.lowlevel.open_process(
        [sys.executable, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    p = Proc(proc)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(p._read)
            yield p
            nursery.cancel_scope.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
        with trio.CancelScope(shield=True):
            await proc.wait()
