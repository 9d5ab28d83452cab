"""grpcio baseline clients (HTTP/2 over TLS, C core), unary ghostbench.Bench/Unary, 64 bytes.

Sequential: the blocking sync stub (no event loop in the way: grpcio's fastest sequential
client). 64 concurrent, two flavours, both measured so the baseline is the faster one:
- `futures`: one thread keeps 64 calls in flight with `.future()` + done callbacks;
- `aio`: grpc.aio with 64 asyncio tasks (asyncio only here: it is grpcio's own fast path).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from .common import HOST, PAYLOAD, PAYLOAD_SIZE, Sample
from .proto import UNARY_PATH, Payload

OPTIONS = [("grpc.ssl_target_name_override", "localhost")]


def _creds(certs: Path) -> Any:
    import grpc

    return grpc.ssl_channel_credentials(root_certificates=(certs / "certs" / "ca.pem").read_bytes())


def _check(reply: Any) -> None:
    if len(reply.data) != PAYLOAD_SIZE:
        raise RuntimeError("short grpc reply")


def sequential(*, port: int, certs: Path, duration: float, warmup: float) -> Sample:
    import grpc

    with grpc.secure_channel(f"{HOST}:{port}", _creds(certs), options=OPTIONS) as channel:
        unary = channel.unary_unary(
            UNARY_PATH,
            request_serializer=Payload.SerializeToString,
            response_deserializer=Payload.FromString,
        )
        request = Payload(data=PAYLOAD)
        _check(unary(request))  # connect + TLS handshake outside the window
        clock = time.perf_counter
        start = clock() + warmup
        end = start + duration
        latencies: list[float] = []
        while True:
            t0 = clock()
            _check(unary(request))
            t1 = clock()
            if t1 >= end:
                break
            if t1 >= start:
                latencies.append(t1 - t0)
    return Sample(len(latencies) / duration, latencies)


def concurrent_futures(
    *, port: int, certs: Path, concurrency: int, duration: float, warmup: float
) -> Sample:
    import grpc

    with grpc.secure_channel(f"{HOST}:{port}", _creds(certs), options=OPTIONS) as channel:
        unary = channel.unary_unary(
            UNARY_PATH,
            request_serializer=Payload.SerializeToString,
            response_deserializer=Payload.FromString,
        )
        request = Payload(data=PAYLOAD)
        _check(unary(request))
        clock = time.perf_counter
        start = clock() + warmup
        end = start + duration
        latencies: list[float] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        live = [concurrency]
        finished = threading.Event()

        def launch() -> None:
            t0 = clock()
            fut = unary.future(request)
            fut.add_done_callback(lambda f: done(f, t0))

        def done(fut: Any, t0: float) -> None:
            t1 = clock()
            try:
                _check(fut.result())
            except BaseException as exc:  # surfaced below, after the callbacks stop
                errors.append(exc)
            if start <= t1 < end:
                latencies.append(t1 - t0)
            if t1 < end and not errors:
                launch()
                return
            with lock:
                live[0] -= 1
                if live[0] == 0:
                    finished.set()

        for _ in range(concurrency):
            launch()
        finished.wait(end - clock() + 30)
        if errors:
            raise errors[0]
    return Sample(len(latencies) / duration, latencies)


def concurrent_aio(
    *, port: int, certs: Path, concurrency: int, duration: float, warmup: float
) -> Sample:
    import asyncio

    import grpc

    async def main() -> Sample:
        async with grpc.aio.secure_channel(
            f"{HOST}:{port}", _creds(certs), options=OPTIONS
        ) as channel:
            unary = channel.unary_unary(
                UNARY_PATH,
                request_serializer=Payload.SerializeToString,
                response_deserializer=Payload.FromString,
            )
            request = Payload(data=PAYLOAD)
            _check(await unary(request))
            loop = asyncio.get_running_loop()
            start = loop.time() + warmup
            end = start + duration
            latencies: list[float] = []

            async def worker() -> None:
                while True:
                    t0 = loop.time()
                    _check(await unary(request))
                    t1 = loop.time()
                    if t1 >= end:
                        return
                    if t1 >= start:
                        latencies.append(t1 - t0)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return Sample(len(latencies) / duration, latencies)

    return asyncio.run(main())
