"""ghostd-stub: GhostNet's GhostChain development node (ghost.node.v1.GhostDService).

A single-operator node serving GhostDService over QUIC (ALPN ghostbridge/1) with real
signatures and validation: proof-of-authority block production (one validator), a mempool,
state persisted in SQLite, block/transaction/consensus/domain event streams, sync from and
forwarding to a peer, and optional GhostBridge registration. Without --genesis-file it runs
the dev chain, whose dev accounts and validator key are PUBLIC (development only).
See docs/ghostd.md for the chain rules, genesis files, dev accounts, persistence guarantees
and startup errors.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ghostkit.daemon import run_daemon

from .app import main as app_main
from .config import DAEMON, GhostdConfig


def main(argv: Sequence[str] | None = None) -> None:
    run_daemon(
        DAEMON,
        GhostdConfig,
        app_main,
        sys.argv[1:] if argv is None else argv,
        description=__doc__,
    )


if __name__ == "__main__":
    main()
