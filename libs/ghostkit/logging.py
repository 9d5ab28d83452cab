"""structlog setup shared by every daemon: key-value console lines or one JSON object a line."""

from __future__ import annotations

import logging as _stdlib_logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal, TextIO

import structlog

# Keys whose values never reach a log line, whatever a caller passes (defence in depth).
SENSITIVE_WORDS: frozenset[str] = frozenset(
    {"passphrase", "password", "private_key", "secret", "seed", "token", "authorization"}
)
MASK = "***"

_LEVELS = {
    "debug": _stdlib_logging.DEBUG,
    "info": _stdlib_logging.INFO,
    "warning": _stdlib_logging.WARNING,
    "error": _stdlib_logging.ERROR,
}


def is_sensitive(key: str) -> bool:
    """True for e.g. `password`, `db_password`, `token_hint`, `Authorization`, `x-auth-token`."""
    norm = key.lower().replace("-", "_")
    if norm in SENSITIVE_WORDS:
        return True
    return any(
        norm.endswith("_" + w) or norm.startswith(w + "_") or ("_" + w + "_") in norm
        for w in SENSITIVE_WORDS
    )


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_sensitive(k) else _scrub(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v, depth + 1) for v in value)
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: mask sensitive keys, also inside nested dicts (e.g. a config dump)."""
    for key in list(event_dict):
        if is_sensitive(key):
            event_dict[key] = MASK
        elif isinstance(event_dict[key], Mapping | list | tuple):
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def setup_logging(
    level: str = "info",
    fmt: Literal["console", "json"] = "console",
    daemon: str = "ghostnet",
    stream: TextIO | None = None,
) -> structlog.stdlib.BoundLogger:
    """Configure structlog process-wide and return a logger bound with `daemon`.

    Logs go to stderr by default so stdout stays free for tools that print results.
    """
    if level not in _LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    if fmt not in ("console", "json"):
        raise ValueError(f"unknown log format {fmt!r}")
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)

    def add_daemon(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
        # A processor, not a contextvar: trio tasks and threads would not all inherit the latter.
        event_dict.setdefault("daemon", daemon)
        return event_dict

    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_daemon,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    return structlog.get_logger()


def get_logger(**bind: Any) -> Any:
    return structlog.get_logger().bind(**bind)
