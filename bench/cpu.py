"""CPU per call with client and server in one process over loopback zquic.

No cross-process scheduling: `time.process_time()` over N sequential calls is the CPU both
sides spend per call, far steadier on a shared machine than a rate. `python -m bench.cpu`
prints it for the raw stream ping-pong and the zquic.rpc unary call on each backend.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import trio

from .clients import _pingpong_once
from .common import (
    ALPN_ECHO,
    HOST,
    PAYLOAD,
    PAYLOAD_SIZE,
    Sample,
    client_tls,
    make_certs,
    quiet_logging,
    server_tls,
)
from .proto import BENCH_SERVICE, Payload
from .server import BenchService, _echo, _streams


def cpu_per_call(*, backend: str, certs: Path, rpc: bool, calls: int) -> Sample:
    """Sample.rate is CPU microseconds per call (client + server); extra: datagrams/call."""

    async def main() -> Sample:
        import zquic
        from zquic.rpc import ALPN, Channel, RpcServer, Stub

        if rpc:
            server = RpcServer()
            server.add_service(BENCH_SERVICE, BenchService())
            alpn, handler = ALPN, server.handle_connection
        else:
            alpn, handler = ALPN_ECHO, partial(_serve_echo)
        async with trio.open_nursery() as nursery:
            endpoint = await nursery.start(
                partial(
                    zquic.serve,
                    HOST,
                    0,
                    tls=server_tls(certs),
                    alpn_protocols=[alpn],
                    connection_handler=handler,
                    backend=backend,
                )
            )
            async with zquic.connect(
                HOST,
                endpoint.local_address[1],
                tls=client_tls(certs),
                alpn_protocols=[alpn],
                backend=backend,
            ) as conn:
                if rpc:
                    stub = Stub(Channel(conn), BENCH_SERVICE)
                    request = Payload(data=PAYLOAD)

                    async def one() -> None:
                        if len((await stub.Unary(request)).data) != PAYLOAD_SIZE:
                            raise RuntimeError("short reply")

                else:

                    async def one() -> None:
                        await _pingpong_once(conn)

                for _ in range(max(calls // 10, 20)):  # warm up
                    await one()
                before = conn.stats()
                c0 = time.process_time()
                for _ in range(calls):
                    await one()
                cpu = time.process_time() - c0
                after = conn.stats()
            nursery.cancel_scope.cancel()
        dgrams = sum(after[k] - before[k] for k in ("datagrams_sent", "datagrams_received"))
        return Sample(cpu / calls * 1e6, extra={"datagrams_per_call": dgrams / calls})

    return trio.run(main)


async def _serve_echo(conn: Any) -> None:
    await _streams(conn, _echo)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--backend", choices=["aioquic", "qh3", "all"], default="all")
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    quiet_logging()
    backends = ["aioquic", "qh3"] if args.backend == "all" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="ghostbench-") as tmp:
        certs = Path(tmp)
        make_certs(certs)
        for b in backends:
            for rpc in (False, True):
                s = cpu_per_call(backend=b, certs=certs, rpc=rpc, calls=args.calls)
                print(
                    json.dumps(
                        {
                            "backend": b,
                            "what": "zquic.rpc unary" if rpc else "raw stream ping-pong",
                            "cpu_us_per_call": round(s.rate, 1),
                            **{k: round(v, 2) for k, v in s.extra.items()},
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
