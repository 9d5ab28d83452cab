"""SIGTERM during concurrent CreateAccount calls: every client gets its real reply or a
retryable UNAVAILABLE, and the key store holds exactly the acknowledged accounts."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import trio
from ghost.wallet.v1 import wallet_pb2 as W
from ghostkit.certs import ensure_dev_certs
from wd_cluster import WALLET, start_ghostd, start_walletd, stub
from zquic.rpc import RpcError, StatusCode

pytestmark = pytest.mark.timeout(120)

N_CLIENTS = 6
PER_CLIENT = 20  # more than can be created before the drain ends (asserted)


async def test_sigterm_keeps_every_acknowledged_account(launch: Any, tmp_path: Path) -> None:
    ensure_dev_certs(tmp_path)
    outcomes: dict[str, StatusCode] = {}
    addresses: dict[str, str] = {}
    with trio.fail_after(90):
        ghostd = await start_ghostd(launch, tmp_path)
        node = f"127.0.0.1:{ghostd.port}"
        # A real KDF: each CreateAccount spends a while in a worker thread.
        wd = await start_walletd(launch, tmp_path, "--ghostd", node, "--kdf-profile", "interactive")
        async with stub(tmp_path, wd.port, WALLET) as w:

            async def create(i: int) -> None:
                # One client's accounts in a row, until the daemon stops answering: at the
                # signal every client has a call in flight.
                for n in range(PER_CLIENT):
                    name = f"acct{i}-{n}"
                    try:
                        resp = await w.CreateAccount(
                            W.CreateAccountRequest(name=name, passphrase=f"pass-{name}"),
                            timeout=30,
                        )
                    except RpcError as exc:
                        outcomes[name] = exc.code
                        return
                    outcomes[name] = StatusCode.OK
                    addresses[name] = resp.account.address

            async with trio.open_nursery() as nursery:
                for i in range(N_CLIENTS):
                    nursery.start_soon(create, i)
                # Accounts are being created, one call per client in flight: stop walletd.
                await wd.daemon.wait_event("account_created")
                wd.daemon.signal(signal.SIGTERM)
                assert await wd.daemon.wait_exit() == 0
    refused = [name for name, code in outcomes.items() if code != StatusCode.OK]
    assert len(refused) == N_CLIENTS  # every client was stopped by the shutdown
    assert set(outcomes.values()) <= {StatusCode.OK, StatusCode.UNAVAILABLE}, outcomes
    created_logged = len(wd.daemon.events("account_created"))
    assert created_logged == len(addresses)  # every account made was acknowledged
    drained = wd.daemon.events("drained")
    assert drained and drained[0]["still_running"] == 0

    with trio.fail_after(60):
        wd = await start_walletd(launch, tmp_path, "--ghostd", node)
        async with stub(tmp_path, wd.port, WALLET) as w:
            listed = await w.ListAccounts(W.ListAccountsRequest(), timeout=5)
        assert {a.name: a.address for a in listed.accounts} == addresses
        assert await wd.daemon.stop() == 0
        assert await ghostd.daemon.stop() == 0
