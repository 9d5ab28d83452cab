"""walletd_stub against a real ghostd_stub, both as processes, every RPC over QUIC."""

from __future__ import annotations

import base64
import signal
from contextlib import AsyncExitStack, aclosing
from pathlib import Path

import pytest
import trio
from ghost.node.v1 import node_pb2 as N
from ghost.node.v1 import types_pb2 as T
from ghost.wallet.v1 import wallet_pb2 as W
from ghostkit.certs import ensure_dev_certs
from wd_cluster import (
    NODE,
    WALLET,
    free_udp_port,
    fund,
    included,
    metrics,
    start_ghostd,
    start_walletd,
    stub,
)
from zcrypto import KeyType, open_key
from zquic.rpc import RpcError, StatusCode

GHOST = 10**9
PENDING = T.TRANSACTION_STATUS_PENDING
PASSES = {"alice": "alice-Very-Secret-9f3", "bob": "bob-Other-Secret-7c1", "m0": "m0-pass-Zq8"}


async def expect(code: StatusCode, coro) -> RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(RpcError) as info:
        await coro
    assert info.value.code == code, info.value.message
    assert info.value.message and "Traceback" not in info.value.message
    return info.value


async def next_update(updates, account: str) -> W.BalanceUpdate:  # type: ignore[no-untyped-def]
    async for ev in updates:
        if ev.account == account:
            return ev
    raise AssertionError("balance stream ended")


@pytest.mark.slow
async def test_every_rpc_over_quic_and_no_secret_in_output(launch, tmp_path: Path) -> None:
    ensure_dev_certs(tmp_path)
    with trio.fail_after(90):
        async with AsyncExitStack() as stack:
            ghostd = await start_ghostd(launch, tmp_path)
            walletd = await start_walletd(launch, tmp_path, "--ghostd", f"127.0.0.1:{ghostd.port}")
            w = await stack.enter_async_context(stub(tmp_path, walletd.port, WALLET))
            g = await stack.enter_async_context(stub(tmp_path, ghostd.port, NODE))

            # -- accounts
            a = (
                await w.CreateAccount(
                    W.CreateAccountRequest(name="alice", passphrase=PASSES["alice"]), timeout=10
                )
            ).account
            b = (
                await w.CreateAccount(
                    W.CreateAccountRequest(
                        name="bob", passphrase=PASSES["bob"], key_type=T.KEY_TYPE_SECP256K1
                    ),
                    timeout=10,
                )
            ).account
            listed = await w.ListAccounts(W.ListAccountsRequest(), timeout=5)
            assert [x.name for x in listed.accounts] == ["alice", "bob"]

            # -- funding observed through StreamBalanceUpdates. From the next block explicitly:
            # "live from now on" starts when walletd handles the call, and a funding block
            # produced before that (the call is opened without waiting for the server) would
            # be missed: the stream would wait forever (seen 1 run in ~20).
            tip = (await g.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)).height
            updates = await stack.enter_async_context(
                w.StreamBalanceUpdates(W.StreamBalanceRequest(from_height=tip + 1))
            )
            await fund(g, a.address_bytes, 10 * GHOST)
            up = await next_update(updates, "alice")
            assert (up.previous_balance, up.balance) == (0, 10 * GHOST)

            # -- a transfer between the two accounts: balances, histories, stream
            sent = await w.SendTransaction(
                W.SendTransactionRequest(
                    account="alice",
                    passphrase=PASSES["alice"],
                    to_address=b.address,
                    amount=3 * GHOST,
                ),
                timeout=10,
            )
            assert sent.status == PENDING and sent.nonce == 0
            ua = await next_update(updates, "alice")
            ub = await next_update(updates, "bob")
            assert ua.height == ub.height and list(ub.tx_hashes) == [sent.tx_hash]
            assert (ua.previous_balance, ua.balance) == (10 * GHOST, 7 * GHOST - sent.fee)
            assert (ub.previous_balance, ub.balance) == (0, 3 * GHOST)
            bal_a = await w.GetBalance(W.GetBalanceRequest(account="alice"), timeout=5)
            bal_b = await w.GetBalance(W.GetBalanceRequest(account=b.address), timeout=5)
            assert (bal_a.balance, bal_a.next_nonce) == (7 * GHOST - sent.fee, 1)
            assert bal_b.balance == 3 * GHOST
            for who in ("alice", "bob"):
                hist = await w.GetTransactionHistory(
                    W.GetTransactionHistoryRequest(account=who), timeout=5
                )
                assert hist.transactions[0].receipt.tx_hash == sent.tx_hash
            got = await w.GetTransaction(W.GetTransactionRequest(tx_hash=sent.tx_hash), timeout=5)
            assert got.transaction.receipt.status == T.TRANSACTION_STATUS_SUCCESS
            async with aclosing(
                w.StreamTransactions(W.StreamTransactionsRequest(from_height=ua.height))
            ) as txs:
                seen = set()
                async for ev in txs:
                    seen.add((ev.account, ev.direction))
                    if len(seen) == 2:
                        break
            assert seen == {("alice", W.DIRECTION_OUTGOING), ("bob", W.DIRECTION_INCOMING)}

            # -- fees, batches
            est = await w.EstimateGas(
                W.EstimateGasRequest(
                    account="alice", transfer=W.TransferSpec(to_address=b.address, amount=1)
                ),
                timeout=5,
            )
            info = await g.GetBlockchainInfo(N.GetBlockchainInfoRequest(), timeout=5)
            assert (
                est.fee
                == info.fee_schedule.base_fee + info.fee_schedule.fee_per_byte * est.gas_units
            )
            batch = await w.BatchTransactions(
                W.BatchTransactionsRequest(
                    account="alice",
                    passphrase=PASSES["alice"],
                    transfers=[
                        W.BatchTransfer(to_address=b.address, amount=i + 1) for i in range(3)
                    ],
                ),
                timeout=10,
            )
            assert batch.submitted == 3 and [r.nonce for r in batch.results] == [1, 2, 3]
            await next_update(updates, "bob")

            # -- signing
            sd = await w.SignData(
                W.SignDataRequest(account="bob", passphrase=PASSES["bob"], data=b"hi"), timeout=5
            )
            ok = await w.VerifySignature(
                W.VerifySignatureRequest(account="bob", data=b"hi", signature=sd.signature),
                timeout=5,
            )
            assert ok.valid and ok.address == b.address
            unsigned = T.Transaction()
            unsigned.transfer.to = a.address_bytes
            unsigned.transfer.amount = 5
            st = await w.SignTransaction(
                W.SignTransactionRequest(
                    account="bob", passphrase=PASSES["bob"], transaction=unsigned, submit=True
                ),
                timeout=10,
            )
            assert st.status == PENDING

            # -- multisig, two rounds with one local and one external signer
            m0 = (
                await w.CreateAccount(
                    W.CreateAccountRequest(name="m0", passphrase=PASSES["m0"]), timeout=10
                )
            ).account
            policy = T.MultiSigPolicy(
                threshold=2, public_keys=[m0.public_key, b.public_key, a.public_key]
            )
            first = await w.MultiSig(
                W.MultiSigRequest(
                    policy=policy, transfer=W.MultiSigTransfer(to_address=a.address, amount=1000)
                ),
                timeout=10,
            )
            assert not first.submitted and first.threshold == 2
            await w.SendTransaction(
                W.SendTransactionRequest(
                    account="alice",
                    passphrase=PASSES["alice"],
                    to_address=first.multisig_address,
                    amount=GHOST,
                ),
                timeout=10,
            )
            await next_update(updates, "alice")
            ext = await w.SignTransaction(
                W.SignTransactionRequest(
                    account="bob", passphrase=PASSES["bob"], tx_bytes=first.tx_bytes
                ),
                timeout=10,
            )
            done = await w.MultiSig(
                W.MultiSigRequest(
                    policy=policy,
                    tx_bytes=first.tx_bytes,
                    external_signatures=[
                        W.ExternalSignature(public_key=ext.public_key, signature=ext.signature)
                    ],
                    local_signers=[W.LocalSigner(account="m0", passphrase=PASSES["m0"])],
                ),
                timeout=10,
            )
            assert done.submitted and done.status == PENDING and len(done.signatures) == 2
            ev = await included(g, done.tx_hash, from_height=info.height)
            assert ev.transaction.receipt.status == T.TRANSACTION_STATUS_SUCCESS

            # -- identities
            reg = await w.RegisterIdentity(
                W.RegisterIdentityRequest(
                    account="alice",
                    passphrase=PASSES["alice"],
                    name="alice-id",
                    metadata={"url": "u"},
                ),
                timeout=10,
            )
            await included(g, reg.tx_hash, from_height=info.height)
            res = await w.ResolveIdentity(W.ResolveIdentityRequest(name="alice-id"), timeout=5)
            assert res.address == a.address
            upd = await w.UpdateIdentity(
                W.UpdateIdentityRequest(
                    account="alice",
                    passphrase=PASSES["alice"],
                    name="alice-id",
                    metadata={"mail": "m"},
                ),
                timeout=10,
            )
            await included(g, upd.tx_hash, from_height=info.height)
            mine = await w.GetIdentity(W.GetIdentityRequest(account="alice"), timeout=5)
            assert dict(mine.identity.metadata) == {"url": "u", "mail": "m"}

            # -- errors, each with its code and a readable message
            await expect(
                StatusCode.UNAUTHENTICATED,
                w.SignData(W.SignDataRequest(account="alice", passphrase=PASSES["bob"]), timeout=5),
            )
            await expect(
                StatusCode.NOT_FOUND, w.GetBalance(W.GetBalanceRequest(account="carol"), timeout=5)
            )
            await expect(
                StatusCode.FAILED_PRECONDITION,
                w.SendTransaction(
                    W.SendTransactionRequest(
                        account="bob", passphrase=PASSES["bob"], to_address=a.address, amount=10**15
                    ),
                    timeout=10,
                ),
            )
            await expect(
                StatusCode.INVALID_ARGUMENT,
                w.SendTransaction(
                    W.SendTransactionRequest(
                        account="bob", passphrase=PASSES["bob"], to_address="gh1nope", amount=1
                    ),
                    timeout=10,
                ),
            )
            await expect(
                StatusCode.INVALID_ARGUMENT,
                w.GetTransaction(W.GetTransactionRequest(tx_hash=b"1"), timeout=5),
            )

            # -- delete needs the passphrase
            await expect(
                StatusCode.UNAUTHENTICATED,
                w.DeleteAccount(W.DeleteAccountRequest(account="m0", passphrase="x"), timeout=5),
            )
            gone = await w.DeleteAccount(
                W.DeleteAccountRequest(account="m0", passphrase=PASSES["m0"]), timeout=5
            )
            assert gone.address == m0.address

            # -- metrics per RPC
            text = await metrics(walletd.admin_port)
            assert (
                'method="SendTransaction"' in text
                and 'service="ghost.wallet.v1.WalletService"' in text
            )
            assert 'code="UNAUTHENTICATED"' in text

            # -- secrets: read the keys back, then stop and search everything walletd wrote
            sealed = {}
            from walletd_stub.keystore import KeyStore

            ks = KeyStore(tmp_path / "walletd" / "keystore.sqlite3")
            for name in ("alice", "bob"):
                sealed[name] = open_key(ks.get(name).sealed, PASSES[name])[1]
            ks.close()
            await updates.aclose()
            assert await walletd.daemon.stop() == 0
            output = walletd.daemon.text + text
            assert '"level": "debug"' in output  # really at debug
            for pw in PASSES.values():
                assert pw not in output
            for secret in sealed.values():
                for form in (
                    secret.hex(),
                    base64.b64encode(secret).decode()[:40],
                    repr(secret)[2:-1],
                ):
                    assert form not in output


async def test_import_dev_account_funds_a_new_account_from_walletd_alone(
    launch, tmp_path: Path
) -> None:
    """The path a user takes after `make up`: no direct ghostd access, only WalletService."""
    from ghostchain.genesis import DEV_ACCOUNT_BALANCE, dev_account

    dave = dev_account("dave", KeyType.SECP256K1)
    with trio.fail_after(60):
        async with AsyncExitStack() as stack:
            ghostd = await start_ghostd(launch, tmp_path)
            walletd = await start_walletd(launch, tmp_path, "--ghostd", f"127.0.0.1:{ghostd.port}")
            w = await stack.enter_async_context(stub(tmp_path, walletd.port, WALLET))
            imported = await w.ImportAccount(
                W.ImportAccountRequest(
                    name="dave",
                    passphrase=PASSES["alice"],
                    key_type=T.KEY_TYPE_SECP256K1,
                    secret_key=dave.secret,
                ),
                timeout=10,
            )
            assert imported.account.address == dave.address_text
            again = W.ImportAccountRequest(
                name="dave2",
                passphrase=PASSES["alice"],
                key_type=T.KEY_TYPE_SECP256K1,
                secret_key=dave.secret,
            )
            await expect(StatusCode.ALREADY_EXISTS, w.ImportAccount(again, timeout=10))
            before = await w.GetBalance(W.GetBalanceRequest(account="dave"), timeout=5)
            assert before.balance == DEV_ACCOUNT_BALANCE
            new = (
                await w.CreateAccount(
                    W.CreateAccountRequest(name="new", passphrase=PASSES["bob"]), timeout=10
                )
            ).account
            updates = await stack.enter_async_context(
                w.StreamBalanceUpdates(W.StreamBalanceRequest(account="new"))
            )
            sent = await w.SendTransaction(
                W.SendTransactionRequest(
                    account="dave",
                    passphrase=PASSES["alice"],
                    to_address=new.address,
                    amount=25 * GHOST,
                ),
                timeout=10,
            )
            assert sent.status == PENDING
            up = await next_update(updates, "new")  # pushed when the block lands, no polling
            assert (up.previous_balance, up.balance) == (0, 25 * GHOST)
            after = await w.GetBalance(W.GetBalanceRequest(account="dave"), timeout=5)
            assert after.balance == DEV_ACCOUNT_BALANCE - 25 * GHOST - sent.fee
            got = await w.GetBalance(W.GetBalanceRequest(account=new.address), timeout=5)
            assert got.balance == 25 * GHOST
            # The balance stream is still open (its handler runs); the unary calls are done.
            text = await metrics(walletd.admin_port)
            svc = 'service="ghost.wallet.v1.WalletService"'
            assert f'ghost_rpc_in_flight{{method="StreamBalanceUpdates",{svc}}} 1.0' in text
            assert f'ghost_rpc_in_flight{{method="GetBalance",{svc}}} 0.0' in text
        output = walletd.daemon.text
        assert '"event": "account_imported"' in output
        secret = dave.secret
        for form in (secret.hex(), base64.b64encode(secret).decode().rstrip("=")):
            assert form not in output


async def test_sigkill_right_after_create_loses_nothing(launch, tmp_path: Path) -> None:
    ensure_dev_certs(tmp_path)
    dead = f"127.0.0.1:{free_udp_port()}"
    with trio.fail_after(40):
        wd = await start_walletd(launch, tmp_path, "--ghostd", dead)
        async with stub(tmp_path, wd.port, WALLET) as w:
            created = await w.CreateAccount(
                W.CreateAccountRequest(name="keep", passphrase="keep-me-1"), timeout=10
            )
            # SIGKILL as soon as the answer is in: no drain, no close of the database.
            assert await wd.daemon.kill() == -signal.SIGKILL
        wd = await start_walletd(launch, tmp_path, "--ghostd", dead)
        async with stub(tmp_path, wd.port, WALLET) as w:
            listed = await w.ListAccounts(W.ListAccountsRequest(), timeout=5)
            assert [x.address for x in listed.accounts] == [created.account.address]
            sig = await w.SignData(
                W.SignDataRequest(account="keep", passphrase="keep-me-1", data=b"d"), timeout=10
            )
            assert sig.address == created.account.address
            await expect(
                StatusCode.UNAUTHENTICATED,
                w.SignData(W.SignDataRequest(account="keep", passphrase="keep-me-2"), timeout=10),
            )
            # ghostd is down: a readable UNAVAILABLE, not INTERNAL.
            err = await expect(
                StatusCode.UNAVAILABLE,
                w.GetBalance(W.GetBalanceRequest(account="keep"), timeout=15),
            )
            assert dead in err.message
        assert await wd.daemon.stop() == 0


async def _mini_bridge(
    nursery: trio.Nursery, state: Path, ghostd_port: int, seen: list, renewed: trio.Event
):
    """A stand-in GhostBridge (the real one is not written yet): relays every call to ghostd
    with zquic.rpc.relay_call and answers registrations / lease renewals, recording them."""
    import functools

    import zquic
    from ghost.bridge.v1 import bridge_pb2 as B
    from zquic.rpc import RpcServer, relay_call, serve_rpc

    certs = ensure_dev_certs(state)

    async def hold(task_status=trio.TASK_STATUS_IGNORED) -> None:  # type: ignore[no-untyped-def]
        tls = zquic.TLSConfig.from_dev_certs(certs, "ghostbridge", server=False)
        async with zquic.connect(
            "127.0.0.1", ghostd_port, tls=tls, alpn_protocols=["ghostbridge/1"]
        ) as conn:
            task_status.started(conn)
            await trio.sleep_forever()

    conn = await nursery.start(hold)

    async def fallback(call):  # type: ignore[no-untyped-def]
        seen.append(("relay", call.header.method))
        return await relay_call(call, await conn.open_stream())

    async def control(ftype, request, peer):  # type: ignore[no-untyped-def]
        seen.append((type(request).__name__, request))
        ok = B.Status(code=0)
        if isinstance(request, B.RegisterRequest):
            return B.RegisterResponse(result=ok, lease_id="lease-1", ttl_ms=900, instance_id="i1")
        if not request.release:
            renewed.set()
        return B.HealthCheckResponse(result=ok, ttl_ms=900)

    server = RpcServer(fallback_handler=fallback, control_handler=control)
    tls = zquic.TLSConfig.from_dev_certs(certs, "ghostbridge", server=True)
    endpoint = await nursery.start(functools.partial(serve_rpc, server, "127.0.0.1", 0, tls=tls))
    return endpoint.local_address[1]


async def test_bridge_route_and_registration(launch, tmp_path: Path) -> None:
    """With --bridge, node calls go to the bridge (the direct ghostd address is dead), and
    walletd registers WalletService there, renews the lease and releases it on shutdown."""
    ensure_dev_certs(tmp_path)
    seen: list = []
    renewed = trio.Event()
    with trio.fail_after(40):
        async with trio.open_nursery() as nursery:
            ghostd = await start_ghostd(launch, tmp_path)
            bridge_port = await _mini_bridge(nursery, tmp_path, ghostd.port, seen, renewed)
            wd = await start_walletd(
                launch, tmp_path, "--ghostd", f"127.0.0.1:{free_udp_port()}",
                "--bridge", f"127.0.0.1:{bridge_port}",
            )  # fmt: skip
            listening = await wd.daemon.wait_event("listening")
            assert listening["via_bridge"] is True
            async with stub(tmp_path, wd.port, WALLET) as w:
                from ghostchain.genesis import dev_account

                alice = dev_account("alice")
                bal = await w.GetBalance(
                    W.GetBalanceRequest(account=alice.address_text), timeout=10
                )
                assert bal.balance > 0
            assert ("relay", "/ghost.node.v1.GhostDService/GetAccount") in seen
            await wd.daemon.wait_event("bridge_registered")
            reg = next(r for kind, r in seen if kind == "RegisterRequest").registration
            assert reg.service == "ghost.wallet.v1.WalletService"
            assert (reg.endpoint.host, reg.endpoint.port) == ("127.0.0.1", wd.port)
            assert "SendTransaction" in reg.methods
            # A renewal arrives within ttl/3 (the daemon's own cadence).
            await renewed.wait()
            assert await wd.daemon.stop() == 0
            assert any(k == "HealthCheckRequest" and r.release for k, r in seen)
            nursery.cancel_scope.cancel()


async def test_streams_resume_after_ghostd_restart(launch, tmp_path: Path) -> None:
    ensure_dev_certs(tmp_path)
    port = free_udp_port()
    with trio.fail_after(60):
        async with AsyncExitStack() as outer:
            ghostd = await start_ghostd(launch, tmp_path, port)
            wd = await start_walletd(launch, tmp_path, "--ghostd", f"127.0.0.1:{port}")
            w = await outer.enter_async_context(stub(tmp_path, wd.port, WALLET))
            acct = (
                await w.CreateAccount(
                    W.CreateAccountRequest(name="r", passphrase="r-pass"), timeout=10
                )
            ).account
            events = await outer.enter_async_context(
                w.StreamTransactions(W.StreamTransactionsRequest(account="r"))
            )
            async with stub(tmp_path, port, NODE) as g:
                h1 = await fund(g, acct.address_bytes, GHOST)
            assert (await events.receive()).transaction.receipt.tx_hash == h1
            # Restart ghostd on the same port and state: walletd reconnects and resumes.
            assert await ghostd.daemon.stop() == 0
            ghostd = await start_ghostd(launch, tmp_path, port)
            async with stub(tmp_path, port, NODE) as g:
                h2 = await fund(g, acct.address_bytes, 2 * GHOST)
                h3 = await fund(g, acct.address_bytes, 3 * GHOST)
            got = [(await events.receive()).transaction.receipt.tx_hash for _ in range(2)]
            assert got == [h2, h3]  # no duplicate of h1, no gap
            await events.aclose()
