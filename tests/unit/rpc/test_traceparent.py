"""new_traceparent: W3C format, fresh ids per call, never an all-zero trace or span id."""

from __future__ import annotations

import re

import pytest
from zquic.rpc import child_traceparent, metadata, new_traceparent, parse_traceparent

_FORMAT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-(01|00)$")


def test_format_and_flags() -> None:
    sampled, unsampled = new_traceparent(), new_traceparent(sampled=False)
    assert _FORMAT.match(sampled) and sampled.endswith("-01")
    assert _FORMAT.match(unsampled) and unsampled.endswith("-00")
    assert parse_traceparent(sampled) is not None


def test_ids_are_fresh() -> None:
    values = [new_traceparent() for _ in range(2000)]
    assert len({v[3:35] for v in values}) == len(values)  # trace ids
    assert len({v[36:52] for v in values}) == len(values)  # span ids
    # Leading zero nibbles are kept (fixed width), and both halves vary.
    assert all(len(v) == 55 for v in values)


@pytest.mark.parametrize(
    "draws",
    [
        [0, 5 << 64 | 7],  # all-zero trace and span id
        [3, 5 << 64 | 7],  # zero trace id, span id 3
        [9 << 64, 5 << 64 | 7],  # span id zero
        [(1 << 64) - 1, 1 << 64, 5 << 64 | 7],  # both cases in a row
    ],
)
def test_zero_ids_are_drawn_again(monkeypatch: pytest.MonkeyPatch, draws: list[int]) -> None:
    it = iter(draws)
    monkeypatch.setattr(metadata, "getrandbits", lambda bits: next(it))
    assert new_traceparent() == f"00-{5:032x}-{7:016x}-01"
    assert next(it, None) is None  # every draw was used: the zero ones were refused


def test_smallest_valid_ids_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "getrandbits", lambda bits: 1 << 64 | 1)
    assert new_traceparent() == f"00-{1:032x}-{1:016x}-01"
    monkeypatch.setattr(metadata, "getrandbits", lambda bits: (1 << 192) - 1)
    assert new_traceparent(sampled=False) == f"00-{'f' * 32}-{'f' * 16}-00"


def test_child_keeps_the_trace() -> None:
    parent = new_traceparent(sampled=False)
    child = child_traceparent(parent)
    assert child[:36] == parent[:36] and child[36:52] != parent[36:52] and child.endswith("-00")
    assert _FORMAT.match(child_traceparent("garbage"))
