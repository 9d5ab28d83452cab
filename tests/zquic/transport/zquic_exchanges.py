"""Stream helpers shared by the transport tests (imported by name: pytest puts this folder on
sys.path): an echo handler and one request/response exchange, a unary call's shape."""

from __future__ import annotations

import zquic


async def echo(stream: zquic.QuicStream) -> None:
    """Read the request to EOF, answer it with data + FIN in one write, close."""
    data = b""
    while more := await stream.receive_some():
        data += more
    await stream.send_all(data, eof=True)
    await stream.aclose()


async def serve_echo(conn: zquic.Connection) -> None:
    """A connection handler: `echo` on every stream until the connection closes."""
    await conn.serve_streams(echo)


async def exchange(conn: zquic.Connection, payload: bytes) -> bytes:
    """New stream, `payload` + FIN, the reply read to EOF, close."""
    stream = await conn.open_stream()
    await stream.send_all(payload, eof=True)
    reply = b""
    while data := await stream.receive_some():
        reply += data
    await stream.aclose()
    return reply
