"""QuicNodeClient: endpoint parsing, status mapping, unreachable node."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trio
import zquic
from ghostkit.certs import ensure_dev_certs
from walletd_stub.errors import Code, NodeError
from walletd_stub.node import Endpoint, QuicNodeClient
from zquic.rpc import RpcError, StatusCode


def test_endpoint_parse() -> None:
    assert Endpoint.parse("127.0.0.1:8081", "ghostd") == Endpoint("127.0.0.1", 8081)
    assert Endpoint.parse("[::1]:9", "x") == Endpoint("::1", 9)
    for bad in ("host", ":1", "h:x"):
        with pytest.raises(ValueError, match="ghostd: expected HOST:PORT"):
            Endpoint.parse(bad, "ghostd")
    for bad in ("h:0", "h:70000"):
        with pytest.raises(ValueError, match="ghostd: port .* is not in 1-65535"):
            Endpoint.parse(bad, "ghostd")


@pytest.mark.parametrize(
    "status,code",
    [
        (StatusCode.NOT_FOUND, Code.NOT_FOUND),
        (StatusCode.FAILED_PRECONDITION, Code.FAILED_PRECONDITION),
        (StatusCode.INVALID_ARGUMENT, Code.INVALID_ARGUMENT),
        (StatusCode.ALREADY_EXISTS, Code.ALREADY_EXISTS),
        (StatusCode.UNAVAILABLE, Code.UNAVAILABLE),
        (StatusCode.DEADLINE_EXCEEDED, Code.UNAVAILABLE),
        (StatusCode.INTERNAL, Code.UNAVAILABLE),  # never pass a node crash off as ours
        (StatusCode.UNKNOWN, Code.UNAVAILABLE),
    ],
)
def test_status_mapping(status: StatusCode, code: Code) -> None:
    client = QuicNodeClient(Endpoint("127.0.0.1", 1), zquic.TLSConfig(), None)  # type: ignore[arg-type]
    err = client._map(RpcError(status, "why"))
    assert err.code is code
    assert err.message
    transport = client._map(trio.BrokenResourceError("gone"))
    assert transport.code is Code.UNAVAILABLE and "127.0.0.1:1" in transport.message


def _dead_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_unreachable_node_is_unavailable_naming_it(tmp_path: Path) -> None:
    certs = ensure_dev_certs(tmp_path, daemons=("walletd",))
    tls = zquic.TLSConfig.from_dev_certs(certs, "walletd", server=False)
    port = _dead_port()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            client = QuicNodeClient(
                Endpoint("127.0.0.1", port), tls, nursery, via_bridge=True, connect_timeout=0.5
            )
            with pytest.raises(NodeError) as info:
                await client.chain_info()
            assert info.value.code is Code.UNAVAILABLE
            assert f"GhostBridge at 127.0.0.1:{port}" in info.value.message
            nursery.cancel_scope.cancel()
