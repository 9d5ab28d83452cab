"""Constant-time comparison."""

from __future__ import annotations

import hmac

from ._util import as_bytes

__all__ = ["constant_time_equal"]


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two byte strings in time independent of where they differ (hmac.compare_digest)."""
    return hmac.compare_digest(as_bytes(a, "a"), as_bytes(b, "b"))
