"""Shared helpers of the walletd unit tests (a plain module: `conftest` names collide)."""

from __future__ import annotations

from ghost.wallet.v1 import wallet_pb2

PASS = "correct horse battery staple"


async def create(
    wallet, name: str, key_type: int = 0, passphrase: str = PASS
) -> wallet_pb2.WalletAccount:  # type: ignore[no-untyped-def]
    resp = await wallet.CreateAccount(
        wallet_pb2.CreateAccountRequest(name=name, passphrase=passphrase, key_type=key_type),
        None,
    )
    return resp.account
