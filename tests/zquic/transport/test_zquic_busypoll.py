"""Busy polling over real sockets: an idle run loop spins on its UDP sockets and catches the
peer's datagrams there (server in another process); with a zero budget it never spins."""

from __future__ import annotations

import trio
import zquic
from zquic import busypoll
from zquic_exchanges import exchange, serve_echo

ALPN = ["zquic-test"]


async def _exchanges(conn: zquic.Connection, n: int) -> None:
    for i in range(n):
        assert await exchange(conn, b"%d" % i) == b"%d" % i


async def test_idle_loop_spins_and_catches_datagrams(backend, tmp_path):
    # The server runs in its own process (in one process the loop never sleeps: a datagram
    # sent to ourselves is readable at once). Waiting for each reply, the client's idle loop
    # spins on its socket and the reply lands there instead of after a sleep.
    from bench.common import ALPN_ECHO, ServerProcess, client_tls, make_certs

    make_certs(tmp_path)
    run = busypoll.for_this_run()
    run.policy.budget = 0.005  # generous: this machine is shared and noisy
    run.policy.active = True
    with ServerProcess("zquic", tmp_path, "--backend", backend) as server:
        with trio.fail_after(30):
            async with zquic.connect(
                "127.0.0.1", server.port, tls=client_tls(tmp_path),
                alpn_protocols=[ALPN_ECHO], backend=backend,
            ) as conn:  # fmt: skip
                await _exchanges(conn, 3)
                hits = run.policy.hits
                await _exchanges(conn, 30)
    assert run.policy.hits - hits >= 15, (run.policy.spins, run.policy.hits)
    assert len(run.sockets._fds) == 0  # a closed socket unregisters itself


async def test_zero_budget_never_spins(backend, run_server, client_tls):
    run = busypoll.for_this_run()
    run.policy.budget = 0.0
    with trio.fail_after(20):
        async with run_server(handler=serve_echo) as endpoint:
            async with zquic.connect(
                "127.0.0.1", endpoint.local_address[1], tls=client_tls(),
                alpn_protocols=ALPN, backend=backend,
            ) as conn:  # fmt: skip
                await _exchanges(conn, 10)
    assert run.policy.spins == 0
