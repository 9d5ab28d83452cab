"""In-memory stand-ins for zquic streams/connections, and the compiled test service."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import trio
from grpc_tools import protoc
from zquic.errors import ConnectionClosed, StreamReset, StreamStopped

HERE = Path(__file__).resolve().parent


def load_echo_pb2() -> Any:
    """Compile tests/unit/rpc/echo.proto once per process and import it."""
    if "rpctest.echo_pb2" in sys.modules:
        return sys.modules["rpctest.echo_pb2"]
    out = Path(tempfile.mkdtemp(prefix="rpctest-"))
    pkg = out / "rpctest"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    src = out / "src" / "rpctest"
    src.mkdir(parents=True)
    (src / "echo.proto").write_text((HERE / "echo.proto").read_text())
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(
        [
            "protoc",
            f"-I{out / 'src'}",
            f"-I{include}",
            f"--python_out={out}",
            str(src / "echo.proto"),
        ]
    )
    assert rc == 0, "protoc failed on echo.proto"
    sys.path.insert(0, str(out))
    return importlib.import_module("rpctest.echo_pb2")


class _Pipe:
    """One direction of a stream, bounded like QUIC flow control."""

    def __init__(self, limit: int = 256 * 1024) -> None:
        self.buf = bytearray()
        self.eof = False
        self.reset_code: int | None = None  # RESET_STREAM from the writer
        self.stop_code: int | None = None  # STOP_SENDING from the reader
        self.limit = limit
        self.changed = trio.Event()
        self.conn_closed = False

    def notify(self) -> None:
        self.changed.set()
        self.changed = trio.Event()


class FakeQuicStream(trio.abc.HalfCloseableStream):
    """Mimics zquic.QuicStream: StreamReset on receive after a peer reset, StreamStopped on send."""

    def __init__(self, inbound: _Pipe, outbound: _Pipe) -> None:
        self._in = inbound
        self._out = outbound
        self.closed = False
        self.reset_sent: int | None = None
        self.bytes_sent = 0

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await trio.lowlevel.checkpoint()
        data = bytes(data)
        self.bytes_sent += len(data)
        while data:
            self._check_send()
            room = self._out.limit - len(self._out.buf)
            if room <= 0:
                await self._out.changed.wait()
                continue
            self._out.buf += data[:room]
            data = data[room:]
            self._out.notify()

    def _check_send(self) -> None:
        if self._out.conn_closed:
            raise ConnectionClosed(0, None, "closed", by_peer=True)
        if self.closed or self._out.eof or self._out.reset_code is not None:
            raise trio.ClosedResourceError("stream closed for sending")
        if self._out.stop_code is not None:
            raise StreamStopped(self._out.stop_code)

    async def wait_send_all_might_not_block(self) -> None:
        await trio.lowlevel.checkpoint()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        while True:
            if self._in.conn_closed:
                raise ConnectionClosed(0, None, "closed", by_peer=True)
            if self._in.reset_code is not None:
                raise StreamReset(self._in.reset_code)
            if self.closed:
                raise trio.ClosedResourceError("stream closed")
            if self._in.buf:
                n = len(self._in.buf) if max_bytes is None else max_bytes
                data = bytes(self._in.buf[:n])
                del self._in.buf[:n]
                self._in.notify()
                return data
            if self._in.eof:
                return b""
            await self._in.changed.wait()

    async def send_eof(self) -> None:
        await trio.lowlevel.checkpoint()
        self._check_send()
        self._out.eof = True
        self._out.notify()

    def reset(self, error_code: int = 0) -> None:
        """RESET_STREAM our sending side and STOP_SENDING theirs (what zquic's reset does)."""
        self.reset_sent = error_code
        if not self._out.eof:
            self._out.reset_code = error_code
        self._out.notify()
        if not self._in.eof:
            self._in.stop_code = error_code
        self._in.notify()

    async def aclose(self) -> None:
        if not self.closed:
            # Closing with unread input tells the peer to stop sending (as QUIC stacks do).
            if not self._in.eof and self._in.reset_code is None:
                self._in.stop_code = 0
                self._in.notify()
            if not self._out.eof and self._out.reset_code is None:
                self._out.reset_code = 0
                self._out.notify()
            self.closed = True
        await trio.lowlevel.checkpoint()


def fake_stream_pair() -> tuple[FakeQuicStream, FakeQuicStream]:
    a_to_b, b_to_a = _Pipe(), _Pipe()
    return FakeQuicStream(b_to_a, a_to_b), FakeQuicStream(a_to_b, b_to_a)


class FakeConnection:
    """Client side `open_stream()`; the server side `accept_stream()` on `.server_side`."""

    def __init__(self, remote_address: Any = ("127.0.0.1", 4433)) -> None:
        self._send, self._recv = trio.open_memory_channel[FakeQuicStream](100)
        self.remote_address = remote_address
        self.peer_certificate = None
        self.alpn_protocol = "ghostbridge/1"
        self.opened: list[FakeQuicStream] = []
        self.accepted: list[FakeQuicStream] = []
        self.closed = False

    async def open_stream(self) -> FakeQuicStream:
        if self.closed:
            raise ConnectionClosed(0, None, "closed")
        client, server = fake_stream_pair()
        self.opened.append(client)
        self.accepted.append(server)
        await self._send.send(server)
        return client

    async def accept_stream(self) -> FakeQuicStream:
        return await self._recv.receive()

    async def close(self) -> None:
        self.closed = True
        await self._send.aclose()
