from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from walletd_stub.keystore import KeyStore
from walletd_stub.service import WalletServicer
from wd_fakenode import FakeNode
from zcrypto import keyfile


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
