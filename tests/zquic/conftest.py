"""Shared zquic fixtures: `backend` (both QUIC cores), dev certificates, TLS factories and a
server runner. Reused by tests/zquic/rpc."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
import zquic
from ghostkit.certs import DevCerts, ensure_dev_certs

ALPN = ["zquic-test"]


@pytest.fixture(params=["aioquic", "qh3"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def dev_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return ensure_dev_certs(tmp_path_factory.mktemp("zquic-certs"))


@pytest.fixture(scope="session")
def rogue_certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    """Certificates from a different CA (untrusted by `dev_certs`)."""
    return ensure_dev_certs(tmp_path_factory.mktemp("zquic-rogue-certs"))


@pytest.fixture
def server_tls(dev_certs: DevCerts) -> Callable[..., zquic.TLSConfig]:
    def make(name: str = "ghostbridge", *, mtls: bool = False, **kw: Any) -> zquic.TLSConfig:
        return zquic.TLSConfig.from_dev_certs(dev_certs, name, server=True, mtls=mtls, **kw)

    return make


@pytest.fixture
def client_tls(dev_certs: DevCerts) -> Callable[..., zquic.TLSConfig]:
    def make(name: str = "walletd", *, certs: DevCerts | None = None, **kw: Any) -> zquic.TLSConfig:
        c = certs or dev_certs
        pair = c.client(name)
        kw.setdefault("cafile", dev_certs.ca.cert)
        return zquic.TLSConfig(certfile=pair.cert, keyfile=pair.key, **kw)

    return make


async def echo_handler(conn: zquic.Connection) -> None:
    """Echo every stream until EOF; serves until the connection closes."""

    async def echo(stream: zquic.QuicStream) -> None:
        try:
            while data := await stream.receive_some():
                await stream.send_all(data)
            await stream.send_eof()
        except (zquic.errors.StreamReset, zquic.errors.ConnectionClosed, trio.ClosedResourceError):
            pass

    async with trio.open_nursery() as nursery:
        while True:
            try:
                stream = await conn.accept_stream()
            except zquic.errors.ConnectionClosed:
                return
            nursery.start_soon(echo, stream)


@pytest.fixture
def run_server(backend: str, server_tls: Callable[..., zquic.TLSConfig]) -> Callable[..., Any]:
    """`async with run_server(handler=..., **serve_kwargs) as endpoint:`"""

    @asynccontextmanager
    async def runner(
        handler: Callable[[zquic.Connection], Awaitable[None]] = echo_handler,
        host: str = "127.0.0.1",
        **kw: Any,
    ) -> AsyncIterator[zquic.ServerEndpoint]:
        kw.setdefault("tls", server_tls())
        kw.setdefault("alpn_protocols", ALPN)
        kw.setdefault("backend", backend)
        async with zquic.open_server(host, 0, connection_handler=handler, **kw) as endpoint:
            yield endpoint

    return runner


def certs_dir(certs: DevCerts) -> Path:
    return certs.directory
