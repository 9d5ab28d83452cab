"""Shared pieces: samples and statistics, dev certificates, quiet logging, server processes."""

from __future__ import annotations

import inspect
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import structlog

HOST = "127.0.0.1"
PAYLOAD_SIZE = 64
PAYLOAD = bytes(range(PAYLOAD_SIZE))
CONCURRENCY = 64
SERVER_CERT = "ghostbridge"  # dev-cert name of the bench servers (zquic, raw core, grpcio)
CLIENT_CERT = "walletd"
# zquic ALPNs served by `python -m bench.server zquic`; the RPC one is ghostbridge/1.
ALPN_ECHO = "bench-echo"
ALPN_SINK = "bench-sink"
READY = "READY"


def quiet_logging() -> None:
    """Warnings only, on stderr: stdout carries the JSON lines (and a server's READY line)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("quic").setLevel(logging.ERROR)  # qh3 warns on every peer close
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


@attrs.define
class Sample:
    """One repetition of one variant."""

    rate: float  # per second (calls, handshakes) or MB/s (bulk)
    latencies: list[float] = attrs.field(factory=list)  # seconds, per call
    extra: dict[str, float] = attrs.field(factory=dict)  # e.g. datagrams per call


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summarize(samples: list[Sample], unit: str) -> dict[str, Any]:
    """Median over repetitions of the rate and of each repetition's p50/p99."""
    out: dict[str, Any] = {
        "value": round(statistics.median(s.rate for s in samples), 2),
        "unit": unit,
        "reps": [round(s.rate, 2) for s in samples],
    }
    if any(s.latencies for s in samples):
        reps = [s for s in samples if s.latencies]
        out["p50_us"] = round(statistics.median(percentile(s.latencies, 50) for s in reps) * 1e6, 1)
        out["p99_us"] = round(statistics.median(percentile(s.latencies, 99) for s in reps) * 1e6, 1)
        out["calls"] = sum(len(s.latencies) for s in samples)
    keys = {k for s in samples for k in s.extra}
    for key in sorted(keys):
        vals = [s.extra[key] for s in samples if key in s.extra]
        out[key] = round(statistics.median(vals), 3)
    return out


def make_certs(directory: Path) -> Any:
    from ghostkit.certs import ensure_dev_certs

    return ensure_dev_certs(directory, daemons=(SERVER_CERT, CLIENT_CERT))


def client_tls(certs_dir: Path) -> Any:
    """zquic client TLS: verifies the server against the dev CA, as a daemon would."""
    import zquic

    return zquic.TLSConfig(cafile=certs_dir / "certs" / "ca.pem", server_name="localhost")


def server_tls(certs_dir: Path) -> Any:
    import zquic

    d = certs_dir / "certs"
    return zquic.TLSConfig(
        certfile=d / f"{SERVER_CERT}.pem", keyfile=d / f"{SERVER_CERT}.key", cafile=d / "ca.pem"
    )


class ServerProcess:
    """`python -m bench.server KIND ...` in its own process (its own core, like grpcio's).

    The child prints `READY <port>` once bound and exits when its stdin closes, so it never
    outlives the harness even if the harness dies.
    """

    def __init__(self, kind: str, certs_dir: Path, *args: str) -> None:
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", kind, "--certs", str(certs_dir), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=root,
            env=env,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != READY:
            self.close()
            raise RuntimeError(f"bench server {kind} {args} failed to start: {line!r}")
        self.port = int(line[1])

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def clock() -> float:
    return time.perf_counter()


def _has_eof_kwarg() -> bool:
    try:
        from zquic import QuicStream

        return "eof" in inspect.signature(QuicStream.send_all).parameters
    except Exception:
        return False


SEND_ALL_EOF = _has_eof_kwarg()


async def send_last(stream: Any, data: bytes) -> None:
    """Write `data` and FIN: in one write (one packet) where zquic offers `send_all(eof=True)`,
    so the raw baseline uses the best pattern the transport offers."""
    if SEND_ALL_EOF:
        await stream.send_all(data, eof=True)
    else:
        await stream.send_all(data)
        await stream.send_eof()
