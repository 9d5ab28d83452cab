"""`python -m bench [--quick] [--backend aioquic|qh3|all] [--only NAME] [--out FILE]`

Prints one JSON object per benchmark, then a summary object. Every figure comes with a
baseline measured in the same run (repetitions of figure and baseline interleaved, rotating the
order, medians reported) and their ratio; targets from issue #3 are checked on the ratios.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from . import clients, cpu, grpc_client
from .common import (
    CONCURRENCY,
    SEND_ALL_EOF,
    Sample,
    ServerProcess,
    make_certs,
    quiet_logging,
    summarize,
)

GROUPS = ("unary", "concurrent", "bulk", "handshakes", "cpu")
TARGET_RPC_VS_RAW = 0.8
TARGET_BULK_VS_CORE = 0.75
TARGET_SEQ_VS_GRPC = 1.5
TARGET_C64_VS_GRPC = 4.0


class Settings:
    def __init__(self, args: argparse.Namespace) -> None:
        quick = args.quick
        self.quick = quick
        self.reps: int = args.reps or (1 if quick else 5)
        self.duration: float = args.duration or (0.3 if quick else 1.0)
        self.warmup: float = 0.1 if quick else 0.2
        self.bulk_size: int = int((args.bulk_mib or (4 if quick else 32)) * 1024 * 1024)
        self.handshake_duration: float = args.duration or (0.3 if quick else 1.0)


def interleave(variants: dict[str, Callable[[], Sample]], reps: int) -> dict[str, list[Sample]]:
    """Run repetitions round-robin (rotating who goes first) so that slow phases of a noisy
    machine hit every variant alike."""
    names = list(variants)
    out: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(reps):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            out[name].append(variants[name]())
    return out


class Report:
    def __init__(self, out: Path | None) -> None:
        self.records: list[dict[str, Any]] = []
        self.out = out

    def emit(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        print(json.dumps(record), flush=True)

    def compare(
        self,
        name: str,
        backend: str,
        figure: tuple[str, dict[str, Any]],
        baseline: tuple[str, dict[str, Any]],
        target: float | None,
    ) -> None:
        fig_what, fig = figure
        base_what, base = baseline
        # Targets are checked on the median of per-repetition ratios: figure and baseline ran
        # back to back, so a slow phase of the machine cancels out of each pair. The ratio of
        # the medians is reported beside it. No baseline calls (a starved run): no ratio.
        pairs = [f / b for f, b in zip(fig["reps"], base["reps"], strict=False) if b]
        ratio = round(statistics.median(pairs), 3) if pairs else None
        of_medians = round(fig["value"] / base["value"], 3) if base["value"] else None
        self.emit(
            {
                "bench": name,
                "backend": backend,
                "figure": {"what": fig_what, **fig},
                "baseline": {"what": base_what, **base},
                "ratio": ratio,
                "ratio_of_medians": of_medians,
                "target": target,
                "pass": None if target is None else ratio is not None and ratio >= target,
            }
        )

    def error(self, name: str, backend: str, exc: BaseException) -> None:
        self.emit({"bench": name, "backend": backend, "error": repr(exc)})


def run(args: argparse.Namespace) -> int:
    import zquic.backend

    started = time.monotonic()
    s = Settings(args)
    default = zquic.backend.DEFAULT_BACKEND
    backends = list(zquic.backend.BACKENDS) if args.backend == "all" else [args.backend]
    groups = [args.only] if args.only else list(GROUPS)
    # grpcio runs interleaved with the default backend's runs (its targets are defined there).
    grpc_with = default if default in backends else backends[0]
    report = Report(args.out)
    grpc_figures: dict[str, dict[str, Any]] = {}

    with tempfile.TemporaryDirectory(prefix="ghostbench-") as tmp:
        certs = Path(tmp)
        make_certs(certs)
        for b in backends:
            need_core = bool({"bulk", "handshakes"} & set(groups))
            need_grpc = b == grpc_with and bool({"unary", "concurrent"} & set(groups))
            # In-process CPU per call first: it needs no server process.
            if "cpu" in groups:
                try:
                    n = 200 if s.quick else 500
                    r = interleave(
                        {
                            "raw": partial(
                                cpu.cpu_per_call, backend=b, certs=certs, rpc=False, calls=n
                            ),
                            "rpc": partial(
                                cpu.cpu_per_call, backend=b, certs=certs, rpc=True, calls=n
                            ),
                        },
                        1 if s.quick else 3,
                    )
                    report.compare(
                        "cpu_per_call",
                        b,
                        (
                            "zquic.rpc unary, CPU us/call, client + server in one process "
                            "(lower is better; the 0.8x rate target means <= 1.25x)",
                            summarize(r["rpc"], "us/call"),
                        ),
                        ("raw stream ping-pong, CPU us/call", summarize(r["raw"], "us/call")),
                        None,
                    )
                except Exception as exc:
                    report.error("cpu_per_call", b, exc)
            if not set(groups) - {"cpu"}:
                continue
            servers: list[ServerProcess] = []
            try:
                try:
                    zs = ServerProcess("zquic", certs, "--backend", b)
                    servers.append(zs)
                    cs = ServerProcess("core", certs, "--backend", b) if need_core else None
                    if cs:
                        servers.append(cs)
                    gs = ServerProcess("grpc", certs) if need_grpc else None
                    if gs:
                        servers.append(gs)
                except Exception as exc:  # reported; the other backend still runs
                    report.error("servers", b, exc)
                    continue
                zq = dict(port=zs.port, backend=b, certs=certs)
                timing = dict(duration=s.duration, warmup=s.warmup)

                if "unary" in groups:
                    try:
                        v: dict[str, Callable[[], Sample]] = {
                            "raw": partial(clients.calls, **zq, rpc=False, concurrency=1, **timing),
                            "rpc": partial(clients.calls, **zq, rpc=True, concurrency=1, **timing),
                        }
                        if gs:
                            v["grpc"] = partial(
                                grpc_client.sequential, port=gs.port, certs=certs, **timing
                            )
                        r = interleave(v, s.reps)
                        rpc = summarize(r["rpc"], "calls/s")
                        report.compare(
                            "unary_seq",
                            b,
                            ("zquic.rpc unary 64 B, sequential", rpc),
                            (
                                "raw zquic stream ping-pong 64 B, same backend",
                                summarize(r["raw"], "calls/s"),
                            ),
                            TARGET_RPC_VS_RAW,
                        )
                        if gs:
                            grpc_figures["grpc_seq"] = g = summarize(r["grpc"], "calls/s")
                            report.compare(
                                "unary_seq_vs_grpcio",
                                b,
                                ("zquic.rpc unary 64 B, sequential", rpc),
                                ("grpcio unary 64 B, sequential (sync stub, TLS)", g),
                                TARGET_SEQ_VS_GRPC if b == default else None,
                            )
                    except Exception as exc:
                        report.error("unary_seq", b, exc)

                if "concurrent" in groups:
                    try:
                        conc = dict(concurrency=CONCURRENCY, **timing)
                        v = {
                            "raw": partial(clients.calls, **zq, rpc=False, **conc),
                            "rpc": partial(clients.calls, **zq, rpc=True, **conc),
                        }
                        if gs and not s.quick:
                            v["grpc_futures"] = partial(
                                grpc_client.concurrent_futures, port=gs.port, certs=certs, **conc
                            )
                        if gs:
                            v["grpc_aio"] = partial(
                                grpc_client.concurrent_aio, port=gs.port, certs=certs, **conc
                            )
                        r = interleave(v, s.reps)
                        rpc = summarize(r["rpc"], "calls/s")
                        report.compare(
                            "unary_c64",
                            b,
                            (
                                f"zquic.rpc unary 64 B, {CONCURRENCY} concurrent, one connection",
                                rpc,
                            ),
                            (
                                f"raw zquic stream ping-pong, {CONCURRENCY} concurrent",
                                summarize(r["raw"], "calls/s"),
                            ),
                            None,
                        )
                        if gs:
                            # The faster grpcio client flavour is the baseline.
                            flavours = {k: summarize(r[k], "calls/s") for k in r if "grpc" in k}
                            best = max(flavours, key=lambda k: flavours[k]["value"])
                            g = dict(flavours[best])
                            g["flavours"] = {k: f["value"] for k, f in flavours.items()}
                            grpc_figures["grpc_c64"] = g
                            report.compare(
                                "unary_c64_vs_grpcio",
                                b,
                                (f"zquic.rpc unary 64 B, {CONCURRENCY} concurrent", rpc),
                                (f"grpcio unary 64 B, {CONCURRENCY} concurrent ({best}, TLS)", g),
                                TARGET_C64_VS_GRPC if b == default else None,
                            )
                    except Exception as exc:
                        report.error("unary_c64", b, exc)

                if "bulk" in groups and cs:
                    try:
                        r = interleave(
                            {
                                "core": partial(
                                    clients.core_bulk,
                                    port=cs.port,
                                    backend=b,
                                    certs=certs,
                                    size=s.bulk_size,
                                ),
                                "zquic": partial(clients.bulk, **zq, size=s.bulk_size),
                            },
                            s.reps,
                        )
                        mib = s.bulk_size // (1024 * 1024)
                        report.compare(
                            "bulk",
                            b,
                            (f"zquic stream, {mib} MiB one stream", summarize(r["zquic"], "MB/s")),
                            (
                                f"raw core ({b}) driven by bench.rawcore, {mib} MiB one stream",
                                summarize(r["core"], "MB/s"),
                            ),
                            TARGET_BULK_VS_CORE if b == default else None,
                        )
                    except Exception as exc:
                        report.error("bulk", b, exc)

                if "handshakes" in groups and cs:
                    try:
                        hs = dict(duration=s.handshake_duration)
                        r = interleave(
                            {
                                "core": partial(
                                    clients.core_handshakes,
                                    port=cs.port,
                                    backend=b,
                                    certs=certs,
                                    **hs,
                                ),
                                "full": partial(clients.handshakes, **zq, resumed=False, **hs),
                                "resumed": partial(clients.handshakes, **zq, resumed=True, **hs),
                            },
                            s.reps,
                        )
                        full = summarize(r["full"], "handshakes/s")
                        report.compare(
                            "handshake_full",
                            b,
                            ("zquic.connect + close, full handshake", full),
                            (
                                "raw core full handshake + close",
                                summarize(r["core"], "handshakes/s"),
                            ),
                            None,
                        )
                        report.compare(
                            "handshake_resumed",
                            b,
                            (
                                "zquic.connect with session ticket + close",
                                summarize(r["resumed"], "handshakes/s"),
                            ),
                            ("zquic full handshake (same run)", full),
                            None,
                        )
                    except Exception as exc:
                        report.error("handshakes", b, exc)
            finally:
                for srv in servers:
                    srv.close()

        # Calibration: how fast is this machine right now? (QUIC-NOTES measured 11,120/s.)
        with ServerProcess("udp", certs) as us:
            udp = summarize(
                [
                    clients.udp_pingpong(port=us.port, duration=s.duration, warmup=s.warmup)
                    for _ in range(s.reps)
                ],
                "round trips/s",
            )
        report.emit({"bench": "calibration_udp_pingpong", "figure": udp})

    checked = [r for r in report.records if r.get("target") is not None]
    summary = {
        "summary": True,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "udp_pingpong_per_s": udp["value"],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "mode": "quick" if s.quick else "full",
        "reps": s.reps,
        "default_backend": default,
        "raw_write": "send_all(eof=True)" if SEND_ALL_EOF else "send_all + send_eof",
        "targets": [
            {
                "bench": r["bench"],
                "backend": r["backend"],
                "ratio": r["ratio"],
                "target": r["target"],
                "pass": r["pass"],
            }
            for r in checked
        ],
        "targets_met": sum(1 for r in checked if r["pass"]),
        "targets_checked": len(checked),
        "errors": [r for r in report.records if "error" in r],
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    report.emit(summary)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in report.records), encoding="utf-8")
    return 1 if summary["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="zquic benchmarks with same-run baselines; JSON lines on stdout "
        "(docs/benchmarks.md)",
    )
    parser.add_argument("--quick", action="store_true", help="15-30 s smoke run (1 rep, short)")
    parser.add_argument("--backend", choices=["aioquic", "qh3", "all"], default="all")
    parser.add_argument("--only", choices=GROUPS, help="run one benchmark group")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="also write the JSON lines to FILE"
    )
    parser.add_argument("--reps", type=int, help="repetitions (default 5; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per timed repetition")
    parser.add_argument("--bulk-mib", type=float, help="bulk transfer size (default 32; quick 4)")
    args = parser.parse_args(argv)
    quiet_logging()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
