"""gRPC status codes, the RpcError exception and the stream reset codes of ghostbridge/1."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .metadata import Metadata


class StatusCode(enum.IntEnum):
    """gRPC status codes (same numbers as google.rpc.Code and `ghost.bridge.v1.StatusCode`)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def coerce(cls, value: int) -> StatusCode:
        """A received code; numbers outside 0-16 become UNKNOWN (as gRPC clients do)."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


class ResetCode(enum.IntEnum):
    """Application error codes carried by RESET_STREAM / STOP_SENDING on a ghostbridge stream."""

    NO_ERROR = 0x0
    CANCELLED = 0x1  # the client gave up on the call (task cancelled, stream closed early)
    DEADLINE_EXCEEDED = 0x2  # the client's deadline passed
    PROTOCOL_ERROR = 0x3  # the peer broke the framing rules of docs/protocol.md
    INTERNAL_ERROR = 0x4  # the sender failed in a way it could not report as a status
    REFUSED = 0x5  # the server did not start processing the call (overload, shutting down)


class RpcError(Exception):
    """A call finished with a non-OK status; raised by handlers and by client stubs."""

    def __init__(
        self,
        code: StatusCode | int,
        message: str = "",
        trailing_metadata: Metadata | None = None,
        *,
        details: bytes = b"",
    ) -> None:
        self.code = StatusCode.coerce(int(code))
        self.message = message
        self.trailing_metadata: Metadata = tuple(trailing_metadata or ())
        self.details = details
        super().__init__(f"{self.code.name}: {message}" if message else self.code.name)

    def __repr__(self) -> str:
        return f"RpcError({self.code.name}, {self.message!r})"


class ProtocolError(Exception):
    """The peer violated the wire protocol (or a limit); `code` is the status to report."""

    code: StatusCode = StatusCode.INTERNAL

    def __init__(self, message: str, code: StatusCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(message)


class MessageTooLarge(ProtocolError):
    """A message exceeds `max_message_size` (announced, accumulated or decompressed size)."""

    code = StatusCode.RESOURCE_EXHAUSTED


class CallStateError(RuntimeError):
    """Local misuse of a call state machine (e.g. sending a message after the trailers)."""
