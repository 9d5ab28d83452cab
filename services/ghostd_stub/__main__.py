"""`ghostd-stub` / `python -m ghostd_stub`: a single-operator GhostChain development node.

Serves ghost.node.v1.GhostDService over QUIC (ALPN ghostbridge/1): proof-of-authority block
production, SQLite persistence, streams, sync from a peer. Run with --help for every option;
docs/ghostd.md describes the chain rules, genesis, dev accounts and guarantees.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ghostkit.daemon import run_daemon

from .app import main as app_main
from .config import DAEMON, GhostdConfig


def main(argv: Sequence[str] | None = None) -> None:
    run_daemon(DAEMON, GhostdConfig, app_main, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
