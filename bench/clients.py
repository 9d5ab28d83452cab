"""Client side of the zquic and raw-core benchmarks. Each public function runs one repetition
in its own `trio.run` (a fresh connection; its handshake is outside the timed window except
in the handshake benchmarks) and returns a Sample."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from .common import (
    ALPN_ECHO,
    ALPN_SINK,
    HOST,
    PAYLOAD,
    PAYLOAD_SIZE,
    Sample,
    client_tls,
    send_last,
)
from .proto import BENCH_SERVICE, Payload
from .rawcore import CoreConn, CoreDriver, udp_socket

OneCall = Callable[[], Awaitable[None]]
BULK_STALL_S = 20.0  # far above any healthy run (32 MiB at 5 MB/s is ~7 s)
CALL_STALL_S = 10.0  # past the timed window; a healthy call takes milliseconds


async def _timed_calls(
    conn: Any, one: OneCall, concurrency: int, duration: float, warmup: float
) -> Sample:
    """`concurrency` tasks loop `one()`; calls completing inside the window are counted (rate,
    latency). The client's datagrams in + out over the window give datagrams per call."""
    start = trio.current_time() + warmup
    end = start + duration
    latencies: list[float] = []

    async def worker() -> None:
        while True:
            t0 = trio.current_time()
            await one()
            t1 = trio.current_time()
            if t1 >= end:
                return
            if t1 >= start:
                latencies.append(t1 - t0)

    stats: list[dict[str, Any]] = []
    with trio.move_on_at(end + CALL_STALL_S) as guard:  # a hung call must not hang the run
        async with trio.open_nursery() as nursery:
            for _ in range(concurrency):
                nursery.start_soon(worker)
            await trio.sleep_until(start)
            stats.append(conn.stats())
            await trio.sleep_until(end)
            stats.append(conn.stats())
    if guard.cancelled_caught:
        raise RuntimeError(f"calls still running {CALL_STALL_S} s after the window: {conn.stats()}")
    calls = max(len(latencies), 1)
    dgrams = sum(stats[1][k] - stats[0][k] for k in ("datagrams_sent", "datagrams_received"))
    return Sample(len(latencies) / duration, latencies, {"datagrams_per_call": dgrams / calls})


async def _pingpong_once(conn: Any) -> None:
    """The raw baseline: new stream, 64 bytes + FIN, read the echo to EOF, close."""
    try:
        stream = conn.open_stream_nowait()  # as zquic.rpc does: the read below checkpoints
    except trio.WouldBlock:
        stream = await conn.open_stream()
    await send_last(stream, PAYLOAD)
    got = 0
    while data := await stream.receive_some():
        got += len(data)
    await stream.aclose()
    if got != PAYLOAD_SIZE:
        raise RuntimeError(f"echo returned {got} bytes")


def calls(
    *,
    port: int,
    backend: str,
    certs: Path,
    rpc: bool,
    concurrency: int,
    duration: float,
    warmup: float,
) -> Sample:
    """Unary calls (zquic.rpc Stub) or raw stream ping-pongs on one zquic connection."""

    async def main() -> Sample:
        import zquic
        from zquic.rpc import ALPN, Channel, Stub

        alpn = ALPN if rpc else ALPN_ECHO
        async with zquic.connect(
            HOST, port, tls=client_tls(certs), alpn_protocols=[alpn], backend=backend
        ) as conn:
            if rpc:
                stub = Stub(Channel(conn), BENCH_SERVICE)
                request = Payload(data=PAYLOAD)

                async def one() -> None:
                    reply = await stub.Unary(request)
                    if len(reply.data) != PAYLOAD_SIZE:
                        raise RuntimeError("short reply")

            else:

                async def one() -> None:
                    await _pingpong_once(conn)

            return await _timed_calls(conn, one, concurrency, duration, warmup)

    return trio.run(main)


def bulk(*, port: int, backend: str, certs: Path, size: int) -> Sample:
    """One stream, `size` bytes client -> server through zquic streams, until the server's
    8-byte count arrives. MB/s (10^6 bytes)."""

    async def main() -> Sample:
        import zquic

        data = bytes(size)
        async with zquic.connect(
            HOST, port, tls=client_tls(certs), alpn_protocols=[ALPN_SINK], backend=backend
        ) as conn:
            t0 = trio.current_time()
            stream = await conn.open_stream()
            reply = b""
            with trio.move_on_after(BULK_STALL_S) as guard:
                await send_last(stream, data)
                while chunk := await stream.receive_some():
                    reply += chunk
            if guard.cancelled_caught:  # report the stall with evidence, don't wait for idle
                raise RuntimeError(
                    f"bulk stalled for {BULK_STALL_S} s: client stats {conn.stats()}, "
                    f"send backlog {conn._send_backlog(stream.stream_id)}"
                )
            elapsed = trio.current_time() - t0
            await stream.aclose()
            if int.from_bytes(reply[:8], "big") != size:
                raise RuntimeError(f"server counted {reply!r}, sent {size}")
            server = json.loads(reply[8:] or b"{}")
            extra = {"seconds": elapsed}
            extra.update({f"server_{k}": float(v) for k, v in server.items()})
            return Sample(size / 1e6 / elapsed, extra=extra)

    return trio.run(main)


def handshakes(*, port: int, backend: str, certs: Path, resumed: bool, duration: float) -> Sample:
    """Sequential connect (handshake complete) + close, timed per connection; the rate is
    connections / summed connection time. Resumed: each connection presents the ticket of the
    previous one (the server's tickets are single-use) and, untimed, waits for its own fresh
    ticket before closing (it arrives one round trip after the handshake)."""

    async def main() -> Sample:
        import zquic

        tls = client_tls(certs)

        async def one(ticket: Any) -> tuple[Any, bool, float]:
            t0 = trio.current_time()
            async with zquic.connect(
                HOST,
                port,
                tls=tls,
                alpn_protocols=[ALPN_ECHO],
                backend=backend,
                session_ticket=ticket,
            ) as conn:
                spent = trio.current_time() - t0
                if resumed and conn.session_ticket is None:
                    got = trio.Event()
                    conn.on_session_ticket = lambda _t: got.set()
                    with trio.fail_after(5):
                        await got.wait()
                t1 = trio.current_time()
            spent += trio.current_time() - t1
            return conn.session_ticket, conn.session_resumed, spent

        ticket = (await one(None))[0] if resumed else None
        hits = 0
        latencies: list[float] = []
        end = trio.current_time() + duration
        while trio.current_time() < end or not latencies:
            with trio.fail_after(CALL_STALL_S):
                ticket, was_resumed, spent = await one(ticket if resumed else None)
            latencies.append(spent)
            hits += was_resumed
        extra = {"resumed_fraction": hits / len(latencies)} if resumed else {}
        return Sample(len(latencies) / sum(latencies), latencies, extra)

    return trio.run(main)


# ---- raw core --------------------------------------------------------------------------------


def _core_client_config(backend: Any, certs: Path) -> Any:
    """The same settings zquic.connect gives its core (ALPN, windows, verification)."""
    import ssl

    from zquic.config import CONNECTION_ID_LENGTH, DEFAULT_MAX_DATAGRAM_SIZE, FlowConfig

    flow = FlowConfig()
    conf = backend.QuicConfiguration(
        is_client=True,
        alpn_protocols=[ALPN_SINK],
        max_datagram_size=DEFAULT_MAX_DATAGRAM_SIZE,
        max_data=flow.connection_window,
        max_stream_data=flow.stream_window,
        connection_id_length=CONNECTION_ID_LENGTH,
    )
    conf.server_name = "localhost"
    conf.verify_mode = ssl.CERT_REQUIRED
    conf.load_verify_locations(cafile=str(certs / "certs" / "ca.pem"))
    return conf


async def _core_connect(
    backend: Any, conf: Any, port: int, handler: Callable[[CoreConn, Any], None]
) -> tuple[CoreDriver, CoreConn]:
    sock = udp_socket()
    driver = CoreDriver(backend, sock, handler)
    addr = (HOST, port)
    quic = backend.QuicConnection(configuration=conf)
    conn = driver.add(quic, addr)
    quic.connect(addr, now=trio.current_time())
    await driver.pump(until=lambda: conn.alpn is not None or conn.terminated)
    if conn.terminated:
        raise RuntimeError("raw core handshake failed")
    return driver, conn


async def _core_close(driver: CoreDriver, conn: CoreConn) -> None:
    conn.quic.close()
    await driver.pump(until=lambda: True)  # flush the CONNECTION_CLOSE, do not drain
    driver.sock.close()


def core_bulk(*, port: int, backend: str, certs: Path, size: int) -> Sample:
    """The raw core's bulk: the whole payload handed to send_stream_data at once."""

    async def main() -> Sample:
        import zquic

        b = zquic.get_backend(backend)
        ev = b.events
        reply = bytearray()
        done = [False]

        def handler(conn: CoreConn, event: Any) -> None:
            if type(event) is ev.StreamDataReceived:
                reply.extend(event.data)
                done[0] = done[0] or event.end_stream

        driver, conn = await _core_connect(b, _core_client_config(b, certs), port, handler)
        data = bytes(size)
        t0 = trio.current_time()
        sid = conn.quic.get_next_available_stream_id(False)
        conn.quic.send_stream_data(sid, data, True)
        with trio.move_on_after(BULK_STALL_S) as guard:
            await driver.pump(until=lambda: done[0] or conn.terminated)
        if guard.cancelled_caught:
            raise RuntimeError(f"raw core bulk stalled for {BULK_STALL_S} s")
        elapsed = trio.current_time() - t0
        await _core_close(driver, conn)
        if int.from_bytes(reply, "big") != size:
            raise RuntimeError(f"raw core server counted {bytes(reply)!r}, sent {size}")
        return Sample(size / 1e6 / elapsed, extra={"seconds": elapsed})

    return trio.run(main)


def core_handshakes(*, port: int, backend: str, certs: Path, duration: float) -> Sample:
    """Sequential full handshakes on the raw core (one config reused, new socket each)."""

    async def main() -> Sample:
        import zquic

        b = zquic.get_backend(backend)
        conf = _core_client_config(b, certs)
        count = 0
        latencies: list[float] = []
        start = trio.current_time()
        end = start + duration
        while (t0 := trio.current_time()) < end or count == 0:
            with trio.fail_after(CALL_STALL_S):
                driver, conn = await _core_connect(b, conf, port, lambda c, e: None)
            await _core_close(driver, conn)
            latencies.append(trio.current_time() - t0)
            count += 1
        return Sample(count / (trio.current_time() - start), latencies)

    return trio.run(main)


def udp_pingpong(*, port: int, duration: float, warmup: float) -> Sample:
    """Plain UDP 64-byte round trips from trio (calibration, no QUIC at all)."""

    async def main() -> Sample:
        sock = udp_socket()
        addr = (HOST, port)
        start = trio.current_time() + warmup
        end = start + duration
        latencies: list[float] = []
        while True:
            t0 = trio.current_time()
            sock.sendto(PAYLOAD, addr)
            await trio.lowlevel.wait_readable(sock)
            sock.recvfrom(65536)
            t1 = trio.current_time()
            if t1 >= end:
                break
            if t1 >= start:
                latencies.append(t1 - t0)
        sock.close()
        return Sample(len(latencies) / duration, latencies)

    return trio.run(main)
