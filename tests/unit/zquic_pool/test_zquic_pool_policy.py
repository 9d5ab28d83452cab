"""The pure pool policy: stream placement, connection caps, idle/age eviction, health checks.

Time is a plain float passed in by the test (the policy has no clock of its own).
"""

from __future__ import annotations

import pytest
from zquic._pool_policy import EndpointPolicy, EvictReason, PoolConfig, SlotState


def ready_policy(**kw: object) -> EndpointPolicy:
    kw.setdefault("health_check_interval", None)
    return EndpointPolicy(PoolConfig(**kw))  # type: ignore[arg-type]


def test_first_acquire_opens_and_burst_shares_connecting_slot():
    p = ready_policy(max_streams_per_connection=3, max_connections=2)
    g1 = p.acquire(0.0)
    assert g1 is not None and g1.new and g1.slot.state is SlotState.CONNECTING
    # Callers arriving while it connects join it instead of opening one connection each.
    g2 = p.acquire(0.0)
    g3 = p.acquire(0.0)
    assert g2 is not None and g3 is not None
    assert not g2.new and not g3.new and g2.slot is g1.slot is g3.slot
    assert g1.slot.streams == 3
    g4 = p.acquire(0.0)
    assert g4 is not None and g4.new and g4.slot is not g1.slot
    assert p.counters.connections_created == 2


def test_least_loaded_connection_is_chosen():
    p = ready_policy(max_streams_per_connection=10, max_connections=2)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    for _ in range(9):
        p.acquire(0.0)
    b = p.acquire(1.0).slot  # type: ignore[union-attr]
    p.connected(b, 1.0)
    assert a.streams == 10 and b.streams == 1
    for _ in range(8):
        p.release(a, 2.0)
    assert a.streams == 2
    # b has 1, a has 2: b is chosen, then they tie at 2 and the newer (b) wins the tie.
    assert p.acquire(3.0).slot is b  # type: ignore[union-attr]
    assert p.acquire(3.0).slot is b  # type: ignore[union-attr]
    assert p.acquire(3.0).slot is a  # type: ignore[union-attr]


def test_all_at_cap_and_max_connections_means_wait_until_release():
    p = ready_policy(max_streams_per_connection=1, max_connections=2)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    b = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    p.connected(b, 0.0)
    assert p.acquire(0.0) is None
    assert p.release(a, 1.0) is False
    g = p.acquire(1.0)
    assert g is not None and g.slot is a and not g.new


def test_dead_connection_is_replaced():
    p = ready_policy(max_streams_per_connection=1, max_connections=1)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    assert p.acquire(0.0) is None
    assert p.evict(a, EvictReason.DEAD) is True
    assert p.evict(a, EvictReason.DEAD) is False  # idempotent
    g = p.acquire(0.0)
    assert g is not None and g.new and g.slot is not a
    assert p.counters.evicted == {"dead": 1}
    p.release(a, 1.0)  # a late release of a stream on the dead connection is harmless
    assert p.snapshot()["streams_in_flight"] == 1


def test_connect_failure_frees_the_slot():
    p = ready_policy(max_connections=1)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connect_failed(a)
    assert p.slots == [] and p.counters.connect_failures == 1
    g = p.acquire(0.0)
    assert g is not None and g.new


def test_idle_eviction_only_after_max_idle_without_streams():
    p = ready_policy(max_idle=10.0, max_age=None)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    assert p.sweep(100.0) == []  # busy: never idle
    p.release(a, 100.0)
    assert p.sweep(109.9) == []
    assert p.sweep(110.0) == [(a, EvictReason.IDLE)]
    assert a.state is SlotState.CLOSED and p.slots == []
    assert p.snapshot()["evicted_by_reason"] == {"idle": 1}


def test_max_age_drains_then_closes_when_streams_finish():
    p = ready_policy(max_age=60.0, max_idle=None, max_streams_per_connection=5)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    g = p.acquire(61.0)  # a is aged: not handed out, a new connection is opened instead
    assert g is not None and g.new and g.slot is not a
    assert a.state is SlotState.DRAINING and a.streams == 1
    assert p.sweep(62.0) == []  # still has a stream
    assert p.release(a, 63.0) is True  # last stream done: the driver closes it now
    assert a.state is SlotState.CLOSED
    assert p.counters.evicted == {"max_age": 1}


def test_aged_idle_connection_is_closed_by_sweep():
    p = ready_policy(max_age=60.0, max_idle=None)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    p.release(a, 1.0)
    assert p.sweep(59.0) == []
    assert p.sweep(60.0) == [(a, EvictReason.MAX_AGE)]


def test_draining_connection_counts_toward_max_connections():
    p = ready_policy(max_age=10.0, max_idle=None, max_connections=1)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    assert p.acquire(11.0) is None  # a drains; no room for another connection yet
    assert p.release(a, 12.0) is True
    g = p.acquire(12.0)
    assert g is not None and g.new


def test_health_checks_select_idle_unchecked_connections():
    p = EndpointPolicy(PoolConfig(health_check_interval=5.0, max_idle=None, max_age=None))
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.connected(a, 0.0)
    assert p.due_health_checks(4.0) == []
    assert p.due_health_checks(5.0) == []  # busy connections are not pinged
    p.release(a, 5.0)
    assert p.due_health_checks(9.0) == []
    assert p.due_health_checks(10.0) == [a]
    p.checked(a, 10.0, ping_ok=True)
    assert p.due_health_checks(14.0) == []
    assert p.snapshot()["health_checks"] == 1
    assert p.evict(a, EvictReason.PING)
    assert p.counters.evicted == {"ping": 1}


def test_snapshot_counts():
    p = ready_policy(max_streams_per_connection=2)
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    p.acquire(0.0)
    snap = p.snapshot()
    assert snap["connections_connecting"] == 1 and snap["connections_open"] == 0
    p.connected(a, 0.0)
    snap = p.snapshot()
    assert snap["connections_open"] == 1
    assert snap["streams_in_flight"] == 2 and snap["streams_opened"] == 2
    assert snap["connections_created"] == 1


def test_config_validation():
    with pytest.raises(ValueError):
        PoolConfig(max_connections=0)
    with pytest.raises(ValueError):
        PoolConfig(cleanup_interval=0)


def test_evicting_a_connecting_slot_is_not_a_connect_failure():
    p = ready_policy()
    a = p.acquire(0.0).slot  # type: ignore[union-attr]
    assert p.evict(a, EvictReason.POOL_CLOSED)
    assert p.counters.connect_failures == 0 and p.counters.evicted == {"pool_closed": 1}
    p.connect_failed(a)  # the driver's late report changes nothing
    assert p.counters.connect_failures == 0
