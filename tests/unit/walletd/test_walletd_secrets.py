"""No passphrase or private key reaches a log line or an error message (debug logging)."""

from __future__ import annotations

import base64
import io

import pytest
import structlog
import trio
from ghost.wallet.v1 import wallet_pb2 as W
from ghostchain.genesis import dev_account
from ghostkit.logging import setup_logging
from walletd_stub.keystore import KeyStore
from walletd_stub.service import WalletServicer
from wd_fakenode import FakeNode
from zcrypto import open_key
from zquic.rpc import RpcError

PASSES = {"main": "Tr0ub4dor&3-main", "cold": "hunter2-cold-passphrase"}
BOB = dev_account("bob")
CAROL = dev_account("carol")


def forms(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        repr(secret)[2:-1],
    ]


async def test_flows_at_debug_leak_nothing(keystore: KeyStore, node: FakeNode) -> None:
    from zcrypto import keyfile

    buf = io.StringIO()
    setup_logging("debug", "console", "walletd", stream=buf)
    wallet = WalletServicer(keystore, node, kdf=keyfile.FAST_INSECURE)
    errors: list[str] = []
    try:
        with trio.fail_after(10):
            for name, kt in (("main", 1), ("cold", 2)):
                await wallet.CreateAccount(
                    W.CreateAccountRequest(name=name, passphrase=PASSES[name], key_type=kt), None
                )
            node.credit(keystore.get("main").address_bytes, 10**9)
            main, cold = PASSES["main"], PASSES["cold"]
            to = BOB.address_text
            calls = [
                wallet.SendTransaction(
                    W.SendTransactionRequest(
                        account="main", passphrase=main, to_address=to, amount=5
                    ),
                    None,
                ),
                wallet.SignData(
                    W.SignDataRequest(account="cold", passphrase=cold, data=b"x"), None
                ),
                # Wrong passphrases: the right one of the *other* account, and a near miss.
                wallet.SignData(W.SignDataRequest(account="main", passphrase=cold), None),
                wallet.SendTransaction(
                    W.SendTransactionRequest(
                        account="cold", passphrase=cold + "!", to_address=to, amount=5
                    ),
                    None,
                ),
                wallet.DeleteAccount(W.DeleteAccountRequest(account="cold", passphrase="x"), None),
                # Imports: a good key, then the same key again and a truncated one (errors).
                wallet.ImportAccount(
                    W.ImportAccountRequest(name="carol", passphrase=main, secret_key=CAROL.secret),
                    None,
                ),
                wallet.ImportAccount(
                    W.ImportAccountRequest(name="dup", passphrase=main, secret_key=CAROL.secret),
                    None,
                ),
                wallet.ImportAccount(
                    W.ImportAccountRequest(
                        name="short", passphrase=main, secret_key=CAROL.secret[:31]
                    ),
                    None,
                ),
            ]
            for call in calls:
                try:
                    await call
                except RpcError as exc:
                    errors.append(str(exc))
    finally:
        structlog.reset_defaults()
    assert len(errors) == 5
    text = buf.getvalue() + "\n".join(errors)
    assert "account_created" in text and "transaction_submitted" in text
    assert "account_imported" in text and CAROL.address_text in text
    for form in forms(CAROL.secret) + forms(CAROL.secret[:31]):
        assert form not in text, "imported private key leaked"
    for name, pw in PASSES.items():
        assert pw not in text
        _, secret = open_key(keystore.get(name).sealed, pw)
        for form in forms(secret):
            assert form not in text, f"private key of {name} leaked"


@pytest.mark.parametrize("field", ["passphrase"])
def test_passphrase_fields_are_not_in_reprs(field: str) -> None:
    # Protobuf reprs include every field: never log a request object. This guards the rule.
    req = W.SignDataRequest(account="a", passphrase="s3cret")
    assert "s3cret" in str(req)  # which is why the servicer logs fields, never requests
