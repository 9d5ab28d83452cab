"""walletd-stub: GhostNet's development wallet daemon (ghost.wallet.v1.WalletService).

Holds account keys sealed under their passphrases (Argon2id + XSalsa20-Poly1305) in a SQLite
key store, builds, signs and submits transactions to ghostd (directly, or through GhostBridge
with --bridge), and serves WalletService over QUIC (ALPN ghostbridge/1). See docs/walletd.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from ghostkit.daemon import run_daemon

from .config import WalletdConfig
from .daemon import run

DAEMON = "walletd"


def main(argv: Sequence[str] | None = None) -> None:
    run_daemon(DAEMON, WalletdConfig, run, argv, description=__doc__)


if __name__ == "__main__":
    main()
