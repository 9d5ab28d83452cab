"""Wiring ghostbridge/1 onto zquic: ALPN, serve_rpc and connect_rpc."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from .client import Channel
from .server import RpcServer

ALPN = "ghostbridge/1"


async def serve_rpc(
    server: RpcServer,
    host: str,
    port: int,
    *,
    tls: Any,
    backend: str | None = None,
    alpn_protocols: list[str] | None = None,
    task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
    **kwargs: Any,
) -> None:
    """Run `server` on a zquic endpoint until cancelled (`task_status` as zquic.serve)."""
    import zquic

    if backend is not None:
        kwargs["backend"] = backend
    await zquic.serve(
        host,
        port,
        tls=tls,
        alpn_protocols=alpn_protocols or [ALPN],
        connection_handler=server.handle_connection,
        task_status=task_status,
        **kwargs,
    )


@asynccontextmanager
async def connect_rpc(
    host: str,
    port: int,
    *,
    tls: Any,
    backend: str | None = None,
    channel_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AsyncIterator[Channel]:
    """A Channel over one new zquic connection, closed on exit."""
    import zquic

    if backend is not None:
        kwargs["backend"] = backend
    async with zquic.connect(host, port, tls=tls, alpn_protocols=[ALPN], **kwargs) as conn:
        yield Channel(conn, **(channel_options or {}))
