"""The fee model: fee >= base_fee + fee_per_byte * len(tx_bytes) (docs/contracts.md)."""

from __future__ import annotations

import attrs
from ghost.node.v1 import node_pb2

__all__ = ["DEFAULT_FEE_SCHEDULE", "FeeSchedule"]


def _non_negative(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{attr.name} must be a non-negative integer (base units)")


@attrs.frozen
class FeeSchedule:
    """Minimum fee rule in base units (1 GHOST = 10^9 base units)."""

    base_fee: int = attrs.field(validator=_non_negative)
    fee_per_byte: int = attrs.field(validator=_non_negative)

    def min_fee(self, tx_len: int) -> int:
        """Smallest acceptable fee for a transaction whose tx_bytes are `tx_len` bytes."""
        if tx_len < 0:
            raise ValueError("tx_len must be >= 0")
        return self.base_fee + self.fee_per_byte * tx_len

    def to_proto(self) -> node_pb2.FeeSchedule:
        return node_pb2.FeeSchedule(base_fee=self.base_fee, fee_per_byte=self.fee_per_byte)

    @classmethod
    def from_proto(cls, msg: node_pb2.FeeSchedule) -> FeeSchedule:
        return cls(base_fee=msg.base_fee, fee_per_byte=msg.fee_per_byte)


# 0.000001 GHOST per transaction plus 0.00000001 GHOST per byte: a 200-byte transfer costs 3000.
DEFAULT_FEE_SCHEDULE = FeeSchedule(base_fee=1_000, fee_per_byte=10)
