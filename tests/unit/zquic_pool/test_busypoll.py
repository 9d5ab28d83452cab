"""zquic.busypoll: the spin policy (fake clock and sockets) and its environment setting."""

from __future__ import annotations

import pytest
from zquic.busypoll import (
    DEFAULT_BUDGET,
    ENV,
    MAX_MISSES,
    PAUSE_EVERY,
    BusyPoll,
    PollSet,
    budget_from_env,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _policy(budget: float, ready_after: list[float | None], clock: FakeClock) -> BusyPoll:
    """`ready_after[0]`: seconds into the next spin when a socket turns readable (None: not
    during the spin). Each poll advances the clock by 10 us."""
    state = {"start": None}

    def ready() -> bool:
        clock.now += 2e-6  # a poll takes time too
        if state["start"] is None:
            state["start"] = clock.now
        at = ready_after[0]
        hit = at is not None and clock.now - state["start"] >= at
        if hit or clock.now - state["start"] >= budget:
            state["start"] = None
        return hit

    def pause() -> None:
        clock.now += 10e-6
        pauses.append(clock.now)

    pauses: list[float] = []
    policy = BusyPoll(budget, ready, clock, pause)
    policy.pauses = pauses  # type: ignore[attr-defined]
    return policy


def test_spin_returns_as_soon_as_a_socket_is_readable() -> None:
    clock = FakeClock()
    policy = _policy(500e-6, [100e-6], clock)
    policy.before_sleep(timeout=1.0)
    assert policy.hits == 1 and policy.misses == 0
    assert 100e-6 <= clock.now < 150e-6  # stopped at the data, not at the budget


def test_spin_never_outlasts_the_budget_or_trio_timeout() -> None:
    clock = FakeClock()
    policy = _policy(500e-6, [None], clock)
    assert policy.before_sleep(timeout=1.0) is False  # silence: trio sleeps as planned
    assert policy.hits == 0 and policy.misses == 1
    assert 500e-6 <= clock.now < 520e-6
    # The core is yielded now and then during a spin (every PAUSE_EVERY polls), not never.
    assert 5 <= len(policy.pauses) < 500e-6 / 2e-6 / PAUSE_EVERY + 1  # type: ignore[attr-defined]
    start = clock.now
    # A timer due sooner than the budget ends the spin; trio must then not sleep (True), and
    # it is not counted as a miss.
    assert policy.before_sleep(timeout=50e-6) is True
    assert clock.now - start < 70e-6 and policy.misses == 1
    clock.now = 0.0
    assert policy.before_sleep(timeout=0) is False  # tasks are runnable: no spin
    assert clock.now == 0.0 and policy.spins == 2


def test_idle_stops_spinning_and_fast_traffic_turns_it_back_on() -> None:
    clock = FakeClock()
    ready_after: list[float | None] = [None]
    policy = _policy(500e-6, ready_after, clock)
    for _ in range(MAX_MISSES):
        policy.before_sleep(timeout=1.0)
    assert not policy.active
    spent = clock.now
    policy.before_sleep(timeout=1.0)  # idle: no more spinning
    assert clock.now == spent and policy.spins == MAX_MISSES
    clock.now += 2.0  # a packet after a long sleep does not turn it back on
    policy.woke()
    assert not policy.active
    policy.before_sleep(timeout=1.0)
    clock.now += 300e-6  # this one came within the budget: a spin would have caught it
    policy.woke()
    assert policy.active and policy.misses == 0
    ready_after[0] = 50e-6
    policy.before_sleep(timeout=1.0)
    assert policy.hits == 1


def test_zero_budget_is_off() -> None:
    clock = FakeClock()
    policy = _policy(0.0, [0.0], clock)
    policy.before_sleep(timeout=1.0)
    assert policy.spins == 0 and not policy.active


def test_budget_from_env() -> None:
    assert budget_from_env({}) == DEFAULT_BUDGET
    assert budget_from_env({ENV: "250"}) == pytest.approx(250e-6)
    assert budget_from_env({ENV: "0"}) == 0.0
    for bad in ("fast", "-1", "1e9"):
        with pytest.raises(ValueError, match=ENV):
            budget_from_env({ENV: bad})


def test_poll_set_sees_a_readable_socket() -> None:
    import socket

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        polls = PollSet()
        assert not polls and not polls.ready()
        polls.register(a.fileno())
        polls.register(a.fileno())  # idempotent
        assert polls and not polls.ready()
        b.send(b"x")
        assert polls.ready()
        polls.unregister(a.fileno())
        assert not polls and not polls.ready()
    finally:
        a.close()
        b.close()


def test_run_budget_from_env_and_a_bad_value_is_ignored(monkeypatch) -> None:
    import trio
    from structlog.testing import capture_logs
    from zquic import busypoll

    async def budget() -> float:
        return busypoll.for_this_run().policy.budget

    monkeypatch.setenv(ENV, "120")
    assert trio.run(budget) == pytest.approx(120e-6)
    monkeypatch.setenv(ENV, "lots")
    with capture_logs() as logs:
        assert trio.run(budget) == DEFAULT_BUDGET
    assert [e["event"] for e in logs] == ["zquic busy poll setting ignored"]
    assert ENV in logs[0]["error"]
    busypoll.configure(0)
    try:
        assert trio.run(budget) == 0.0  # configure() wins over the environment
    finally:
        busypoll.configure(None)
