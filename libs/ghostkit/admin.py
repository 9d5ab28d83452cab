"""Admin HTTP/1.1 server: /metrics, /healthz, /readyz. h11 does the parsing, trio the I/O."""

from __future__ import annotations

import attrs
import h11
import structlog
import trio
from prometheus_client import CollectorRegistry

from ghostkit.metrics import exposition

MAX_REQUEST_HEAD = 16 * 1024
MAX_REQUEST_BODY = 64 * 1024
IDLE_TIMEOUT = 30.0  # keep-alive connections that say nothing for this long are closed
RECEIVE_CHUNK = 16 * 1024
LINGER_SECONDS = 1.0
LINGER_BYTES = 1024 * 1024

log = structlog.get_logger("ghostkit.admin")


@attrs.define
class Readiness:
    """/readyz state: ready once the daemon says so, and not while it drains."""

    is_ready: bool = False
    draining: bool = False

    def set_ready(self) -> None:
        self.is_ready = True

    def set_draining(self) -> None:
        self.draining = True

    @property
    def ok(self) -> bool:
        return self.is_ready and not self.draining


@attrs.frozen
class Reply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    extra_headers: tuple[tuple[str, str], ...] = ()


def route(
    method: str, target: str, readiness: Readiness, registry: CollectorRegistry | None
) -> Reply:
    """Pure request -> reply mapping (sans-IO; the tests call it directly too)."""
    path = target.split("?", 1)[0]
    if path not in ("/metrics", "/healthz", "/readyz"):
        return Reply(404, b"not found\n")
    if method not in ("GET", "HEAD"):
        return Reply(405, b"method not allowed\n", extra_headers=(("Allow", "GET, HEAD"),))
    if path == "/metrics":
        body, ctype = exposition(registry)
        return Reply(200, body, ctype)
    if path == "/healthz":
        return Reply(200, b"ok\n")
    if readiness.ok:
        return Reply(200, b"ready\n")
    return Reply(503, b"draining\n" if readiness.draining else b"not ready\n")


async def _send(
    stream: trio.abc.Stream, conn: h11.Connection, reply: Reply, *, head: bool, close: bool
) -> None:
    headers = [
        ("Content-Type", reply.content_type),
        ("Content-Length", str(len(reply.body))),
        ("Cache-Control", "no-store"),
        *reply.extra_headers,
    ]
    if close:
        headers.append(("Connection", "close"))
    out = conn.send(h11.Response(status_code=reply.status, headers=headers))
    if not head and reply.body:
        out += conn.send(h11.Data(data=reply.body))
    out += conn.send(h11.EndOfMessage())
    await stream.send_all(out)


async def _linger(stream: trio.abc.Stream) -> None:
    """Half-close, then drop what the peer still sends for a moment: closing with unread input
    makes the kernel send RST, which can destroy the error reply before the client reads it."""
    if isinstance(stream, trio.SocketStream):
        await stream.send_eof()
    with trio.move_on_after(LINGER_SECONDS):
        drained = 0
        while drained < LINGER_BYTES and (chunk := await stream.receive_some(RECEIVE_CHUNK)):
            drained += len(chunk)


async def _next_event(stream: trio.abc.Stream, conn: h11.Connection) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        with trio.move_on_after(IDLE_TIMEOUT) as scope:
            data = await stream.receive_some(RECEIVE_CHUNK)
        if scope.cancelled_caught:
            return h11.ConnectionClosed()
        conn.receive_data(data)


async def _serve_connection(
    stream: trio.abc.Stream, readiness: Readiness, registry: CollectorRegistry | None
) -> None:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_REQUEST_HEAD)
    while True:
        try:
            event = await _next_event(stream, conn)
            if isinstance(event, h11.ConnectionClosed):
                return
            assert isinstance(event, h11.Request)
            method = event.method.decode("ascii", "replace")
            target = event.target.decode("ascii", "replace")
            # Read (and drop) any request body so the connection can carry the next request.
            body_size = 0
            while True:
                ev = await _next_event(stream, conn)
                if isinstance(ev, h11.Data):
                    body_size += len(ev.data)
                    if body_size > MAX_REQUEST_BODY:
                        await _send(
                            stream, conn, Reply(413, b"request body too large\n"),
                            head=False, close=True,
                        )  # fmt: skip
                        await _linger(stream)
                        return
                elif isinstance(ev, h11.EndOfMessage):
                    break
                else:
                    return
            reply = route(method, target, readiness, registry)
            await _send(stream, conn, reply, head=method == "HEAD", close=False)
        except h11.RemoteProtocolError as exc:
            # Malformed request: answer 400 if the protocol state still allows a response.
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                status = exc.error_status_hint
                try:
                    await _send(
                        stream, conn, Reply(status, f"bad request: {exc}\n".encode()),
                        head=False, close=True,
                    )  # fmt: skip
                    await _linger(stream)
                except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
                    pass
            return
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
            return
        try:
            conn.start_next_cycle()
        except h11.LocalProtocolError:
            return


async def _handler(
    stream: trio.SocketStream, readiness: Readiness, registry: CollectorRegistry | None
) -> None:
    try:
        async with stream:
            await _serve_connection(stream, readiness, registry)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass  # peer went away mid-reply; nothing to do
    except Exception:  # one bad connection must never take the admin server down
        log.exception("admin_connection_error")


async def serve_admin(
    host: str,
    port: int,
    readiness: Readiness,
    registry: CollectorRegistry | None = None,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the admin endpoints forever; `task_status.started(bound_port)` once listening."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        task_status.started(bound)
        await trio.serve_listeners(
            lambda s: _handler(s, readiness, registry), listeners, handler_nursery=nursery
        )
