"""Rate-limited logging so hostile or broken peers cannot flood the logs."""

from __future__ import annotations

import time
from typing import Any


class RateLimitedLog:
    """Log the first event, then at most one summary line per `interval` seconds."""

    def __init__(self, logger: Any, event: str, interval: float = 10.0) -> None:
        self._log = logger
        self._event = event
        self._interval = interval
        self._next = 0.0
        self._suppressed = 0
        self.count = 0

    def _emit(self, level: str, kw: dict[str, Any]) -> None:
        self.count += 1
        now = time.monotonic()
        if now < self._next:
            self._suppressed += 1
            return
        self._next = now + self._interval
        if self._suppressed:
            kw["suppressed"] = self._suppressed
            self._suppressed = 0
        getattr(self._log, level)(self._event, **kw)

    def warning(self, **kw: Any) -> None:
        self._emit("warning", kw)

    def info(self, **kw: Any) -> None:
        self._emit("info", kw)
