"""Key algorithm identifiers shared by addresses, key files and transactions."""

from __future__ import annotations

import enum

__all__ = ["KeyType"]


class KeyType(enum.IntEnum):
    """Signature algorithm of a key. The integer value is part of on-disk and on-chain formats."""

    ED25519 = 1
    SECP256K1 = 2
