"""Wallet errors carrying a gRPC status code name, so the core never imports the RPC layer.

Messages are shown to callers as they are: they name accounts, addresses and amounts, never
passphrases or key material.
"""

from __future__ import annotations

import enum


class Code(enum.Enum):
    """The gRPC status codes the wallet returns (names match `zquic.rpc.StatusCode`)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    ABORTED = "ABORTED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"
    INTERNAL = "INTERNAL"


class WalletError(Exception):
    """A request failed for a reason the caller can act on."""

    def __init__(self, code: Code, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code.value}: {message}")


def invalid(message: str) -> WalletError:
    return WalletError(Code.INVALID_ARGUMENT, message)


def not_found(message: str) -> WalletError:
    return WalletError(Code.NOT_FOUND, message)


def precondition(message: str) -> WalletError:
    return WalletError(Code.FAILED_PRECONDITION, message)


def unauthenticated(message: str) -> WalletError:
    return WalletError(Code.UNAUTHENTICATED, message)


class NodeError(WalletError):
    """ghostd (or the bridge in front of it) answered with an error or could not be reached."""
