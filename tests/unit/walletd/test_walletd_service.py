"""WalletService handlers against the in-memory node: every RPC, its errors and statuses."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from ghost.node.v1 import types_pb2
from ghost.wallet.v1 import wallet_pb2 as W
from ghostchain.genesis import dev_account
from ghostchain.tx import decode_and_verify
from walletd_stub.chain import SIGN_DATA_PREFIX
from walletd_stub.errors import Code
from walletd_stub.service import WalletServicer
from wd_fakenode import CHAIN_ID, FakeNode
from wd_helpers import PASS, create
from zcrypto import KeyType, ed25519, parse_address
from zquic.rpc import RpcError, StatusCode

PENDING = types_pb2.TRANSACTION_STATUS_PENDING
GHOST = 10**9
BOB = dev_account("bob")


async def funded(
    wallet: WalletServicer, node: FakeNode, name: str, amount: int = 10 * GHOST, kt: int = 0
):
    acct = await create(wallet, name, kt)
    node.credit(acct.address_bytes, amount)
    return acct


async def expect(code: StatusCode, coro) -> RpcError:
    with pytest.raises(RpcError) as info:
        await coro
    assert info.value.code == code, info.value.message
    assert info.value.message
    return info.value


# ---------------------------------------------------------------- accounts


async def test_create_list_delete(wallet: WalletServicer) -> None:
    with trio.fail_after(10):
        a = await create(wallet, "main")
        b = await create(wallet, "cold", types_pb2.KEY_TYPE_SECP256K1)
        assert a.public_key.key_type == types_pb2.KEY_TYPE_ED25519 and len(a.public_key.key) == 32
        assert b.public_key.key_type == types_pb2.KEY_TYPE_SECP256K1 and len(b.public_key.key) == 33
        assert parse_address(a.address) == a.address_bytes and a.created_at.seconds > 0
        page = await wallet.ListAccounts(W.ListAccountsRequest(page_size=1), None)
        assert [x.name for x in page.accounts] == ["cold"] and page.next_page_token
        page2 = await wallet.ListAccounts(
            W.ListAccountsRequest(page_size=1, page_token=page.next_page_token), None
        )
        assert [x.name for x in page2.accounts] == ["main"] and not page2.next_page_token
        await expect(StatusCode.ALREADY_EXISTS, create(wallet, "main"))
        await expect(StatusCode.INVALID_ARGUMENT, create(wallet, "Bad Name"))
        await expect(StatusCode.INVALID_ARGUMENT, create(wallet, "x", passphrase=""))
        await expect(StatusCode.INVALID_ARGUMENT, create(wallet, "x", key_type=7))
        err = await expect(
            StatusCode.UNAUTHENTICATED,
            wallet.DeleteAccount(W.DeleteAccountRequest(account="main", passphrase="nope"), None),
        )
        assert "'main'" in err.message
        await expect(
            StatusCode.NOT_FOUND,
            wallet.DeleteAccount(W.DeleteAccountRequest(account="ghost", passphrase=PASS), None),
        )
        resp = await wallet.DeleteAccount(
            W.DeleteAccountRequest(account=a.address, passphrase=PASS), None
        )
        assert resp.address == a.address
        left = await wallet.ListAccounts(W.ListAccountsRequest(), None)
        assert [x.name for x in left.accounts] == ["cold"]


async def test_import_dev_accounts_sealed_like_created_ones(
    wallet: WalletServicer, node: FakeNode
) -> None:
    from walletd_stub.keystore import unlock

    alice, alice_k1 = dev_account("alice"), dev_account("alice", KeyType.SECP256K1)
    with trio.fail_after(10):
        got = await wallet.ImportAccount(
            W.ImportAccountRequest(name="alice", passphrase=PASS, secret_key=alice.secret), None
        )
        acct = got.account
        assert (acct.name, acct.address) == ("alice", alice.address_text)
        assert acct.public_key.key == alice.public_key and acct.address_bytes == alice.address
        k1 = await wallet.ImportAccount(
            W.ImportAccountRequest(
                name="alice-k1",
                passphrase=PASS,
                key_type=types_pb2.KEY_TYPE_SECP256K1,
                secret_key=alice_k1.secret,
            ),
            None,
        )
        assert k1.account.address == alice_k1.address_text
        # Sealed under the passphrase: only the right one opens it, and it is the same key.
        record = wallet.keystore.get("alice")
        assert alice.secret not in record.sealed
        signer = unlock(record, PASS)
        assert ed25519.verify(alice.public_key, b"m", signer.sign(b"m"))
        await expect(StatusCode.UNAUTHENTICATED, wallet.SignData(
            W.SignDataRequest(account="alice", passphrase="wrong", data=b"x"), None
        ))  # fmt: skip
        # The imported account spends like any other.
        node.credit(alice.address, 10 * GHOST)
        sent = await wallet.SendTransaction(
            W.SendTransactionRequest(
                account="alice", passphrase=PASS, to_address=BOB.address_text, amount=GHOST
            ),
            None,
        )
        assert sent.status == PENDING
        tx = decode_and_verify(sent.transaction, CHAIN_ID)
        assert tx.sender == alice.address and tx.transfer.amount == GHOST


@pytest.mark.parametrize(
    ("key_type", "secret", "fragment"),
    [
        (0, b"", "secret_key is required"),
        (0, b"\x01" * 31, "must be 32 bytes for KEY_TYPE_ED25519, got 31"),
        (types_pb2.KEY_TYPE_ED25519, b"\x01" * 64, "must be 32 bytes for KEY_TYPE_ED25519, got 64"),
        (types_pb2.KEY_TYPE_SECP256K1, b"\x01" * 33, "32 bytes for KEY_TYPE_SECP256K1, got 33"),
        (types_pb2.KEY_TYPE_SECP256K1, b"\x00" * 32, "not a valid KEY_TYPE_SECP256K1"),
        (types_pb2.KEY_TYPE_SECP256K1, b"\xff" * 32, "not a valid KEY_TYPE_SECP256K1"),
        (7, b"\x01" * 32, "key_type"),
    ],
)
async def test_import_rejects_bad_keys_without_echoing_them(
    wallet: WalletServicer, key_type: int, secret: bytes, fragment: str
) -> None:
    req = W.ImportAccountRequest(name="x", passphrase=PASS, key_type=key_type, secret_key=secret)
    err = await expect(StatusCode.INVALID_ARGUMENT, wallet.ImportAccount(req, None))
    assert fragment in err.message
    if secret:
        assert secret.hex() not in err.message and repr(secret) not in err.message
    assert wallet.keystore.find("x") is None


async def test_import_duplicate_name_or_address_is_already_exists(wallet: WalletServicer) -> None:
    alice, bob = dev_account("alice"), dev_account("bob")

    def req(name: str, secret: bytes) -> W.ImportAccountRequest:
        return W.ImportAccountRequest(name=name, passphrase=PASS, secret_key=secret)

    with trio.fail_after(10):
        await create(wallet, "main")
        await wallet.ImportAccount(req("alice", alice.secret), None)
        err = await expect(
            StatusCode.ALREADY_EXISTS, wallet.ImportAccount(req("again", alice.secret), None)
        )
        assert alice.address_text in err.message and "'alice'" in err.message
        err = await expect(
            StatusCode.ALREADY_EXISTS, wallet.ImportAccount(req("main", bob.secret), None)
        )
        assert "'main'" in err.message
        names = [
            a.name for a in (await wallet.ListAccounts(W.ListAccountsRequest(), None)).accounts
        ]
        assert names == ["alice", "main"]
        # The store itself refuses a second row for an address (a race past the check).
        from walletd_stub.keystore import create_record
        from zcrypto import keyfile

        dup = create_record("other", PASS, KeyType.ED25519, keyfile.FAST_INSECURE, alice.secret)
        with pytest.raises(Exception, match="already holds address"):
            wallet.keystore.add(dup)


async def test_balance_of_wallet_account_and_any_address(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        acct = await funded(wallet, node, "main", 5 * GHOST)
        resp = await wallet.GetBalance(W.GetBalanceRequest(account="main"), None)
        assert (resp.address, resp.balance, resp.next_nonce, resp.pending_outgoing) == (
            acct.address,
            5 * GHOST,
            0,
            0,
        )
        node.credit(BOB.address, 7)
        other = await wallet.GetBalance(W.GetBalanceRequest(account=BOB.address_text), None)
        assert other.balance == 7
        await expect(
            StatusCode.NOT_FOUND, wallet.GetBalance(W.GetBalanceRequest(account="nobody"), None)
        )
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.GetBalance(W.GetBalanceRequest(account="gh1bad"), None),
        )
        await expect(StatusCode.INVALID_ARGUMENT, wallet.GetBalance(W.GetBalanceRequest(), None))
        node.unavailable = True
        err = await expect(
            StatusCode.UNAVAILABLE, wallet.GetBalance(W.GetBalanceRequest(account="main"), None)
        )
        assert "unreachable" in err.message


# ---------------------------------------------------------------- transactions


async def test_send_transfer_between_accounts(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        a = await funded(wallet, node, "alice", 10 * GHOST)
        b = await create(wallet, "bob", types_pb2.KEY_TYPE_SECP256K1)
        r1 = await wallet.SendTransaction(
            W.SendTransactionRequest(
                account="alice", passphrase=PASS, to_address=b.address, amount=GHOST
            ),
            None,
        )
        r2 = await wallet.SendTransaction(
            W.SendTransactionRequest(
                account="alice", passphrase=PASS, to_address=b.address, amount=2
            ),
            None,
        )
        # Nonces count our own pending transaction; fee is the estimate.
        assert (r1.nonce, r2.nonce, r1.status) == (0, 1, PENDING)
        tx = decode_and_verify(r1.transaction, CHAIN_ID)
        assert tx.fee == r1.fee == node.fees.min_fee(len(r1.transaction.tx_bytes))
        bal = await wallet.GetBalance(W.GetBalanceRequest(account="alice"), None)
        assert bal.pending_outgoing == GHOST + 2 + r1.fee + r2.fee and bal.next_nonce == 2
        node.produce_block()
        alice = await wallet.GetBalance(W.GetBalanceRequest(account="alice"), None)
        bob = await wallet.GetBalance(W.GetBalanceRequest(account=b.address), None)
        assert alice.balance == 10 * GHOST - GHOST - 2 - r1.fee - r2.fee
        assert bob.balance == GHOST + 2 and alice.next_nonce == 2
        got = await wallet.GetTransaction(W.GetTransactionRequest(tx_hash=r1.tx_hash), None)
        assert got.transaction.receipt.status == types_pb2.TRANSACTION_STATUS_SUCCESS
        for who in ("alice", "bob"):
            hist = await wallet.GetTransactionHistory(
                W.GetTransactionHistoryRequest(account=who), None
            )
            assert [t.receipt.tx_hash for t in hist.transactions] == [r2.tx_hash, r1.tx_hash]
        hist = await wallet.GetTransactionHistory(
            W.GetTransactionHistoryRequest(account="alice", page_size=1), None
        )
        assert len(hist.transactions) == 1 and hist.next_page_token
        assert a.address  # used


async def test_send_errors(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice", 100_000)

        def send(**kw):
            base = {
                "account": "alice",
                "passphrase": PASS,
                "to_address": BOB.address_text,
                "amount": 1,
            }
            base.update(kw)
            return wallet.SendTransaction(W.SendTransactionRequest(**base), None)

        await expect(StatusCode.UNAUTHENTICATED, send(passphrase="wrong"))
        await expect(StatusCode.NOT_FOUND, send(account="nobody"))
        await expect(StatusCode.INVALID_ARGUMENT, send(to_address="gh1" + "0" * 44))
        await expect(StatusCode.INVALID_ARGUMENT, send(amount=0))
        err = await expect(StatusCode.INVALID_ARGUMENT, send(fee=1))
        assert "below the chain minimum" in err.message
        err = await expect(StatusCode.FAILED_PRECONDITION, send(amount=10**6))
        assert "insufficient funds" in err.message and "'alice'" in err.message
        # The node's own refusal passes through with its code.
        err = await expect(StatusCode.FAILED_PRECONDITION, send(nonce=5))
        assert "ghostd refused" in err.message and "gap" in err.message
        node.unavailable = True
        await expect(StatusCode.UNAVAILABLE, send())
        assert node.submitted == []


async def test_get_transaction_errors(wallet: WalletServicer) -> None:
    await expect(
        StatusCode.INVALID_ARGUMENT,
        wallet.GetTransaction(W.GetTransactionRequest(tx_hash=b"x"), None),
    )
    err = await expect(
        StatusCode.NOT_FOUND,
        wallet.GetTransaction(W.GetTransactionRequest(tx_hash=b"\1" * 32), None),
    )
    assert ("01" * 32) in err.message


async def test_batch_success_consecutive_nonces(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice", GHOST)
        transfers = [W.BatchTransfer(to_address=BOB.address_text, amount=i + 1) for i in range(4)]
        resp = await wallet.BatchTransactions(
            W.BatchTransactionsRequest(account="alice", passphrase=PASS, transfers=transfers), None
        )
        assert resp.submitted == 4
        assert [r.nonce for r in resp.results] == [0, 1, 2, 3]
        assert [s.tx_hash for s in node.submitted] == [r.tx_hash for r in resp.results]
        node.produce_block()
        assert node.balance(BOB.address) == 1 + 2 + 3 + 4


async def test_batch_validated_as_a_whole_before_any_submission(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice", 10_000)
        each = W.BatchTransfer(to_address=BOB.address_text, amount=4_000)
        err = await expect(
            StatusCode.FAILED_PRECONDITION,
            wallet.BatchTransactions(
                W.BatchTransactionsRequest(
                    account="alice", passphrase=PASS, transfers=[each, each]
                ),
                None,
            ),
        )
        assert "whole batch of 2" in err.message
        bad = [each, W.BatchTransfer(to_address="nope", amount=1)]
        err = await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.BatchTransactions(
                W.BatchTransactionsRequest(account="alice", passphrase=PASS, transfers=bad), None
            ),
        )
        assert "transfers[1].to_address" in err.message
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.BatchTransactions(
                W.BatchTransactionsRequest(account="alice", passphrase=PASS), None
            ),
        )
        await expect(
            StatusCode.UNAUTHENTICATED,
            wallet.BatchTransactions(
                W.BatchTransactionsRequest(account="alice", passphrase="x", transfers=[each]), None
            ),
        )
        assert node.submitted == []


@pytest.mark.parametrize("stop_on_error", [True, False])
async def test_batch_submission_failure(
    wallet: WalletServicer, node: FakeNode, stop_on_error: bool
) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice", GHOST)
        node.reject_next = []
        transfers = [W.BatchTransfer(to_address=BOB.address_text, amount=i + 1) for i in range(3)]
        original_submit = node.submit
        count = {"n": 0}

        async def flaky(signed):
            count["n"] += 1
            if count["n"] == 2:
                from walletd_stub.errors import NodeError

                raise NodeError(Code.RESOURCE_EXHAUSTED, "ghostd: mempool is full")
            return await original_submit(signed)

        node.submit = flaky
        resp = await wallet.BatchTransactions(
            W.BatchTransactionsRequest(
                account="alice", passphrase=PASS, transfers=transfers, stop_on_error=stop_on_error
            ),
            None,
        )
        statuses = [r.status for r in resp.results]
        rejected = types_pb2.TRANSACTION_STATUS_REJECTED
        assert "mempool is full" in resp.results[1].error
        if stop_on_error:
            assert statuses == [PENDING, rejected, rejected] and resp.submitted == 1
            assert "skipped" in resp.results[2].error
        else:
            # The failed transfer's nonce is reused: no gap.
            assert statuses == [PENDING, rejected, PENDING] and resp.submitted == 2
            assert resp.results[2].nonce == 1
            node.produce_block()
            assert node.balance(BOB.address) == 1 + 3


async def test_estimate_gas_matches_what_send_uses(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice")
        est = await wallet.EstimateGas(
            W.EstimateGasRequest(
                account="alice", transfer=W.TransferSpec(to_address=BOB.address_text, amount=GHOST)
            ),
            None,
        )
        assert (est.base_fee, est.gas_price) == (node.fees.base_fee, node.fees.fee_per_byte)
        assert est.fee == est.base_fee + est.gas_price * est.gas_units
        sent = await wallet.SendTransaction(
            W.SendTransactionRequest(
                account="alice", passphrase=PASS, to_address=BOB.address_text, amount=GHOST
            ),
            None,
        )
        assert sent.fee == est.fee and len(sent.transaction.tx_bytes) == est.gas_units
        # An arbitrary unsigned transaction (an identity registration) from the wallet account.
        tx = types_pb2.Transaction()
        tx.register_identity.name = "alice"
        est2 = await wallet.EstimateGas(W.EstimateGasRequest(account="alice", transaction=tx), None)
        assert est2.fee == node.fees.min_fee(est2.gas_units)
        # Any address, key unknown: an upper bound.
        est3 = await wallet.EstimateGas(
            W.EstimateGasRequest(
                account=BOB.address_text,
                transfer=W.TransferSpec(to_address=BOB.address_text, amount=GHOST),
            ),
            None,
        )
        assert est3.gas_units >= est.gas_units
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.EstimateGas(W.EstimateGasRequest(account="alice"), None),
        )
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.EstimateGas(
                W.EstimateGasRequest(account="alice", transaction=types_pb2.Transaction()), None
            ),
        )


# ---------------------------------------------------------------- signing


async def test_sign_data_and_verify(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        acct = await create(wallet, "main")
        signed = await wallet.SignData(
            W.SignDataRequest(account="main", passphrase=PASS, data=b"hello"), None
        )
        assert signed.address == acct.address and signed.public_key == acct.public_key
        # The signature covers the documented prefix, not the bare data.
        assert ed25519.verify(acct.public_key.key, SIGN_DATA_PREFIX + b"hello", signed.signature)
        assert not ed25519.verify(acct.public_key.key, b"hello", signed.signature)

        def verify(**kw):
            return wallet.VerifySignature(W.VerifySignatureRequest(**kw), None)

        ok = await verify(account="main", data=b"hello", signature=signed.signature)
        assert ok.valid and ok.address == acct.address and not ok.error
        ok = await verify(public_key=acct.public_key, data=b"hello", signature=signed.signature)
        assert ok.valid
        bad = await verify(account="main", data=b"hellO", signature=signed.signature)
        assert not bad.valid and "raw" in bad.error
        raw = await verify(
            account="main", data=SIGN_DATA_PREFIX + b"hello", signature=signed.signature, raw=True
        )
        assert raw.valid
        short = await verify(account="main", data=b"hello", signature=b"123")
        assert not short.valid and "64 bytes" in short.error
        await expect(
            StatusCode.UNAUTHENTICATED,
            wallet.SignData(W.SignDataRequest(account="main", passphrase="x"), None),
        )
        await expect(StatusCode.INVALID_ARGUMENT, verify(data=b"x", signature=b"y"))
        await expect(
            StatusCode.INVALID_ARGUMENT,
            verify(
                public_key=types_pb2.PublicKey(key_type=1, key=b"short"),
                data=b"x",
                signature=b"y" * 64,
            ),
        )
        # An address whose key the chain has not seen yet.
        await expect(
            StatusCode.NOT_FOUND, verify(account=BOB.address_text, data=b"x", signature=b"y" * 64)
        )


async def test_sign_transaction_fills_signs_and_submits(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        acct = await funded(wallet, node, "main", kt=types_pb2.KEY_TYPE_SECP256K1)
        tx = types_pb2.Transaction()
        tx.transfer.to = BOB.address
        tx.transfer.amount = 5
        resp = await wallet.SignTransaction(
            W.SignTransactionRequest(account="main", passphrase=PASS, transaction=tx, submit=True),
            None,
        )
        parsed = decode_and_verify(resp.transaction, CHAIN_ID)
        assert parsed.sender == acct.address_bytes and parsed.chain_id == CHAIN_ID
        assert parsed.fee == node.fees.min_fee(len(resp.transaction.tx_bytes))
        assert resp.signature == resp.transaction.signature and resp.status == PENDING
        # tx_bytes mode: signed exactly as given, not submitted.
        again = await wallet.SignTransaction(
            W.SignTransactionRequest(
                account="main", passphrase=PASS, tx_bytes=resp.transaction.tx_bytes
            ),
            None,
        )
        assert again.transaction.tx_bytes == resp.transaction.tx_bytes
        assert again.status == types_pb2.TRANSACTION_STATUS_UNSPECIFIED
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.SignTransaction(
                W.SignTransactionRequest(account="main", passphrase=PASS, tx_bytes=b"\xff\xff"),
                None,
            ),
        )
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.SignTransaction(W.SignTransactionRequest(account="main", passphrase=PASS), None),
        )
        other = types_pb2.Transaction()
        other.CopyFrom(tx)
        other.sender_key.CopyFrom(BOB.key_proto())
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.SignTransaction(
                W.SignTransactionRequest(account="main", passphrase=PASS, transaction=other), None
            ),
        )


# ---------------------------------------------------------------- multisig


async def members(wallet: WalletServicer, node: FakeNode, n: int = 3):
    accts = [await create(wallet, f"m{i}", 2 if i == 1 else 0) for i in range(n)]
    policy = types_pb2.MultiSigPolicy(threshold=2, public_keys=[a.public_key for a in accts])
    return accts, policy


async def test_multisig_all_local(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        _, policy = await members(wallet, node)
        first = await wallet.MultiSig(
            W.MultiSigRequest(
                policy=policy, transfer=W.MultiSigTransfer(to_address=BOB.address_text, amount=5)
            ),
            None,
        )
        assert not first.submitted and first.signatures == [] and first.threshold == 2
        node.credit(parse_address(first.multisig_address), GHOST)
        local = [
            W.LocalSigner(account="m0", passphrase=PASS),
            W.LocalSigner(account="m2", passphrase=PASS),
        ]
        transfer = W.MultiSigTransfer(to_address=BOB.address_text, amount=5)
        resp = await wallet.MultiSig(
            W.MultiSigRequest(policy=policy, transfer=transfer, local_signers=local), None
        )
        assert resp.submitted and resp.status == PENDING and len(resp.signatures) == 2
        node.produce_block()
        assert node.balance(BOB.address) == 5
        info = node.included[resp.tx_hash]
        assert info.receipt.status == types_pb2.TRANSACTION_STATUS_SUCCESS
        # Once it has spent, the chain knows the policy: EstimateGas prices the real size.
        est = await wallet.EstimateGas(
            W.EstimateGasRequest(
                account=resp.multisig_address,
                transfer=W.TransferSpec(to_address=BOB.address_text, amount=5),
            ),
            None,
        )
        nxt = await wallet.MultiSig(W.MultiSigRequest(policy=policy, transfer=transfer), None)
        assert est.gas_units == len(nxt.tx_bytes)


async def test_multisig_two_rounds_with_external_signatures(
    wallet: WalletServicer, node: FakeNode
) -> None:
    with trio.fail_after(10):
        _, policy = await members(wallet, node)
        # Reversed key order: walletd sorts, so the address is the same.
        shuffled = types_pb2.MultiSigPolicy(
            threshold=2, public_keys=list(reversed(policy.public_keys))
        )
        first = await wallet.MultiSig(
            W.MultiSigRequest(
                policy=shuffled, transfer=W.MultiSigTransfer(to_address=BOB.address_text, amount=7)
            ),
            None,
        )
        node.credit(parse_address(first.multisig_address), GHOST)
        # Members sign the bytes elsewhere (here: SignTransaction with tx_bytes).
        s1 = await wallet.SignTransaction(
            W.SignTransactionRequest(account="m1", passphrase=PASS, tx_bytes=first.tx_bytes), None
        )
        assert len(s1.transaction.multisig_signatures) == 1
        assert s1.transaction.multisig_signatures[0].key_index == s1.key_index
        ext1 = W.ExternalSignature(public_key=s1.public_key, signature=s1.signature)
        partial = await wallet.MultiSig(
            W.MultiSigRequest(policy=policy, tx_bytes=first.tx_bytes, external_signatures=[ext1]),
            None,
        )
        assert not partial.submitted and len(partial.signatures) == 1
        s2 = await wallet.SignTransaction(
            W.SignTransactionRequest(account="m2", passphrase=PASS, tx_bytes=first.tx_bytes), None
        )
        ext2 = W.ExternalSignature(public_key=s2.public_key, signature=s2.signature)
        dry = await wallet.MultiSig(
            W.MultiSigRequest(
                policy=policy,
                tx_bytes=first.tx_bytes,
                external_signatures=[ext1, ext2],
                dry_run=True,
            ),
            None,
        )
        assert not dry.submitted and len(dry.signatures) == 2 and node.submitted == []
        done = await wallet.MultiSig(
            W.MultiSigRequest(
                policy=policy, tx_bytes=first.tx_bytes, external_signatures=[ext2, ext1]
            ),
            None,
        )
        assert done.submitted and done.tx_hash == first.tx_hash
        assert [s.key_index for s in done.signatures] == sorted(
            s.key_index for s in done.signatures
        )
        # Forged signature / wrong policy / missing pieces.
        forged = W.ExternalSignature(public_key=s2.public_key, signature=s1.signature)
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.MultiSig(
                W.MultiSigRequest(
                    policy=policy, tx_bytes=first.tx_bytes, external_signatures=[forged]
                ),
                None,
            ),
        )
        other = types_pb2.MultiSigPolicy(threshold=1, public_keys=policy.public_keys)
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.MultiSig(W.MultiSigRequest(policy=other, tx_bytes=first.tx_bytes), None),
        )
        await expect(
            StatusCode.INVALID_ARGUMENT, wallet.MultiSig(W.MultiSigRequest(policy=policy), None)
        )
        await expect(StatusCode.INVALID_ARGUMENT, wallet.MultiSig(W.MultiSigRequest(), None))
        await expect(
            StatusCode.UNAUTHENTICATED,
            wallet.MultiSig(
                W.MultiSigRequest(
                    policy=policy,
                    tx_bytes=first.tx_bytes,
                    local_signers=[W.LocalSigner(account="m0", passphrase="bad")],
                ),
                None,
            ),
        )


async def test_multisig_insufficient_funds(wallet: WalletServicer, node: FakeNode) -> None:
    _, policy = await members(wallet, node)
    local = [
        W.LocalSigner(account="m0", passphrase=PASS),
        W.LocalSigner(account="m1", passphrase=PASS),
    ]
    transfer = W.MultiSigTransfer(to_address=BOB.address_text, amount=5)
    err = await expect(
        StatusCode.FAILED_PRECONDITION,
        wallet.MultiSig(
            W.MultiSigRequest(policy=policy, transfer=transfer, local_signers=local), None
        ),
    )
    assert "multisig account gh1" in err.message


# ---------------------------------------------------------------- identities


async def test_identity_register_resolve_get_update(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        acct = await funded(wallet, node, "main")
        await funded(wallet, node, "other")
        resp = await wallet.RegisterIdentity(
            W.RegisterIdentityRequest(
                account="main", passphrase=PASS, name="alice", metadata={"url": "https://a"}
            ),
            None,
        )
        assert resp.status == PENDING
        await expect(
            StatusCode.NOT_FOUND,
            wallet.ResolveIdentity(W.ResolveIdentityRequest(name="alice"), None),
        )
        node.produce_block()
        resolved = await wallet.ResolveIdentity(W.ResolveIdentityRequest(name="alice"), None)
        assert resolved.address == acct.address and resolved.identity.public_key == acct.public_key
        got = await wallet.GetIdentity(W.GetIdentityRequest(account="main"), None)
        assert got.identity.name == "alice" and dict(got.identity.metadata) == {"url": "https://a"}
        await expect(
            StatusCode.NOT_FOUND, wallet.GetIdentity(W.GetIdentityRequest(account="other"), None)
        )
        await wallet.UpdateIdentity(
            W.UpdateIdentityRequest(
                account="main", passphrase=PASS, name="alice", metadata={"url": "", "mail": "a@b"}
            ),
            None,
        )
        node.produce_block()
        got = await wallet.GetIdentity(W.GetIdentityRequest(account="main"), None)
        assert dict(got.identity.metadata) == {"mail": "a@b"}
        await expect(
            StatusCode.PERMISSION_DENIED,
            wallet.UpdateIdentity(
                W.UpdateIdentityRequest(account="other", passphrase=PASS, name="alice"), None
            ),
        )
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.RegisterIdentity(
                W.RegisterIdentityRequest(account="main", passphrase=PASS, name="Bad Name"), None
            ),
        )
        await expect(
            StatusCode.INVALID_ARGUMENT,
            wallet.ResolveIdentity(W.ResolveIdentityRequest(name=""), None),
        )
        # Registering a taken name: the node's ALREADY_EXISTS passes through.
        await expect(
            StatusCode.ALREADY_EXISTS,
            wallet.RegisterIdentity(
                W.RegisterIdentityRequest(account="other", passphrase=PASS, name="alice"), None
            ),
        )


# ---------------------------------------------------------------- unexpected failures


async def test_a_bug_becomes_a_plain_internal_error(
    wallet: WalletServicer, node: FakeNode, monkeypatch
) -> None:
    async def boom() -> None:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(node, "chain_info", boom)
    err = await expect(
        StatusCode.INTERNAL,
        wallet.EstimateGas(
            W.EstimateGasRequest(
                account=BOB.address_text,
                transfer=W.TransferSpec(to_address=BOB.address_text, amount=1),
            ),
            None,
        ),
    )
    assert "EstimateGas" in err.message and "secret detail" not in err.message
    assert KeyType  # imported for readers


async def test_drained_waits_for_calls_in_flight(wallet: WalletServicer, node: FakeNode) -> None:
    with trio.fail_after(10):
        await funded(wallet, node, "alice")
        release = trio.Event()
        entered = trio.Event()
        original = node.submit

        async def slow(signed):  # type: ignore[no-untyped-def]
            entered.set()
            await release.wait()
            return await original(signed)

        node.submit = slow
        drained = trio.Event()
        async with trio.open_nursery() as nursery:
            req = W.SendTransactionRequest(
                account="alice", passphrase=PASS, to_address=BOB.address_text, amount=1
            )
            nursery.start_soon(wallet.SendTransaction, req, None)
            await entered.wait()

            async def wait_drain() -> None:
                await wallet.drained()
                drained.set()

            nursery.start_soon(wait_drain)
            await trio.testing.wait_all_tasks_blocked()
            assert not drained.is_set()
            release.set()
        assert drained.is_set() and len(node.submitted) == 1
