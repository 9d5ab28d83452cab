"""Typed errors raised by the zquic transport.

Connection and stream failures also derive from trio.BrokenResourceError, so generic trio
stream code handles them as broken streams.
"""

from __future__ import annotations

import trio


class ZquicError(Exception):
    """Base class of every zquic error."""


class ConfigurationError(ZquicError):
    """The requested configuration cannot be served safely (e.g. mTLS on a backend without it)."""


class ConnectionClosed(ZquicError, trio.BrokenResourceError):
    """The connection is closed; `by_peer` tells who closed it."""

    def __init__(
        self,
        error_code: int = 0,
        frame_type: int | None = None,
        reason: str = "",
        by_peer: bool = False,
    ) -> None:
        self.error_code = error_code
        self.frame_type = frame_type
        self.reason = reason
        self.by_peer = by_peer
        who = "peer" if by_peer else "local"
        super().__init__(f"connection closed by {who}: code={error_code:#x} reason={reason!r}")


class ApplicationClosed(ConnectionClosed):
    """Closed with an application error code (CONNECTION_CLOSE type 0x1d), incl. a clean close."""


class TransportError(ConnectionClosed):
    """Closed with a QUIC transport error (protocol violation, flow control, ...)."""


class HandshakeError(TransportError):
    """The TLS handshake failed: certificate verification, ALPN, missing client certificate..."""


class IdleTimeout(ConnectionClosed):
    """No packet was received for the negotiated idle timeout."""


class VersionNegotiationError(ConnectionClosed):
    """The server supports none of the QUIC versions the client offered."""


class StreamError(ZquicError, trio.BrokenResourceError):
    """Base class for stream-level errors (the connection itself is still usable)."""


class StreamReset(StreamError):
    """The peer reset the stream (RESET_STREAM): no more data will arrive."""

    def __init__(self, error_code: int) -> None:
        self.error_code = error_code
        super().__init__(f"stream reset by peer: code={error_code}")


class StreamStopped(StreamReset):
    """The peer asked us to stop sending (STOP_SENDING): writes are refused."""

    def __init__(self, error_code: int) -> None:
        StreamError.__init__(self, f"peer stopped reading: code={error_code}")
        self.error_code = error_code


# CRYPTO_ERROR range (RFC 9001 section 4.8): 0x0100 + TLS alert.
CRYPTO_ERROR_BASE = 0x100
CRYPTO_ERROR_END = 0x200


def classify_close(
    error_code: int, frame_type: int | None, reason: str, *, by_peer: bool, idle: bool = False
) -> ConnectionClosed:
    """Map a CONNECTION_CLOSE (or local termination) onto the typed hierarchy."""
    if idle:
        return IdleTimeout(error_code, frame_type, reason or "idle timeout", by_peer)
    if CRYPTO_ERROR_BASE <= error_code < CRYPTO_ERROR_END:
        return HandshakeError(error_code, frame_type, reason, by_peer)
    if frame_type is None:
        # Both cores report application closes (frame 0x1d) with frame_type None.
        return ApplicationClosed(error_code, frame_type, reason, by_peer)
    return TransportError(error_code, frame_type, reason, by_peer)
