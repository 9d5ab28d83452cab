"""walletd-stub: GhostNet's development wallet daemon (ghost.wallet.v1.WalletService).

Holds account keys sealed under their passphrases (Argon2id + XSalsa20-Poly1305) in a SQLite
key store, builds, signs and submits transactions to ghostd (directly, or through GhostBridge
with --bridge), and serves WalletService over QUIC (ALPN ghostbridge/1). See docs/walletd.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ghostkit.daemon import run_daemon

from .config import WalletdConfig
from .daemon import run

DAEMON = "walletd"


def main(argv: Sequence[str] | None = None) -> None:
    if argv is None and any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__.strip() + "\n")
    run_daemon(DAEMON, WalletdConfig, run, argv)


if __name__ == "__main__":
    main()
