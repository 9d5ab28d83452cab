"""Benchmark servers, one per process: `python -m bench.server KIND --certs DIR [options]`.

KIND:
  zquic  one zquic endpoint; by ALPN: ghostbridge/1 (RpcServer with ghostbench.Bench),
         bench-echo (raw stream echo: read to EOF, echo, FIN), bench-sink (count bytes to EOF,
         answer the count as 8 bytes, then a JSON object of the connection's stats, + FIN)
  core   the raw-core baseline (bench.rawcore): bench-sink as above, on the bare sans-IO core
  grpc   grpcio (HTTP/2 over TLS, C core) serving ghostbench.Bench/Unary (grpc-aio: grpc.aio)
  udp    plain UDP echo (calibrates the machine: the floor under any QUIC round trip)

Each prints `READY <port>` on stdout once bound and exits when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import trio

from .common import (
    ALPN_ECHO,
    ALPN_SINK,
    HOST,
    READY,
    SERVER_CERT,
    quiet_logging,
    send_last,
    server_tls,
)
from .proto import BENCH_SERVICE, SERVICE, Payload
from .rawcore import CoreConn, CoreDriver, udp_socket


class BenchService:
    async def Unary(self, request: Any, context: Any) -> Any:  # noqa: N802 (proto name)
        return request


def _stdin_closed_thread(on_close: Callable[[], None]) -> None:
    def watch() -> None:
        sys.stdin.read()
        on_close()

    threading.Thread(target=watch, daemon=True).start()


async def _until_stdin_closed() -> None:
    token = trio.lowlevel.current_trio_token()
    done = trio.Event()
    _stdin_closed_thread(lambda: token.run_sync_soon(done.set))
    await done.wait()


# ---- zquic -------------------------------------------------------------------------------------


async def _echo(stream: Any) -> None:
    """Read the request to EOF, answer it with data + FIN (a unary call's shape)."""
    import zquic

    try:
        request = bytearray()
        while data := await stream.receive_some():
            request += data
        await send_last(stream, bytes(request))
    except (zquic.errors.ZquicError, trio.ClosedResourceError, trio.BrokenResourceError):
        pass
    finally:
        await stream.aclose()


# Server-side connection stats returned after the byte count (evidence for receive stalls).
SINK_STATS = ("datagrams_received", "datagrams_sent", "datagrams_dropped_paused")


async def _sink(conn: Any, stream: Any) -> None:
    import zquic

    total = 0
    try:
        while data := await stream.receive_some():
            total += len(data)
        stats = conn.stats()
        report = json.dumps({k: stats[k] for k in SINK_STATS if k in stats}).encode()
        await send_last(stream, total.to_bytes(8, "big") + report)
    except (zquic.errors.ZquicError, trio.ClosedResourceError, trio.BrokenResourceError):
        pass
    finally:
        await stream.aclose()


async def _streams(conn: Any, serve_one: Callable[[Any], Any]) -> None:
    """A task per stream: the driver starts it (`serve_streams`, what RpcServer uses too)."""
    import zquic

    if hasattr(conn, "serve_streams"):
        await conn.serve_streams(serve_one)
        return
    async with trio.open_nursery() as nursery:
        while True:
            try:
                stream = await conn.accept_stream()
            except zquic.errors.ConnectionClosed:
                return
            nursery.start_soon(serve_one, stream)


async def zquic_main(args: argparse.Namespace) -> None:
    import zquic
    from zquic.rpc import ALPN, RpcServer

    rpc = RpcServer()
    rpc.add_service(BENCH_SERVICE, BenchService())

    async def handler(conn: Any) -> None:
        if conn.alpn_protocol == ALPN:
            await rpc.handle_connection(conn)
        elif conn.alpn_protocol == ALPN_ECHO:
            await _streams(conn, _echo)
        elif conn.alpn_protocol == ALPN_SINK:
            await _streams(conn, partial(_sink, conn))

    async with trio.open_nursery() as nursery:
        endpoint = await nursery.start(
            partial(
                zquic.serve,
                HOST,
                0,
                tls=server_tls(args.certs),
                alpn_protocols=[ALPN, ALPN_ECHO, ALPN_SINK],
                connection_handler=handler,
                backend=args.backend,
            )
        )
        print(READY, endpoint.local_address[1], flush=True)
        await _until_stdin_closed()
        nursery.cancel_scope.cancel()


# ---- raw core ----------------------------------------------------------------------------------


def core_server_config(backend: Any, certs: Path) -> Any:
    """Same ALPN, windows and datagram size as a zquic server, on the bare core."""
    from zquic.config import CONNECTION_ID_LENGTH, DEFAULT_MAX_DATAGRAM_SIZE, FlowConfig

    flow = FlowConfig()
    conf = backend.QuicConfiguration(
        is_client=False,
        alpn_protocols=[ALPN_SINK],
        max_datagram_size=DEFAULT_MAX_DATAGRAM_SIZE,
        max_data=flow.connection_window,
        max_stream_data=flow.stream_window,
        connection_id_length=CONNECTION_ID_LENGTH,
    )
    d = certs / "certs"
    conf.load_cert_chain(str(d / f"{SERVER_CERT}.pem"), str(d / f"{SERVER_CERT}.key"))
    return conf


async def core_main(args: argparse.Namespace) -> None:
    import zquic

    backend = zquic.get_backend(args.backend)
    ev = backend.events

    def handler(conn: CoreConn, event: Any) -> None:
        if type(event) is ev.StreamDataReceived:
            counts = conn.state.setdefault("counts", {})
            counts[event.stream_id] = counts.get(event.stream_id, 0) + len(event.data)
            if event.end_stream:
                total = counts.pop(event.stream_id)
                conn.quic.send_stream_data(event.stream_id, total.to_bytes(8, "big"), True)

    sock = udp_socket()
    driver = CoreDriver(backend, sock, handler, core_server_config(backend, args.certs))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(driver.pump)
        print(READY, sock.getsockname()[1], flush=True)
        await _until_stdin_closed()
        nursery.cancel_scope.cancel()
    sock.close()


# ---- UDP echo (machine calibration) ------------------------------------------------------------


async def udp_main(args: argparse.Namespace) -> None:
    """Echo every datagram: the floor any QUIC round trip sits on (QUIC-NOTES' first column)."""
    sock = udp_socket()

    async def echo() -> None:
        while True:
            await trio.lowlevel.wait_readable(sock)
            while True:
                try:
                    data, addr = sock.recvfrom(65536)
                except BlockingIOError:
                    break
                sock.sendto(data, addr)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(echo)
        print(READY, sock.getsockname()[1], flush=True)
        await _until_stdin_closed()
        nursery.cancel_scope.cancel()
    sock.close()


# ---- grpcio ------------------------------------------------------------------------------------


def grpc_main(args: argparse.Namespace) -> None:
    """Sync grpcio server with a thread pool (grpc.aio's server, `grpc-aio`, was not clearly
    faster for this workload: docs/benchmarks.md)."""
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    d = args.certs / "certs"
    creds = grpc.ssl_server_credentials(
        [((d / f"{SERVER_CERT}.key").read_bytes(), (d / f"{SERVER_CERT}.pem").read_bytes())]
    )
    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Unary": grpc.unary_unary_rpc_method_handler(
                lambda request, context: request,
                request_deserializer=Payload.FromString,
                response_serializer=Payload.SerializeToString,
            )
        },
    )
    server = grpc.server(ThreadPoolExecutor(max_workers=args.workers))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_secure_port(f"{HOST}:0", creds)
    server.start()
    print(READY, port, flush=True)
    closed = threading.Event()
    _stdin_closed_thread(closed.set)
    closed.wait()
    server.stop(0)


def grpc_aio_main(args: argparse.Namespace) -> None:
    """grpc.aio server (asyncio: allowed for the grpcio baseline only)."""
    import asyncio

    import grpc

    d = args.certs / "certs"

    async def unary(request: Any, context: Any) -> Any:
        return request

    async def main() -> None:
        creds = grpc.ssl_server_credentials(
            [((d / f"{SERVER_CERT}.key").read_bytes(), (d / f"{SERVER_CERT}.pem").read_bytes())]
        )
        handler = grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "Unary": grpc.unary_unary_rpc_method_handler(
                    unary,
                    request_deserializer=Payload.FromString,
                    response_serializer=Payload.SerializeToString,
                )
            },
        )
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        port = server.add_secure_port(f"{HOST}:0", creds)
        await server.start()
        print(READY, port, flush=True)
        loop = asyncio.get_running_loop()
        closed = asyncio.Event()
        _stdin_closed_thread(lambda: loop.call_soon_threadsafe(closed.set))
        await closed.wait()
        await server.stop(0)

    asyncio.run(main())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("kind", choices=["zquic", "core", "grpc", "grpc-aio", "udp"])
    parser.add_argument("--certs", type=Path, required=True, help="state dir with certs/")
    parser.add_argument("--backend", default=None, help="aioquic|qh3 (zquic, core)")
    parser.add_argument("--workers", type=int, default=16, help="grpc thread pool size")
    parser.add_argument("--profile", type=Path, help="write cProfile stats here at exit")
    args = parser.parse_args(argv)
    quiet_logging()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            _run(args)
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile)
    else:
        _run(args)


def _run(args: argparse.Namespace) -> None:
    if args.kind == "zquic":
        trio.run(zquic_main, args)
    elif args.kind == "core":
        trio.run(core_main, args)
    elif args.kind == "udp":
        trio.run(udp_main, args)
    elif args.kind == "grpc":
        grpc_main(args)
    else:
        grpc_aio_main(args)


if __name__ == "__main__":
    main()
