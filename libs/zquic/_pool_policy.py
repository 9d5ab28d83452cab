"""Pure connection-pool policy: which connection serves a stream, when to open, drain or evict.

No I/O and no clock of its own: every method takes `now`, so the policy is tested with fake
clocks. The trio driver (`zquic.pool`) owns the sockets and calls in here on every event.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs


@attrs.frozen
class PoolConfig:
    """Limits of a `ConnectionPool`, applied per endpoint (host, port, server_name, alpn).

    - `max_connections`: connections per endpoint (connecting + ready + draining).
    - `max_streams_per_connection`: streams the pool hands out on one connection at once;
      past it a new connection is opened (under `max_connections`), else callers wait.
    - `max_idle`: a connection with no stream for this long is closed (None: never).
    - `max_age`: after this long a connection gets no new streams and closes once its
      streams finish (None: never).
    - `health_check_interval`: an idle connection unchecked for this long is pinged; a ping
      that fails within `health_check_timeout` evicts it (None: no pings).
    - `cleanup_interval`: how often the background task applies idle/age/health rules.
    - `connect_timeout`: handshake bound; `acquire_timeout`: bound on waiting for a free
      stream slot (None: wait until cancelled).
    - `early_data`: send 0-RTT on resumed connections. 0-RTT data can be replayed by an
      attacker, so enable it only for idempotent traffic.
    - `idle_timeout`: the QUIC transport idle timeout of pooled connections.
    """

    max_connections: int = 4
    max_streams_per_connection: int = 100
    max_idle: float | None = 60.0
    max_age: float | None = 600.0
    health_check_interval: float | None = 30.0
    health_check_timeout: float = 5.0
    cleanup_interval: float = 1.0
    connect_timeout: float = 10.0
    acquire_timeout: float | None = None
    early_data: bool = False
    idle_timeout: float = 30.0

    def __attrs_post_init__(self) -> None:
        if self.max_connections < 1 or self.max_streams_per_connection < 1:
            raise ValueError("max_connections and max_streams_per_connection must be >= 1")
        if self.cleanup_interval <= 0:
            raise ValueError("cleanup_interval must be > 0")


class SlotState(enum.Enum):
    CONNECTING = "connecting"
    READY = "ready"
    DRAINING = "draining"  # aged: no new streams, closes when its streams finish
    CLOSED = "closed"


class EvictReason(enum.StrEnum):
    IDLE = "idle"
    MAX_AGE = "max_age"
    DEAD = "dead"  # closed by the peer, idle-timed-out, failed
    PING = "ping"  # failed health check
    POOL_CLOSED = "pool_closed"


@attrs.define(eq=False)
class Slot:
    """One pooled connection as the policy sees it; `handle` is the driver's object."""

    id: int
    created_at: float
    state: SlotState = SlotState.CONNECTING
    streams: int = 0
    last_used: float = 0.0
    last_checked: float = 0.0
    handle: Any = None

    @property
    def live(self) -> bool:
        return self.state in (SlotState.CONNECTING, SlotState.READY)


@attrs.frozen
class Grant:
    """A stream reservation on `slot`; `new` asks the driver to start connecting it."""

    slot: Slot
    new: bool = False


@attrs.define
class EndpointCounters:
    connections_created: int = 0
    connect_failures: int = 0
    streams_opened: int = 0
    resumed: int = 0
    health_checks: int = 0
    evicted: dict[str, int] = attrs.field(factory=dict)


class EndpointPolicy:
    """Bookkeeping for one endpoint."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self.slots: list[Slot] = []
        self.counters = EndpointCounters()
        self.waiters = 0
        self._next_id = 1

    # ---- handing out streams ---------------------------------------------------------------
    def acquire(self, now: float) -> Grant | None:
        """Reserve a stream: on the least-loaded live connection under the stream cap (a
        connecting one counts, so a burst does not open a connection per caller), else on a
        new connection if under `max_connections`; None means wait for `release`/eviction."""
        self._age_out(now)
        cap = self.config.max_streams_per_connection
        best: Slot | None = None
        for slot in self.slots:
            if not slot.live or slot.streams >= cap:
                continue
            # Least loaded first; on a tie the newest, so older connections go idle and age out.
            if best is None or (slot.streams, -slot.created_at) < (best.streams, -best.created_at):
                best = slot
        new = False
        if best is None:
            open_count = sum(1 for s in self.slots if s.state is not SlotState.CLOSED)
            if open_count >= self.config.max_connections:
                return None
            best = Slot(self._next_id, now, last_used=now, last_checked=now)
            self._next_id += 1
            self.slots.append(best)
            self.counters.connections_created += 1
            new = True
        best.streams += 1
        best.last_used = now
        self.counters.streams_opened += 1
        return Grant(best, new)

    def release(self, slot: Slot, now: float) -> bool:
        """A stream finished. True when the driver should now close the connection (drained)."""
        slot.streams = max(0, slot.streams - 1)
        slot.last_used = now
        if slot.state is SlotState.DRAINING and slot.streams == 0:
            self._remove(slot, EvictReason.MAX_AGE)
            return True
        return False

    # ---- connection lifecycle --------------------------------------------------------------
    def connected(self, slot: Slot, now: float) -> None:
        if slot.state is SlotState.CONNECTING:
            slot.state = SlotState.READY
            slot.last_checked = now

    def connect_failed(self, slot: Slot) -> None:
        if slot.state is not SlotState.CLOSED:
            self.counters.connect_failures += 1
            slot.state = SlotState.CLOSED
            self.slots = [s for s in self.slots if s is not slot]

    def evict(self, slot: Slot, reason: EvictReason) -> bool:
        """Drop a connection (it died, failed a ping, or the pool closes). False if already gone."""
        if slot.state is SlotState.CLOSED:
            return False
        self._remove(slot, reason)
        return True

    def checked(self, slot: Slot, now: float, *, ping_ok: bool = False) -> None:
        """Mark a connection as checked now (`ping_ok`: a health check succeeded)."""
        slot.last_checked = now
        if ping_ok:
            self.counters.health_checks += 1

    # ---- maintenance -----------------------------------------------------------------------
    def sweep(self, now: float) -> list[tuple[Slot, EvictReason]]:
        """Apply max_age and max_idle; returns the connections the driver must close."""
        self._age_out(now)
        out: list[tuple[Slot, EvictReason]] = []
        max_idle = self.config.max_idle
        for slot in list(self.slots):
            if slot.streams:
                continue
            if slot.state is SlotState.DRAINING:
                reason = EvictReason.MAX_AGE
            elif (
                slot.state is SlotState.READY
                and max_idle is not None
                and now - slot.last_used >= max_idle
            ):
                reason = EvictReason.IDLE
            else:
                continue
            self._remove(slot, reason)
            out.append((slot, reason))
        return out

    def due_health_checks(self, now: float) -> list[Slot]:
        """Idle ready connections not checked for `health_check_interval` (busy ones prove
        themselves through their streams)."""
        interval = self.config.health_check_interval
        if interval is None:
            return []
        return [
            s
            for s in self.slots
            if s.state is SlotState.READY
            and s.streams == 0
            and now - max(s.last_checked, s.last_used) >= interval
        ]

    # ---- stats -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        by_state = {state: 0 for state in SlotState}
        for s in self.slots:
            by_state[s.state] += 1
        c = self.counters
        return {
            "connections_open": by_state[SlotState.READY] + by_state[SlotState.DRAINING],
            "connections_connecting": by_state[SlotState.CONNECTING],
            "connections_draining": by_state[SlotState.DRAINING],
            "connections_created": c.connections_created,
            "connections_evicted": sum(c.evicted.values()),
            "evicted_by_reason": dict(c.evicted),
            "connect_failures": c.connect_failures,
            "connections_resumed": c.resumed,
            "health_checks": c.health_checks,
            "streams_in_flight": sum(s.streams for s in self.slots),
            "streams_opened": c.streams_opened,
            "waiters": self.waiters,
        }

    # ---- internals -------------------------------------------------------------------------
    def _age_out(self, now: float) -> None:
        max_age = self.config.max_age
        if max_age is None:
            return
        for s in self.slots:
            if s.state is SlotState.READY and now - s.created_at >= max_age:
                s.state = SlotState.DRAINING

    def _remove(self, slot: Slot, reason: EvictReason) -> None:
        slot.state = SlotState.CLOSED
        self.slots = [s for s in self.slots if s is not slot]
        self.counters.evicted[reason.value] = self.counters.evicted.get(reason.value, 0) + 1
