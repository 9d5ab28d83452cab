"""Smoke test of the benchmark harness in its smallest mode (one backend, ~0.1 s per run):
every benchmark runs end to end and prints the documented JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_quick_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--backend",
            "qh3",
            "--duration",
            "0.1",
            "--bulk-mib",
            "1",
            "--out",
            str(out),
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert lines and lines[-1].get("summary") is True, proc.stderr[-3000:]
    summary = lines[-1]
    assert summary["errors"] == [], summary["errors"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert lines == [json.loads(line) for line in out.read_text().splitlines()]

    records = {(r["bench"], r.get("backend")) for r in lines[:-1]}
    for name in (
        "unary_seq", "unary_seq_vs_grpcio", "unary_c64", "unary_c64_vs_grpcio", "bulk",
        "handshake_full", "handshake_resumed", "cpu_per_call",
    ):  # fmt: skip
        assert (name, "qh3") in records, name
    assert ("calibration_udp_pingpong", None) in records
    # Shapes, not speeds: a 0.1 s window on a loaded machine may see no call complete.
    for r in lines[:-1]:
        assert r["figure"]["value"] >= 0 and r["figure"]["unit"], r
        assert len(r["figure"]["reps"]) == 1
        if r["bench"].startswith("calibration"):
            continue
        assert r["baseline"]["value"] >= 0 and r["baseline"]["unit"], r
        assert r["ratio"] is None or r["ratio"] >= 0
        assert (r["target"] is None) == (r["pass"] is None)
    assert {t["bench"] for t in summary["targets"]} == {
        "unary_seq", "unary_seq_vs_grpcio", "unary_c64_vs_grpcio", "bulk",
    }  # fmt: skip
    assert summary["targets_checked"] == len(summary["targets"]) == 4
    assert summary["mode"] == "quick" and summary["default_backend"] == "qh3"
