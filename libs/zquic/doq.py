"""DNS over QUIC (RFC 9250): sans-IO framing plus a thin trio server and client.

Wire rules (RFC 9250 section 4.2): ALPN "doq"; one query per client-initiated bidirectional
stream; every message carries a 2-octet length prefix; the DNS Message ID is 0; the client
sends FIN after its query and the server FIN after its response. Protocol errors (non-zero
ID, a FIN before the announced length, more than one message, an edns-tcp-keepalive option)
close the connection with DOQ_PROTOCOL_ERROR (section 4.3.3); other connections carry on.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import structlog
import trio

from .client import connect
from .config import DEFAULT_IDLE_TIMEOUT, FlowConfig
from .connection import Connection
from .endpoint import ServerEndpoint, serve
from .errors import ConnectionClosed, StreamReset, ZquicError
from .ratelimit import RateLimitedLog
from .tls import TLSConfig

__all__ = [
    "ALPN_DOQ",
    "DEFAULT_PORT",
    "DOQ_EXCESSIVE_LOAD",
    "DOQ_INTERNAL_ERROR",
    "DOQ_NO_ERROR",
    "DOQ_PROTOCOL_ERROR",
    "DOQ_REQUEST_CANCELLED",
    "DoQClient",
    "DoQError",
    "DoQErrorCode",
    "DoQProtocolError",
    "DoQServer",
    "MessageReader",
    "check_message_id",
    "encode_message",
    "encode_response",
    "formerr_response",
    "parse_query",
    "serve_doq",
]

log = structlog.get_logger("zquic.doq")

ALPN_DOQ = "doq"
DEFAULT_PORT = 853
MAX_MESSAGE_SIZE = 0xFFFF  # the 2-octet length prefix bounds every DoQ message
HEADER_SIZE = 12  # a DNS header


class DoQErrorCode(enum.IntEnum):
    """RFC 9250 section 4.3: application error codes for streams and connections."""

    NO_ERROR = 0x0
    INTERNAL_ERROR = 0x1
    PROTOCOL_ERROR = 0x2
    REQUEST_CANCELLED = 0x3
    EXCESSIVE_LOAD = 0x4
    UNSPECIFIED_ERROR = 0x5


DOQ_NO_ERROR = DoQErrorCode.NO_ERROR
DOQ_INTERNAL_ERROR = DoQErrorCode.INTERNAL_ERROR
DOQ_PROTOCOL_ERROR = DoQErrorCode.PROTOCOL_ERROR
DOQ_REQUEST_CANCELLED = DoQErrorCode.REQUEST_CANCELLED
DOQ_EXCESSIVE_LOAD = DoQErrorCode.EXCESSIVE_LOAD


class DoQError(ZquicError):
    """A DoQ failure with its RFC 9250 error code."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"{message} (DoQ error {code:#x})")


class DoQProtocolError(DoQError):
    """The peer broke RFC 9250 framing rules (DOQ_PROTOCOL_ERROR)."""

    def __init__(self, message: str) -> None:
        super().__init__(DOQ_PROTOCOL_ERROR, message)


# ---- sans-IO framing -------------------------------------------------------------------------
def encode_message(wire: bytes) -> bytes:
    """Prefix a DNS message with its 2-octet length."""
    if len(wire) > MAX_MESSAGE_SIZE:
        raise ValueError(f"DNS message of {len(wire)} bytes exceeds the DoQ limit of 65535")
    return struct.pack("!H", len(wire)) + wire


class MessageReader:
    """Collects the bytes of one DoQ stream and yields its single message at FIN."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def expected(self) -> int | None:
        """Total bytes the stream should carry (prefix + message), once the prefix is in."""
        if len(self._buf) < 2:
            return None
        return 2 + int.from_bytes(self._buf[:2], "big")

    @property
    def complete(self) -> bool:
        exp = self.expected
        return exp is not None and len(self._buf) >= exp

    def feed(self, data: bytes) -> None:
        """Add received bytes; DoQProtocolError as soon as more than one message arrives."""
        self._buf += data
        exp = self.expected
        if exp is not None and len(self._buf) > exp:
            raise DoQProtocolError("data after the DNS message on the stream")

    def finish(self) -> bytes:
        """The message, at FIN; DoQProtocolError if FIN came before the announced length."""
        exp = self.expected
        if exp is None:
            raise DoQProtocolError(f"stream ended after {len(self._buf)} bytes of length prefix")
        if len(self._buf) < exp:
            raise DoQProtocolError(
                f"stream ended after {len(self._buf) - 2} of {exp - 2} announced bytes"
            )
        return bytes(self._buf[2:])


def check_message_id(wire: bytes) -> None:
    """RFC 9250 section 4.2.1: the Message ID MUST be 0."""
    if len(wire) < HEADER_SIZE:
        raise DoQProtocolError(f"a DNS message needs {HEADER_SIZE} bytes, got {len(wire)}")
    if wire[0] or wire[1]:
        raise DoQProtocolError(f"DNS Message ID {int.from_bytes(wire[:2], 'big')} is not 0")


def has_tcp_keepalive(msg: dns.message.Message) -> bool:
    return any(opt.otype == dns.edns.OptionType.KEEPALIVE for opt in msg.options)


def parse_query(wire: bytes) -> dns.message.Message:
    """Validate and parse a query. DoQProtocolError for DoQ violations; dns.exception.FormError
    (-> answer FORMERR) for a malformed DNS message with a valid header."""
    check_message_id(wire)
    msg = dns.message.from_wire(wire)
    if has_tcp_keepalive(msg):
        raise DoQProtocolError("edns-tcp-keepalive is forbidden in DoQ (RFC 9250 5.5.2)")
    return msg


def formerr_response(wire: bytes) -> bytes:
    """A FORMERR answer built from the raw header of a message dnspython cannot parse."""
    flags = int.from_bytes(wire[2:4], "big") if len(wire) >= 4 else 0
    opcode_rd = flags & (0x7800 | dns.flags.RD)
    header = struct.pack("!HHHHHH", 0, dns.flags.QR | opcode_rd | dns.rcode.FORMERR, 0, 0, 0, 0)
    return header


def encode_response(response: dns.message.Message) -> bytes:
    """Serialize a response for DoQ: ID 0, no tcp-keepalive option, at most 65535 bytes."""
    response.id = 0
    if has_tcp_keepalive(response):
        response.use_edns(
            response.edns,
            response.ednsflags,
            response.payload,
            options=[o for o in response.options if o.otype != dns.edns.OptionType.KEEPALIVE],
        )
    return encode_message(response.to_wire(max_size=MAX_MESSAGE_SIZE))


def servfail(query: dns.message.Message) -> dns.message.Message:
    resp = dns.message.make_response(query)
    resp.set_rcode(dns.rcode.SERVFAIL)
    return resp


# ---- server ----------------------------------------------------------------------------------
Resolver = Callable[[dns.message.Message], Awaitable[dns.message.Message]]


class DoQServer:
    """Connection handler for a DoQ endpoint (pass it as `connection_handler`)."""

    def __init__(
        self,
        resolve: Resolver,
        *,
        query_timeout: float = 5.0,
        max_queries_per_connection: int = 64,
    ) -> None:
        self.resolve = resolve
        self.query_timeout = query_timeout
        self.max_queries_per_connection = max_queries_per_connection
        self.stats: dict[str, int] = {
            "queries": 0,
            "protocol_errors": 0,
            "servfail": 0,
            "formerr": 0,
            "excessive_load": 0,
            "cancelled": 0,
        }
        self._bad = RateLimitedLog(log, "DoQ protocol error")

    async def __call__(self, conn: Connection) -> None:
        in_flight = 0

        async def one(stream: Any) -> None:
            nonlocal in_flight
            try:
                await self._serve_stream(conn, stream)
            finally:
                in_flight -= 1

        async with trio.open_nursery() as nursery:
            while True:
                try:
                    stream = await conn.accept_stream()
                except ConnectionClosed:
                    break
                if in_flight >= self.max_queries_per_connection:
                    self.stats["excessive_load"] += 1
                    stream.reset(DOQ_EXCESSIVE_LOAD)
                    continue
                in_flight += 1
                nursery.start_soon(one, stream)

    async def _serve_stream(self, conn: Connection, stream: Any) -> None:
        reader = MessageReader()
        try:
            with trio.move_on_after(self.query_timeout) as read_scope:
                while data := await stream.receive_some():
                    reader.feed(data)
            if read_scope.cancelled_caught:
                # No FIN in time: give up the transaction, not the connection.
                stream.reset(DOQ_INTERNAL_ERROR)
                return
            wire = reader.finish()
            try:
                query = parse_query(wire)
            except dns.exception.FormError:
                self.stats["formerr"] += 1
                await stream.send_all(encode_message(formerr_response(wire)), eof=True)
                return
            self.stats["queries"] += 1
            response = await self._resolve(query)
            try:
                out = encode_response(response)
            except (ValueError, dns.exception.TooBig):
                self.stats["servfail"] += 1
                out = encode_response(servfail(query))
            await stream.send_all(out, eof=True)  # response and FIN in one packet
        except DoQProtocolError as exc:
            self.stats["protocol_errors"] += 1
            self._bad.info(peer=str(conn.remote_address), error=str(exc))
            conn.close_nowait(DOQ_PROTOCOL_ERROR, str(exc)[:100])
        except (StreamReset, ConnectionClosed, trio.ClosedResourceError):
            self.stats["cancelled"] += 1  # the client went away or cancelled the query

    async def _resolve(self, query: dns.message.Message) -> dns.message.Message:
        try:
            with trio.fail_after(self.query_timeout):
                return await self.resolve(query)
        except Exception as exc:  # a resolver failure is a SERVFAIL, never a dead endpoint
            self.stats["servfail"] += 1
            log.warning("DoQ resolver failed", error=repr(exc))
            return servfail(query)


async def serve_doq(
    host: str,
    port: int,
    *,
    tls: TLSConfig,
    resolve: Resolver,
    backend: str | None = None,
    query_timeout: float = 5.0,
    max_queries_per_connection: int = 64,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    retry: bool = False,
    flow: FlowConfig | None = None,
    task_status: trio.TaskStatus[ServerEndpoint] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve DNS over QUIC until cancelled; `task_status.started(endpoint)` once bound.

    `resolve(query)` returns the response (its ID is set to 0 here); if it raises or takes
    longer than `query_timeout`, the client gets SERVFAIL. Streams past
    `max_queries_per_connection` in flight are reset with DOQ_EXCESSIVE_LOAD.
    """
    handler = DoQServer(
        resolve, query_timeout=query_timeout, max_queries_per_connection=max_queries_per_connection
    )
    await serve(
        host,
        port,
        tls=tls,
        alpn_protocols=[ALPN_DOQ],
        connection_handler=handler,
        backend=backend,
        idle_timeout=idle_timeout,
        retry=retry,
        flow=flow,
        task_status=task_status,
    )


# ---- client ----------------------------------------------------------------------------------
class StreamOpener(Protocol):
    async def open_stream(self) -> Any: ...


class DoQClient:
    """Queries over one DoQ connection (or anything with `async open_stream()`, such as a
    `ConnectionPool.channel(..., alpn_protocols=["doq"])`); many queries may run at once."""

    def __init__(self, opener: StreamOpener) -> None:
        self.opener = opener

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        tls: TLSConfig,
        server_name: str | None = None,
        backend: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> AsyncIterator[DoQClient]:
        async with connect(
            host,
            port,
            tls=tls,
            alpn_protocols=[ALPN_DOQ],
            server_name=server_name,
            backend=backend,
            idle_timeout=idle_timeout,
        ) as conn:
            yield cls(conn)

    async def query(self, query: dns.message.Message) -> dns.message.Message:
        """Send `query` (with Message ID 0 on the wire) and return the response, whose `id` is
        set back to `query.id` so `query.is_response(response)` holds. Bound it with
        `trio.fail_after`: a cancelled query resets its stream with DOQ_REQUEST_CANCELLED."""
        wire = bytearray(query.to_wire())
        wire[0:2] = b"\0\0"
        framed = encode_message(bytes(wire))
        stream = await self.opener.open_stream()
        done = False
        try:
            await stream.send_all(framed, eof=True)  # query and FIN in one packet
            reader = MessageReader()
            while data := await stream.receive_some():
                reader.feed(data)
            answer = reader.finish()
            check_message_id(answer)
            response = dns.message.from_wire(answer)
            done = True
        except DoQProtocolError as exc:
            conn = getattr(stream, "connection", None) or getattr(stream, "_conn", None)
            if conn is not None:
                conn.close_nowait(DOQ_PROTOCOL_ERROR, str(exc)[:100])
            raise
        except StreamReset as exc:
            raise DoQError(exc.error_code, "server reset the query stream") from exc
        finally:
            if done:
                await stream.aclose()
            else:
                stream.reset(DOQ_REQUEST_CANCELLED)
        response.id = query.id
        if not query.is_response(response):
            raise dns.query.BadResponse
        return response
