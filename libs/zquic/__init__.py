"""zquic: a trio QUIC transport over the aioquic or qh3 sans-IO cores. See docs/zquic.md."""

from . import errors, pool
from .backend import Backend, get_backend
from .client import connect
from .config import FlowConfig
from .connection import Connection
from .endpoint import ServerEndpoint, open_server, serve
from .pool import ConnectionPool, PoolConfig
from .stream import QuicStream
from .tls import TLSConfig

__all__ = [
    "Backend",
    "Connection",
    "ConnectionPool",
    "FlowConfig",
    "PoolConfig",
    "QuicStream",
    "ServerEndpoint",
    "TLSConfig",
    "connect",
    "errors",
    "get_backend",
    "open_server",
    "pool",
    "serve",
]
