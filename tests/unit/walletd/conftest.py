from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ghost.wallet.v1 import wallet_pb2
from walletd_stub.keystore import KeyStore
from walletd_stub.service import WalletServicer
from wd_fakenode import FakeNode
from zcrypto import keyfile

PASS = "correct horse battery staple"


@pytest.fixture
def keystore(tmp_path: Path) -> Iterator[KeyStore]:
    ks = KeyStore(tmp_path / "walletd" / "keystore.sqlite3")
    yield ks
    ks.close()


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
def wallet(keystore: KeyStore, node: FakeNode) -> WalletServicer:
    return WalletServicer(
        keystore,
        node,
        kdf=keyfile.FAST_INSECURE,
        stream_retry_delay=0.01,
        stream_reconnect_timeout=2.0,
    )


async def create(
    wallet: WalletServicer, name: str, key_type: int = 0, passphrase: str = PASS
) -> wallet_pb2.WalletAccount:
    resp = await wallet.CreateAccount(
        wallet_pb2.CreateAccountRequest(name=name, passphrase=passphrase, key_type=key_type),
        None,
    )
    return resp.account
