"""Trio driver for the server side: binds protobuf services and runs one task per call."""

from __future__ import annotations

import enum
import inspect
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, nullcontext
from functools import partial
from typing import Any, NoReturn

import attrs
import structlog
import trio
from ghost.bridge.v1 import bridge_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from zquic.stream import QuicStream

from ._io import (
    GONE_ERRORS,
    RECEIVE_CHUNK,
    MessageQueue,
    PeerInfo,
    close_quietly,
    peer_info,
    reset_quietly,
)
from .call import (
    _OK_STATUS,
    CallStatus,
    EndOfRequest,
    MessageReceived,
    ServerCall,
    parse_call_header_body,
    parse_call_header_frame,
    split_unary_request,
)
from .control import RESPONSE_TYPES, ControlCodec
from .frames import (
    CONTROL_TYPES,
    DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_MAX_MESSAGE_SIZE,
    SUPPORTED_ENCODINGS,
    FrameDecoder,
    FrameType,
)
from .metadata import (
    Metadata,
    MetadataLike,
    child_traceparent,
    metadata_from_proto,
    new_traceparent,
    normalize_metadata,
    parse_traceparent,
)
from .status import ProtocolError, ResetCode, RpcError, StatusCode

CallDoneHook = Callable[[str, str, StatusCode, float, str], None]
ControlHandler = Callable[[FrameType, Message, PeerInfo], Awaitable[Message]]

_log = structlog.get_logger("zquic.rpc")

SHUTTING_DOWN = "server is shutting down"
_NO_SCOPE = nullcontext()  # stateless: one instance serves every call


def metrics_hook(metrics: Any) -> CallDoneHook:
    """An `on_call_done` feeding anything with `observe(service, method, code, seconds)`,
    e.g. `ghostkit.metrics.rpc_metrics()` (labels use the status name, like gRPC)."""

    def hook(service: str, method: str, code: StatusCode, seconds: float, _trace: str) -> None:
        metrics.observe(service, method, code.name, seconds)

    return hook


class Shape(enum.Enum):
    UNARY_UNARY = "unary"
    UNARY_STREAM = "server_streaming"
    STREAM_UNARY = "client_streaming"
    STREAM_STREAM = "bidi"

    @classmethod
    def of(cls, method: MethodDescriptor) -> Shape:
        cs, ss = method_streaming(method)
        return {
            (False, False): cls.UNARY_UNARY,
            (False, True): cls.UNARY_STREAM,
            (True, False): cls.STREAM_UNARY,
            (True, True): cls.STREAM_STREAM,
        }[(cs, ss)]

    @property
    def client_streaming(self) -> bool:
        return self in (Shape.STREAM_UNARY, Shape.STREAM_STREAM)

    @property
    def server_streaming(self) -> bool:
        return self in (Shape.UNARY_STREAM, Shape.STREAM_STREAM)


def method_streaming(method: MethodDescriptor) -> tuple[bool, bool]:
    """(client_streaming, server_streaming); older protobuf runtimes lack the attributes."""
    cs = getattr(method, "client_streaming", None)
    ss = getattr(method, "server_streaming", None)
    if cs is None or ss is None:
        from google.protobuf import descriptor_pb2

        proto = descriptor_pb2.MethodDescriptorProto()
        method.CopyToProto(proto)
        cs, ss = proto.client_streaming, proto.server_streaming
    return bool(cs), bool(ss)


@attrs.define
class BoundMethod:
    service: str
    name: str
    shape: Shape
    handler: Callable[..., Any] | None
    request_cls: type[Message]
    response_cls: type[Message]


class _PeerGone(Exception):
    """The client reset the stream, stopped reading, or the connection died."""


class CallContext:
    """What a handler knows about its call; passed as the second argument."""

    # Per-call state most calls never change: class defaults, set on the instance when used.
    _metadata: Metadata | None = None  # parsed on first use (most handlers never look)
    _traceparent: str | None = None
    _trace_id = ""
    _tracestate: str | None = None
    _trailing: Metadata = ()
    _cancelled = False
    cancel_reason: str | None = None
    # The unary fast path's (stream, ServerCall) for send_initial_metadata, instead of a
    # `send_initial_metadata` callable made for every call.
    _unary_io: tuple[Any, Any] | None = None

    def __init__(
        self,
        *,
        service: str,
        method: str,
        header: bridge_pb2.CallHeader,
        peer: PeerInfo,
        deadline: float | None,
        send_initial_metadata: Callable[[Metadata], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self.method = method
        self._header = header
        self.peer = peer
        self.deadline = deadline
        self._send_initial = send_initial_metadata

    @property
    def metadata(self) -> Metadata:
        md = self._metadata
        if md is None:
            entries = self._header.metadata
            md = self._metadata = metadata_from_proto(entries) if entries else ()
        return md

    @metadata.setter
    def metadata(self, value: Metadata) -> None:
        self._metadata = value

    @property
    def tracestate(self) -> str:
        return self._header.tracestate if self._tracestate is None else self._tracestate

    @tracestate.setter
    def tracestate(self, value: str) -> None:
        self._tracestate = value

    def _trace(self) -> None:
        traceparent = self._header.traceparent
        parsed = parse_traceparent(traceparent)
        # An absent or invalid traceparent starts a new trace, so every log line has an id.
        if parsed:
            self._traceparent, self._trace_id = traceparent, parsed[0]
        else:
            self._traceparent = new_traceparent()
            self._trace_id = self._traceparent[3:35]

    @property
    def traceparent(self) -> str:
        if self._traceparent is None:
            self._trace()
        return self._traceparent  # type: ignore[return-value]

    @traceparent.setter
    def traceparent(self, value: str) -> None:
        if self._traceparent is None:
            self._trace()
        self._traceparent = value

    @property
    def trace_id(self) -> str:
        if self._traceparent is None:
            self._trace()
        return self._trace_id

    @trace_id.setter
    def trace_id(self, value: str) -> None:
        if self._traceparent is None:
            self._trace()
        self._trace_id = value

    @property
    def cancelled(self) -> bool:
        """True once the client cancelled, the deadline passed or the call failed."""
        if self._cancelled:
            return True
        return self.deadline is not None and trio.current_time() >= self.deadline

    def time_remaining(self) -> float | None:
        """Seconds left before the call's deadline (None = no deadline)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - trio.current_time())

    def invocation_metadata(self) -> Metadata:
        return self.metadata

    def set_trailing_metadata(self, metadata: MetadataLike) -> None:
        self._trailing = normalize_metadata(metadata)

    async def send_initial_metadata(self, metadata: MetadataLike) -> None:
        """Send the response header now (else it goes out with the first response message)."""
        metadata = normalize_metadata(metadata)
        if self._send_initial is not None:
            await self._send_initial(metadata)
            return
        assert self._unary_io is not None
        stream, call = self._unary_io
        data = call.send_header(metadata)  # asked for explicitly: goes out now
        try:
            await stream.send_all(data)
        except GONE_ERRORS as exc:
            raise _PeerGone() from exc

    def abort(self, code: StatusCode, message: str = "", *, details: bytes = b"") -> NoReturn:
        raise RpcError(code, message, self._trailing, details=details)

    def child_traceparent(self) -> str:
        """Traceparent for a downstream call made by this handler (same trace, new span)."""
        return child_traceparent(self.traceparent)


@attrs.define
class RawCall:
    """A call no local service handles, handed to `fallback_handler` (e.g. the bridge relay).

    `header_frame` + `buffered` are the exact bytes read so far; the rest is on `stream`.
    """

    header: bridge_pb2.CallHeader
    header_frame: bytes
    buffered: bytes
    stream: Any
    peer: PeerInfo
    deadline: float | None
    received_at: float

    @property
    def service(self) -> str:
        return self.header.method.split("/")[1]

    @property
    def method_name(self) -> str:
        return self.header.method.split("/")[2]

    def time_remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - trio.current_time())


FallbackHandler = Callable[[RawCall], Awaitable[StatusCode | None]]


class RpcServer:
    """Serves bound services on ghostbridge/1 streams.

    `on_call_done(service, method, code, duration_s, trace_id)` is called once per call.
    """

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        compression_threshold: int = DEFAULT_COMPRESSION_THRESHOLD,
        encodings: tuple[str, ...] = SUPPORTED_ENCODINGS,
        on_call_done: CallDoneHook | None = None,
        fallback_handler: FallbackHandler | None = None,
        control_handler: ControlHandler | None = None,
        header_timeout: float = 10.0,
        receive_buffer: int = 256 * 1024,
        trailer_timeout: float = 5.0,
        logger: Any = None,
    ) -> None:
        self.max_message_size = max_message_size
        self.compression_threshold = compression_threshold
        self.encodings = encodings
        self.on_call_done = on_call_done
        self.fallback_handler = fallback_handler
        self.control_handler = control_handler
        self.header_timeout = header_timeout
        self.receive_buffer = receive_buffer
        self.trailer_timeout = trailer_timeout
        self.log = logger or _log
        self._call_log: Any = None  # self.log bound once, for the per-call line
        self._log_calls = True  # False when that logger drops info lines (its level is fixed)
        self._methods: dict[str, BoundMethod] = {}
        self._connections: set[Any] = set()  # served by handle_connection (drain waits on them)
        self._services: set[str] = set()
        # Graceful drain (start_draining / wait_idle): calls counted from the header to the
        # trailers + FIN handed to the transport; long-lived calls can be ended on demand.
        self._draining = False
        self._active = 0
        self._idle: trio.Event | None = None
        self._long_lived: set[Callable[[], None]] = set()

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self._services)

    def add_service(self, service: ServiceDescriptor, implementation: object) -> None:
        """Bind every method of `service` to the same-named coroutine / async generator."""
        if service.full_name in self._services:
            raise ValueError(f"service {service.full_name} already added")
        bound = {}
        for method in service.methods:
            shape = Shape.of(method)
            handler = getattr(implementation, method.name, None)
            if handler is not None:
                _check_handler(service.full_name, method.name, shape, handler)
            bound[f"/{service.full_name}/{method.name}"] = BoundMethod(
                service=service.full_name,
                name=method.name,
                shape=shape,
                handler=handler,
                request_cls=message_factory.GetMessageClass(method.input_type),
                response_cls=message_factory.GetMessageClass(method.output_type),
            )
        self._services.add(service.full_name)
        self._methods.update(bound)

    # ---- graceful drain -----------------------------------------------------------------

    @property
    def draining(self) -> bool:
        return self._draining

    @property
    def active_calls(self) -> int:
        """Calls whose header arrived and whose response has not been handed over yet."""
        return self._active

    def start_draining(self) -> None:
        """Refuse new calls with UNAVAILABLE, end server-streaming and bidi calls with
        UNAVAILABLE; unary and client-streaming calls in flight run to completion.
        Control streams are not affected. Idempotent."""
        if self._draining:
            return
        self._draining = True
        for end in list(self._long_lived):
            end()

    async def wait_idle(self) -> None:
        """Return once no call is in flight: every response (trailers + FIN) was handed to
        the transport and, on zquic connections, sent (a close discards what the transport
        still holds, e.g. datagrams held back by pacing). Bound it with a timeout (a client
        that stops reading holds its replies); close the endpoint afterwards."""
        while True:
            while self._active:
                if self._idle is None:
                    self._idle = trio.Event()
                await self._idle.wait()
            for conn in list(self._connections):
                wait_sent = getattr(conn, "wait_sent", None)
                if wait_sent is not None:
                    await wait_sent()
            if not self._active:
                return

    def _call_done(self) -> None:
        self._active -= 1
        if not self._active and self._idle is not None:
            self._call_done_idle()

    def _call_done_idle(self) -> None:
        assert self._idle is not None
        self._idle.set()
        self._idle = None

    # ---- connections and streams --------------------------------------------------------

    async def handle_connection(self, conn: Any) -> None:
        """Accept streams until the connection closes; one task per stream (zquic handler)."""
        peer = peer_info(conn)
        self._connections.add(conn)
        try:
            serve_streams = getattr(conn, "serve_streams", None)
            if serve_streams is not None:  # zquic: the driver starts a task per stream itself
                await serve_streams(partial(self.handle_stream, peer=peer))
                return
            async with trio.open_nursery() as nursery:
                while True:
                    try:
                        stream = await conn.accept_stream()
                    except (*GONE_ERRORS, trio.EndOfChannel):
                        break
                    nursery.start_soon(self.handle_stream, stream, peer)
        finally:
            self._connections.discard(conn)

    async def handle_stream(self, stream: Any, peer: PeerInfo | None = None) -> None:
        """Serve one stream: a call, or a control exchange. Never raises for bad input."""
        peer = peer or PeerInfo()
        quic = type(stream) is QuicStream
        try:
            try:
                header_frame = None
                whole = None
                decoder: FrameDecoder | None = None
                t0: float | None = None  # when the call arrived; None: now (nothing awaited)
                if quic and stream.receive_buffered:
                    # Usually the whole request is here already: no header-timeout scope.
                    data = stream.receive_nowait(RECEIVE_CHUNK)
                    whole = split_unary_request(data, self.max_message_size)
                    if whole is not None:  # HEADER + MESSAGE + END: decoded in one pass
                        header = parse_call_header_body(data[5 : whole[0]])
                    else:
                        decoder = FrameDecoder()
                        decoder.append(data)
                        if decoder.peek_type() == FrameType.GRPC_REQUEST:
                            header_frame = decoder.next_frame()
                if whole is None:
                    t0 = trio.current_time()
                    if header_frame is None:
                        if decoder is None:
                            decoder = FrameDecoder()
                        with trio.move_on_after(self.header_timeout) as waited:
                            ftype = await self._read_first_type(stream, decoder)
                            if ftype in CONTROL_TYPES:
                                # control streams live as long as their leases
                                waited.deadline = math.inf
                                await self._serve_control(stream, peer, decoder.take_buffer())
                                return
                            if ftype:
                                header_frame = await self._read_frame(stream, decoder)
                        if waited.cancelled_caught:
                            self.log.warning("rpc_protocol_error", reason="no call header in time")
                            reset_quietly(stream, ResetCode.PROTOCOL_ERROR)
                            return
                        if header_frame is None:
                            return  # the stream ended before any byte: nothing to answer
                    header = parse_call_header_frame(header_frame)
            except ProtocolError as exc:
                self.log.warning("rpc_protocol_error", reason=exc.message, peer=str(peer.address))
                await self._send_status_only(stream, CallStatus(exc.code, exc.message))
                return
            except GONE_ERRORS:
                return
            if whole is not None:
                await self._dispatch(stream, peer, header, data, whole[0], t0, whole[1])
            else:
                assert decoder is not None
                raw = header_frame.raw
                await self._dispatch(
                    stream, peer, header, raw + decoder.take_buffer(), len(raw), t0, None
                )
        finally:
            if quic:
                stream.close_nowait()  # never blocks (a no-op once a call closed it)
            else:
                await close_quietly(stream)

    async def _read_first_type(self, stream: Any, decoder: FrameDecoder) -> FrameType | None:
        while (ftype := decoder.peek_type()) is None:
            data = await stream.receive_some(RECEIVE_CHUNK)
            if not data:
                return None
            decoder.append(data)
        return ftype

    async def _read_frame(self, stream: Any, decoder: FrameDecoder) -> Any:
        while (frame := decoder.next_frame()) is None:
            data = await stream.receive_some(RECEIVE_CHUNK)
            if not data:
                decoder.eof()
                raise ProtocolError("stream ended before the call header")
            decoder.append(data)
        return frame

    async def _send_status_only(self, stream: Any, status: CallStatus) -> None:
        """Trailers-only response (no handler ran), then close."""
        call = ServerCall()
        await self._send_last(stream, call.send_trailers(status))
        if type(stream) is QuicStream:
            stream.close_nowait()
        else:
            await close_quietly(stream)

    async def _send_last(self, stream: Any, data: bytes, *, nowait: bool = True) -> bool:
        """Write the end of a response + FIN; False if the peer is gone or the write stalled
        past `trailer_timeout` (then the stream is reset with INTERNAL_ERROR). `nowait=False`:
        the caller already tried `send_nowait`."""
        try:
            if nowait and type(stream) is QuicStream:
                try:
                    stream.send_nowait(data, eof=True)  # fits the send budget: no scheduler round
                    return True
                except trio.WouldBlock:
                    pass
            with trio.move_on_after(self.trailer_timeout) as scope:
                await stream.send_all(data)
                try:
                    await stream.send_eof()
                except GONE_ERRORS:
                    pass  # the client may close as soon as it has read the trailers
        except GONE_ERRORS:
            return False
        if scope.cancelled_caught:
            reset_quietly(stream, ResetCode.INTERNAL_ERROR)
            return False
        return True

    async def _dispatch(
        self,
        stream: Any,
        peer: PeerInfo,
        header: bridge_pb2.CallHeader,
        raw: bytes,
        hend: int,
        t0: float | None,
        request: bytes | None,
    ) -> None:
        """`raw`: the bytes read so far, the HEADER frame being `raw[:hend]`; `request`: the
        request message when `raw` held the whole unary request (`split_unary_request`);
        `t0`: when the call arrived (None: now, nothing was awaited since)."""
        # The duration is measured only for a log line or hook (`_log_calls` is settled by
        # the first call's `_finish`).
        timed = self._log_calls or self.on_call_done is not None
        started = time.perf_counter() if timed else 0.0
        bound = self._methods.get(header.method)
        if bound is not None and bound.handler is not None and not self._draining:
            self._active += 1
            try:
                timeout_ms = header.timeout_ms
                if timeout_ms:
                    deadline = (trio.current_time() if t0 is None else t0) + timeout_ms / 1000
                else:
                    deadline = None
                if bound.shape is Shape.UNARY_UNARY and type(stream) is QuicStream:
                    code, trace = await self._run_unary(
                        stream, peer, bound, header, raw, hend, request, deadline
                    )
                else:
                    code, trace = await self._run_call(stream, peer, bound, header, raw, deadline)
                self._finish(
                    bound.service,
                    bound.name,
                    code,
                    time.perf_counter() - started if timed else 0.0,
                    trace,
                    peer,
                )
            finally:
                self._active -= 1
                if not self._active and self._idle is not None:
                    self._call_done_idle()
            return
        if t0 is None:
            t0 = trio.current_time()
        if not timed:
            started = time.perf_counter()
        _, service, name = header.method.split("/")
        if self._draining:
            # No handler runs, so no side effect: the client may retry elsewhere.
            parsed = parse_traceparent(header.traceparent)
            code = StatusCode.UNAVAILABLE
            await self._send_status_only(stream, CallStatus(code, SHUTTING_DOWN))
            trace_id = parsed[0] if parsed else ""
            self._finish(service, name, code, time.perf_counter() - started, trace_id, peer)
            return
        self._active += 1
        try:
            deadline = t0 + header.timeout_ms / 1000 if header.timeout_ms else None
            parsed = parse_traceparent(header.traceparent)
            trace_id = parsed[0] if parsed else ""
            if self.fallback_handler is not None and bound is None:
                raw_call = RawCall(header, raw[:hend], raw[hend:], stream, peer, deadline, t0)
                try:
                    code = await self.fallback_handler(raw_call) or StatusCode.OK
                except Exception:
                    self.log.exception(
                        "rpc_fallback_error", method=header.method, trace_id=trace_id
                    )
                    code = StatusCode.INTERNAL
                    await self._send_status_only(stream, CallStatus(code, "internal error"))
            else:
                what = f"method {name}" if service in self._services else f"service {service}"
                code = StatusCode.UNIMPLEMENTED
                await self._send_status_only(stream, CallStatus(code, f"unknown {what}"))
            self._finish(service, name, code, time.perf_counter() - started, trace_id, peer)
        finally:
            self._call_done()

    def _finish(
        self,
        service: str,
        method: str,
        code: StatusCode,
        seconds: float,
        trace: str | CallContext,
        peer: PeerInfo,
    ) -> None:
        """The per-call log line and hook; `trace` is the trace id or the call's context."""
        log = self._call_log
        if log is None:
            # structlog's lazy proxy re-binds on every call (~10-30 us); bind once, after
            # logging was configured (processor lists are shared, so capture_logs still works).
            bind = getattr(self.log, "bind", None)
            log = self._call_log = bind() if bind is not None else self.log
            self._log_calls = _logs_info(log)
        if not self._log_calls and self.on_call_done is None:
            return  # the line would be dropped by level: skip building it
        trace_id = trace if type(trace) is str else trace.trace_id  # type: ignore[union-attr]
        if self._log_calls:
            log.info(
                "rpc_call",
                method=f"/{service}/{method}",
                status=code.name,
                duration_ms=round(seconds * 1000, 3),
                trace_id=trace_id,
                peer=str(peer.address) if peer.address is not None else None,
            )
        if self.on_call_done is not None:
            try:
                self.on_call_done(service, method, code, seconds, trace_id)
            except Exception:
                self.log.exception("rpc_call_hook_error", method=method)

    # ---- one call ----------------------------------------------------------------------

    async def _run_unary(
        self,
        stream: QuicStream,
        peer: PeerInfo,
        bound: BoundMethod,
        header: bridge_pb2.CallHeader,
        raw: bytes,
        hend: int,
        request: bytes | None,
        deadline: float | None,
    ) -> tuple[StatusCode, CallContext]:
        """Unary fast path on a zquic stream: no reader task (a client reset, STOP_SENDING
        or connection loss cancels the handler through the stream's abort callback), one
        cancel scope (the deadline) for reading the request and running the handler, the
        response header + message + trailers + FIN in one write. `request` is the message
        when the handler already has the whole request, else it is read from `raw[hend:]`
        and the stream."""
        call = ServerCall(
            max_message_size=self.max_message_size,
            compression_threshold=self.compression_threshold,
            encodings=self.encodings,
        )
        ctx = CallContext(
            service=bound.service, method=bound.name, header=header, peer=peer, deadline=deadline
        )
        ctx._unary_io = (stream, call)  # for ctx.send_initial_metadata()
        # The serving task's reusable scope when zquic.workers runs us (no scope of our own:
        # entering one costs ~7 us), else one for this call.
        shared = stream.serving_scope
        if shared is None:
            scope = trio.CancelScope() if deadline is None else trio.CancelScope(deadline=deadline)
        else:
            scope = shared
            if deadline is not None:
                scope.deadline = deadline
        gone = False

        def on_abort() -> None:
            nonlocal gone
            gone = True
            ctx._cancelled = True
            ctx.cancel_reason = ctx.cancel_reason or "cancelled by the client"
            scope.cancel()

        status: CallStatus | None = None
        response = b""  # the response frames (header + message), written with the trailers
        stream.set_abort_callback(on_abort)
        try:
            with scope if shared is None else _NO_SCOPE:
                try:
                    call.accept_header(header)
                    if request is not None:
                        call.request_read()
                        status, response = await self._invoke_unary(bound, ctx, call, request)
                    else:
                        # The whole request (one message, END) before the handler runs, as
                        # gRPC servers do; a second message stops reading (the handler path
                        # refuses it).
                        messages: list[bytes] = []
                        _collect(call.receive_data(raw[hend:]), messages)
                        while not call.request_ended and len(messages) < 2:
                            data = await stream.receive_some(RECEIVE_CHUNK)
                            events = call.receive_data(data) if data else call.receive_eof()
                            _collect(events, messages)
                        status, response = await self._invoke_unary(bound, ctx, call, messages)
                    if stream.receive_buffered:  # bytes after END that came during the handler
                        call.receive_data(stream.receive_nowait(RECEIVE_CHUNK))
                except ProtocolError as exc:
                    self.log.warning(
                        "rpc_protocol_error", method=header.method, reason=exc.message,
                        trace_id=ctx.trace_id,
                    )  # fmt: skip
                    ctx._cancelled = True
                    ctx.cancel_reason = ctx.cancel_reason or "protocol error"
                    response = b""
                    status = CallStatus(exc.code, exc.message)
                except (_PeerGone, *GONE_ERRORS):
                    gone = True
                except trio.Cancelled:
                    if shared is None or not shared.cancel_called:
                        raise
                    # The shared scope fired (deadline or client abort): handled below, as
                    # when a scope of our own catches its cancellation.
        finally:
            stream.set_abort_callback(None)
            if shared is not None and deadline is not None:
                shared.deadline = math.inf  # the handler is done: the deadline no longer applies
        if gone:
            ctx._cancelled = True
            ctx.cancel_reason = ctx.cancel_reason or "cancelled by the client"
            reset_quietly(stream, ResetCode.CANCELLED)
            return StatusCode.CANCELLED, ctx
        if status is None:
            # The scope ran out: the deadline passed.
            ctx._cancelled = True
            ctx.cancel_reason = ctx.cancel_reason or "deadline exceeded"
            response = b""
            status = CallStatus(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        last = response + call.send_trailers(status)
        try:
            stream.send_nowait(last, eof=True)  # fits the send budget: no scheduler round
        except trio.WouldBlock:
            if shared is not None and shared.cancel_called:
                with trio.CancelScope(shield=True):  # our shared scope stays cancelled
                    sent = await self._send_last(stream, last, nowait=False)
            else:
                sent = await self._send_last(stream, last, nowait=False)
            if not sent:
                return StatusCode.CANCELLED, ctx
        except GONE_ERRORS:
            return StatusCode.CANCELLED, ctx
        # The client's FIN came with its request (or comes later): no STOP_SENDING to send.
        stream.close_nowait(stop_sending=False)
        return status.code, ctx

    async def _invoke_unary(
        self, bound: BoundMethod, ctx: CallContext, call: ServerCall, request: bytes | list[bytes]
    ) -> tuple[CallStatus, bytes]:
        """Run a unary handler: its status and response frames (header + message; empty
        when the status is not OK). `request`: the request message, or the messages read
        (a unary request has exactly one)."""
        handler = bound.handler
        assert handler is not None
        try:
            if type(request) is bytes:
                msg = _parse(bound.request_cls, request)
            else:
                msg = _only_request(request, bound.request_cls)  # type: ignore[arg-type]
            resp = await handler(msg, ctx)
            cls = bound.response_cls
            if type(resp) is not cls and (
                not isinstance(resp, Message)
                or resp.DESCRIPTOR.full_name != cls.DESCRIPTOR.full_name
            ):
                raise TypeError(
                    f"{bound.name} returned {type(resp).__name__}, "
                    f"expected {cls.DESCRIPTOR.full_name}"
                )
            response = call.send_message(resp.SerializeToString())
            trailing = ctx._trailing
            return (CallStatus(StatusCode.OK, trailing_metadata=trailing) if trailing else
                    _OK_STATUS), response  # fmt: skip
        except RpcError as exc:
            return CallStatus(
                exc.code, exc.message, exc.details, exc.trailing_metadata or ctx._trailing
            ), b""
        except _PeerGone:
            raise
        except Exception:
            # The traceback stays in our log; the client only learns that it failed.
            self.log.exception(
                "rpc_handler_error", method=f"/{bound.service}/{bound.name}", trace_id=ctx.trace_id
            )
            return CallStatus(StatusCode.INTERNAL, "internal error"), b""

    async def _run_call(
        self,
        stream: Any,
        peer: PeerInfo,
        bound: BoundMethod,
        header: bridge_pb2.CallHeader,
        initial: bytes,
        deadline: float | None,
    ) -> tuple[StatusCode, str]:
        call = ServerCall(
            max_message_size=self.max_message_size,
            compression_threshold=self.compression_threshold,
            encodings=self.encodings,
        )
        queue = MessageQueue(self.receive_buffer)

        async def send(data: bytes) -> None:
            try:
                await stream.send_all(data)
            except GONE_ERRORS as exc:
                raise _PeerGone() from exc

        async def send_initial(metadata: Metadata) -> None:
            await send(call.send_header(metadata))

        ctx = CallContext(
            service=bound.service,
            method=bound.name,
            header=header,
            peer=peer,
            deadline=deadline,
            send_initial_metadata=send_initial,
        )
        state = _CallState()
        handler_scope = trio.CancelScope(deadline=deadline if deadline is not None else math.inf)

        def cancel(reason: str) -> None:
            ctx._cancelled = True
            ctx.cancel_reason = ctx.cancel_reason or reason
            handler_scope.cancel()

        async def reader() -> None:
            try:
                for event in call.receive_data(initial):
                    _deliver(event, queue)
                # Keep reading after END: a RESET_STREAM (client cancel) must still be seen.
                while True:
                    await queue.wait_space()
                    data = await stream.receive_some(RECEIVE_CHUNK)
                    events = call.receive_data(data) if data else call.receive_eof()
                    for event in events:
                        _deliver(event, queue)
                    if not data:
                        return
            except ProtocolError as exc:
                state.failure = CallStatus(exc.code, exc.message)
                self.log.warning(
                    "rpc_protocol_error", method=header.method, reason=exc.message,
                    trace_id=ctx.trace_id,
                )  # fmt: skip
                queue.fail(RpcError(exc.code, exc.message))
                cancel("protocol error")
            except GONE_ERRORS:
                state.peer_gone = True
                queue.fail(RpcError(StatusCode.CANCELLED, "cancelled by the client"))
                cancel("cancelled by the client")

        def end_for_drain() -> None:
            state.drained = True
            cancel(SHUTTING_DOWN)

        long_lived = bound.shape.server_streaming
        if long_lived:
            # Streams may run forever: a drain ends them so clients reconnect elsewhere.
            if self._draining:
                end_for_drain()
            self._long_lived.add(end_for_drain)
        status: CallStatus | None = None
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(reader)
                with handler_scope:
                    try:
                        status = await self._invoke(bound, ctx, call, queue, send)
                    except _PeerGone:
                        state.peer_gone = True
                        ctx._cancelled = True
                nursery.cancel_scope.cancel()
        finally:
            if long_lived:
                self._long_lived.discard(end_for_drain)

        if state.peer_gone:
            reset_quietly(stream, ResetCode.CANCELLED)
            return StatusCode.CANCELLED, ctx.trace_id
        if state.failure is not None:
            status = state.failure
        elif state.drained and (status is None or status.code != StatusCode.OK):
            status = CallStatus(StatusCode.UNAVAILABLE, SHUTTING_DOWN)
        elif status is None:
            # The handler scope ran out: the deadline passed.
            ctx._cancelled = True
            ctx.cancel_reason = ctx.cancel_reason or "deadline exceeded"
            status = CallStatus(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        with trio.move_on_after(self.trailer_timeout) as scope:
            try:
                await stream.send_all(call.send_trailers(status))
            except GONE_ERRORS:
                return StatusCode.CANCELLED, ctx.trace_id
            try:
                await stream.send_eof()
            except GONE_ERRORS:
                pass  # the client may close as soon as it has read the trailers
        if scope.cancelled_caught:
            reset_quietly(stream, ResetCode.INTERNAL_ERROR)
        return status.code, ctx.trace_id

    async def _invoke(
        self,
        bound: BoundMethod,
        ctx: CallContext,
        call: ServerCall,
        queue: MessageQueue | list[bytes],
        send: Callable[[bytes], Awaitable[None]],
    ) -> CallStatus:
        """Run the handler; `queue` is a list when the whole request was read already."""
        handler = bound.handler
        assert handler is not None

        async def respond(resp: Any) -> None:
            if type(resp) is not bound.response_cls and (
                not isinstance(resp, Message)
                or resp.DESCRIPTOR.full_name != bound.response_cls.DESCRIPTOR.full_name
            ):
                raise TypeError(
                    f"{bound.name} returned {type(resp).__name__}, "
                    f"expected {bound.response_cls.DESCRIPTOR.full_name}"
                )
            await send(call.send_message(resp.SerializeToString()))

        try:
            if isinstance(queue, list):
                request: Any = _only_request(queue, bound.request_cls)
            elif bound.shape.client_streaming:
                request = _request_iterator(queue, bound.request_cls)
            else:
                request = await _single_request(queue, bound.request_cls)
            if bound.shape.server_streaming:
                async with aclosing(handler(request, ctx)) as responses:
                    async for resp in responses:
                        await respond(resp)
            else:
                await respond(await handler(request, ctx))
            if not call.header_sent:
                await send(call.send_header())
            return CallStatus(StatusCode.OK, trailing_metadata=ctx._trailing)
        except RpcError as exc:
            return CallStatus(
                exc.code, exc.message, exc.details, exc.trailing_metadata or ctx._trailing
            )
        except _PeerGone:
            raise
        except Exception:
            # The traceback stays in our log; the client only learns that it failed.
            self.log.exception(
                "rpc_handler_error", method=f"/{bound.service}/{bound.name}", trace_id=ctx.trace_id
            )
            return CallStatus(StatusCode.INTERNAL, "internal error")

    # ---- control streams ---------------------------------------------------------------

    async def _serve_control(self, stream: Any, peer: PeerInfo, initial: bytes) -> None:
        codec = ControlCodec(server=True, max_message_size=self.max_message_size)
        data = initial
        try:
            while True:
                if data:
                    messages = codec.receive_data(data)
                else:
                    codec.receive_eof()
                    messages = []
                for msg in messages:
                    resp = await self._control_response(msg.type, msg.message, peer)
                    await stream.send_all(codec.encode(resp))
                if not data:
                    await stream.send_eof()
                    return
                data = await stream.receive_some(RECEIVE_CHUNK)
        except ProtocolError as exc:
            self.log.warning("rpc_protocol_error", reason=exc.message, stream="control")
            reset_quietly(stream, ResetCode.PROTOCOL_ERROR)
        except GONE_ERRORS:
            pass
        finally:
            await close_quietly(stream)

    async def _control_response(
        self, ftype: FrameType, request: Message, peer: PeerInfo
    ) -> Message:
        resp_cls = RESPONSE_TYPES[ftype]
        if self.control_handler is None:
            return resp_cls(
                result=bridge_pb2.Status(
                    code=StatusCode.UNIMPLEMENTED, message="this server is not a registry"
                )
            )
        try:
            resp = await self.control_handler(ftype, request, peer)
            if not isinstance(resp, resp_cls):
                raise TypeError(f"control handler returned {type(resp).__name__}")
            return resp
        except RpcError as exc:
            return resp_cls(result=bridge_pb2.Status(code=exc.code, message=exc.message))
        except Exception:
            self.log.exception("rpc_control_error", frame_type=ftype.name)
            return resp_cls(
                result=bridge_pb2.Status(code=StatusCode.INTERNAL, message="internal error")
            )


@attrs.define
class _CallState:
    peer_gone: bool = False
    drained: bool = False
    failure: CallStatus | None = None


def _logs_info(log: Any) -> bool:
    """False only for a structlog filtering bound logger whose level drops info lines (its
    level is fixed when it is made); any other logger is asked on every call."""
    if not type(log).__name__.startswith("BoundLoggerFilteringAt"):
        return True
    try:
        return bool(log.is_enabled_for(logging.INFO))
    except Exception:  # noqa: BLE001 - an unexpected logger: keep logging
        return True


def _collect(events: list[Any], messages: list[bytes]) -> None:
    for event in events:
        if isinstance(event, MessageReceived):
            messages.append(event.data)


def _deliver(event: object, queue: MessageQueue) -> None:
    if isinstance(event, MessageReceived):
        queue.put(event.data)
    elif isinstance(event, EndOfRequest):
        queue.end()


def _parse(cls: type[Message], data: bytes) -> Message:
    try:
        return cls.FromString(data)
    except (DecodeError, ValueError, RuntimeError):
        raise RpcError(StatusCode.INTERNAL, "failed to parse request message") from None


def _only_request(messages: list[bytes], cls: type[Message]) -> Message:
    if not messages:
        raise RpcError(StatusCode.INTERNAL, "no request message for a unary request")
    if len(messages) > 1:
        raise RpcError(StatusCode.INTERNAL, "more than one request message for a unary request")
    return _parse(cls, messages[0])


async def _single_request(queue: MessageQueue, cls: type[Message]) -> Message:
    # Like gRPC servers: a unary request is complete once the client half-closed.
    first = await queue.get()
    if first is None:
        raise RpcError(StatusCode.INTERNAL, "no request message for a unary request")
    if await queue.get() is not None:
        raise RpcError(StatusCode.INTERNAL, "more than one request message for a unary request")
    return _parse(cls, first)


async def _request_iterator(queue: MessageQueue, cls: type[Message]) -> AsyncIterator[Message]:
    while (data := await queue.get()) is not None:
        yield _parse(cls, data)


def _check_handler(service: str, name: str, shape: Shape, handler: Callable[..., Any]) -> None:
    func = inspect.unwrap(handler)
    is_gen = inspect.isasyncgenfunction(func)
    is_coro = inspect.iscoroutinefunction(func)
    if shape.server_streaming and is_coro:
        raise TypeError(f"{service}.{name} is server-streaming: write an async generator")
    if not shape.server_streaming and is_gen:
        raise TypeError(
            f"{service}.{name} returns one message: write an async def, not a generator"
        )
