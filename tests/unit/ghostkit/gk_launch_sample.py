"""Runs ghostkit.cli.launch over sample daemons: argv = state_dir then name:admin_port[:crash]..."""

from __future__ import annotations

import sys
from pathlib import Path

import trio
from ghostkit.cli import DaemonSpec, launch, start_order

if __name__ == "__main__":
    specs = []
    for item in sys.argv[2:]:
        name, port, *flags = item.split(":")
        extra = (
            ("--log-format", "json", "--crash-after-ready") if flags else ("--log-format", "json")
        )
        specs.append(DaemonSpec(name, "gk_sample_daemon", int(port), extra_args=extra))
    code = trio.run(
        lambda: launch(start_order(specs), Path(sys.argv[1]), ready_timeout=20, stop_grace=10)
    )
    sys.exit(code)
