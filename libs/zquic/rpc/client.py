"""Trio driver for the client side: Channel, typed Stubs built from a ServiceDescriptor."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import attrs
import trio
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from zquic.errors import StreamReset, StreamStopped
from zquic.stream import QuicStream

from ._io import GONE_ERRORS, RECEIVE_CHUNK, close_quietly, reset_quietly
from .call import (
    _OK_STATUS,
    END_REQUEST_FRAME,
    CallStatus,
    ClientCall,
    MessageReceived,
    ResponseHeaderReceived,
    TrailersReceived,
    call_header_prefix,
    call_header_suffix,
    encode_call_header_parts,
    encode_message_frames,
    response_header_encodings,
    split_unary_response,
    timeout_to_ms,
)
from .frames import (
    DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_MAX_MESSAGE_SIZE,
    IDENTITY,
    SUPPORTED_ENCODINGS,
    FrameType,
    decompress,
)
from .metadata import Metadata, MetadataLike, new_traceparent, normalize_metadata
from .server import method_streaming
from .status import MessageTooLarge, ProtocolError, ResetCode, RpcError, StatusCode

R = TypeVar("R", bound=Message)

_GRPC_REQUEST = FrameType.GRPC_REQUEST

_RESET_TO_STATUS = {
    ResetCode.CANCELLED: StatusCode.CANCELLED,
    ResetCode.DEADLINE_EXCEEDED: StatusCode.DEADLINE_EXCEEDED,
    ResetCode.PROTOCOL_ERROR: StatusCode.INTERNAL,
    ResetCode.INTERNAL_ERROR: StatusCode.INTERNAL,
    ResetCode.REFUSED: StatusCode.UNAVAILABLE,
}


class Channel:
    """Calls over anything with `async open_stream()` (a zquic Connection, later a pool)."""

    def __init__(
        self,
        connection: Any,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        compression: str | None = None,
        compression_threshold: int = DEFAULT_COMPRESSION_THRESHOLD,
        accept_encodings: tuple[str, ...] = SUPPORTED_ENCODINGS,
        default_timeout: float | None = None,
        metadata: MetadataLike = None,
        generate_traceparent: bool = True,
    ) -> None:
        self.connection = connection
        self.max_message_size = max_message_size
        self.compression = compression
        self.compression_threshold = compression_threshold
        self.accept_encodings = accept_encodings
        self.default_timeout = default_timeout
        self.metadata = normalize_metadata(metadata)
        self.generate_traceparent = generate_traceparent
        ClientCall(compression=compression)  # validates the encoding name now, not per call
        # Unary fast path: pre-serialized CallHeader pieces and the response headers taken
        # without parsing, keyed by what they depend on (the attributes above may change).
        self._prefixes: dict[tuple[str, Metadata], bytes] = {}
        self._suffixes: dict[tuple[str | None, tuple[str, ...]], bytes] = {}
        self._response_headers: dict[tuple[str, ...], dict[bytes, str]] = {}
        # (compression, accept_encodings, suffix, response headers) of the last unary call:
        # reused while both attributes are the same objects (a tuple cannot change in place).
        self._unary_setup: tuple[str | None, tuple[str, ...], bytes, dict[bytes, str]] | None = None

    @property
    def connection(self) -> Any:
        return self._connection

    @connection.setter
    def connection(self, connection: Any) -> None:
        self._connection = connection
        # zquic's `open_stream_nowait` when offered, looked up once (not per call).
        self._opener: Callable[[], Any] | None = getattr(connection, "open_stream_nowait", None)

    def _unary_parts(self) -> tuple[bytes, dict[bytes, str]]:
        """The CallHeader suffix and the response headers taken as is, for the settings now."""
        compression = self.compression
        accept = self.accept_encodings
        setup = self._unary_setup
        if setup is not None and setup[0] is compression and setup[1] is accept:
            return setup[2], setup[3]
        suffix = self._header_suffix()
        headers = self._known_response_headers()
        if type(accept) is tuple:  # a list may change in place: looked up every call
            self._unary_setup = (compression, accept, suffix, headers)
        return suffix, headers

    def _header_prefix(self, method: str, metadata: Metadata) -> bytes:
        key = (method, metadata)
        prefix = self._prefixes.get(key)
        if prefix is None:
            prefix = call_header_prefix(method, metadata)
            if len(self._prefixes) < 1024:  # bounded: per-call metadata may vary without end
                self._prefixes[key] = prefix
        return prefix

    def _header_suffix(self) -> bytes:
        accept = self.accept_encodings
        if type(accept) is not tuple:
            accept = tuple(accept)
        key = (self.compression, accept)
        suffix = self._suffixes.get(key)
        if suffix is None:
            ClientCall(compression=self.compression)  # validates a changed encoding name
            suffix = self._suffixes[key] = call_header_suffix(self.compression or IDENTITY, accept)
        return suffix

    def _known_response_headers(self) -> dict[bytes, str]:
        key = self.accept_encodings
        if type(key) is not tuple:
            key = tuple(key)
        headers = self._response_headers.get(key)
        if headers is None:
            headers = self._response_headers[key] = response_header_encodings(key)
        return headers

    async def open_stream(self) -> Any:
        try:
            return await self.connection.open_stream()
        except GONE_ERRORS as exc:
            raise RpcError(StatusCode.UNAVAILABLE, f"cannot open a stream: {exc}") from None

    def call(
        self,
        method: str,
        response_cls: type[R],
        *,
        timeout: float | None = None,
        metadata: MetadataLike = None,
        traceparent: str | None = None,
        tracestate: str = "",
    ) -> Call[R]:
        """A raw call object (what the stub methods use); `method` is "/pkg.Service/Method"."""
        return Call(self, method, response_cls, timeout, metadata, traceparent, tracestate)


class Call(Generic[R]):
    """One call on its own stream; send/receive bounded by the deadline, reset when abandoned."""

    # Per-call state starts as these class defaults (assigned on the instance when it changes):
    # a unary call sets few of them.
    _st: ClientCall | None = None  # the state machine, created when first needed
    _stream: Any = None
    _start_lock: trio.Lock | None = None  # created on first start(): unary skips it
    _events: deque[Any]  # created on first start() as well
    _pending = b""
    # Requests sent (then half-close) on the first flush: server-streaming calls.
    _initial: list[Message] | None = None
    _write_closed = False
    _closed = False
    initial_metadata: Metadata | None = None
    status: CallStatus | None = None

    def __init__(
        self,
        channel: Channel,
        method: str,
        response_cls: type[R],
        timeout: float | None,
        metadata: MetadataLike,
        traceparent: str | None,
        tracestate: str,
    ) -> None:
        self._channel = channel
        self.method = method
        self._response_cls = response_cls
        if timeout is None:
            timeout = channel.default_timeout
        self.deadline = None if timeout is None else trio.current_time() + timeout
        md = channel.metadata
        if metadata is not None or md:
            md = md + normalize_metadata(metadata)
            # A traceparent given as metadata moves into the header field (one place on the
            # wire).
            if not traceparent:
                traceparent = next((v for k, v in md if k == "traceparent"), None)
            md = tuple((k, v) for k, v in md if k not in ("traceparent", "tracestate"))
        if traceparent:
            self.traceparent = str(traceparent)
        elif channel.generate_traceparent:
            self.traceparent = new_traceparent()
        else:
            self.traceparent = ""
        self._tracestate = tracestate
        self._metadata = md

    @property
    def _state(self) -> ClientCall:
        st = self._st
        if st is None:
            channel = self._channel
            st = self._st = ClientCall(
                max_message_size=channel.max_message_size,
                compression=channel.compression,
                compression_threshold=channel.compression_threshold,
                accept_encodings=channel.accept_encodings,
            )
        return st

    # ---- status accessors

    @property
    def code(self) -> StatusCode | None:
        return self.status.code if self.status else None

    @property
    def trailing_metadata(self) -> Metadata:
        return self.status.trailing_metadata if self.status else ()

    @property
    def done(self) -> bool:
        return self.status is not None

    # ---- operations

    async def _guard(self, op: Callable[[], Awaitable[Any]]) -> Any:
        """Run one I/O step under the deadline; failure or cancellation aborts the call."""
        if self._closed:
            raise RpcError(StatusCode.CANCELLED, "call already closed")
        deadline = self.deadline if self.deadline is not None else math.inf
        try:
            with trio.move_on_at(deadline):
                return await op()
        except RpcError:
            raise
        except ProtocolError as exc:
            code = (
                ResetCode.CANCELLED
                if isinstance(exc, MessageTooLarge)
                else ResetCode.PROTOCOL_ERROR
            )
            self._abort(code)
            raise RpcError(exc.code, exc.message) from None
        except StreamReset as exc:
            self._abort(ResetCode.CANCELLED)
            try:
                code = _RESET_TO_STATUS.get(ResetCode(exc.error_code), StatusCode.UNKNOWN)
            except ValueError:
                code = StatusCode.UNKNOWN
            raise RpcError(code, f"stream reset by server (code {exc.error_code})") from None
        except GONE_ERRORS as exc:
            self._abort(ResetCode.CANCELLED)
            raise RpcError(StatusCode.UNAVAILABLE, f"connection lost: {exc}") from None
        except BaseException:
            # Our task was cancelled (or failed elsewhere): the server must learn at once.
            self._abort(ResetCode.CANCELLED)
            raise
        self._abort(ResetCode.DEADLINE_EXCEEDED)
        raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")

    def _abort(self, code: ResetCode) -> None:
        if self._stream is not None and not self._closed and self.status is None:
            reset_quietly(self._stream, code)
        self._closed = True

    async def start(self) -> None:
        """Open the stream and queue the header (sent with the first message or flush)."""
        if self._start_lock is None:
            self._start_lock = trio.Lock()
            self._events = deque()
        async with self._start_lock:  # a bidi sender and receiver may both get here first
            if self._stream is None:
                await self._start()

    async def _start(self) -> None:

        async def op() -> None:
            self._stream = await self._channel.open_stream()

        remaining = None if self.deadline is None else self.deadline - trio.current_time()
        if remaining is not None and remaining <= 0:
            self._closed = True
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the call")
        await self._guard(op)
        remaining = None if self.deadline is None else self.deadline - trio.current_time()
        self._pending = self._state.start(
            self.method,
            metadata=self._metadata,
            timeout=None if remaining is None else max(remaining, 0.001),
            traceparent=self.traceparent,
            tracestate=self._tracestate,
        )

    async def _write(self, data: bytes) -> None:
        """send_all; a server that stopped reading is not an error here: its status follows
        on the receive side, as in gRPC."""

        async def op() -> None:
            try:
                await self._stream.send_all(data)
            except StreamStopped:
                self._write_closed = True

        if not self._write_closed and self.status is None:
            await self._guard(op)

    async def flush(self) -> None:
        await self.start()
        if self._initial is not None:
            requests, self._initial = self._initial, None
            for request in requests:
                await self.send(request)
            await self.done_writing()
        if self._pending:
            data, self._pending = self._pending, b""
            await self._write(data)

    async def send(self, message: Message) -> None:
        """Send one request message."""
        await self.start()
        data = self._pending + self._state.send_message(message.SerializeToString())
        self._pending = b""
        await self._write(data)

    async def done_writing(self) -> None:
        """No more request messages (END frame; FIN follows once the status arrived)."""
        await self.flush()
        if self._state.request_ended:
            return
        await self._write(self._state.end_request())

    async def receive(self) -> R | None:
        """Next response message, None at a clean end; raises RpcError for a non-OK status."""
        await self.flush()
        while True:
            while self._events:
                ev = self._events.popleft()
                if isinstance(ev, ResponseHeaderReceived):
                    self.initial_metadata = ev.metadata
                elif isinstance(ev, MessageReceived):
                    try:
                        return self._response_cls.FromString(ev.data)
                    except (DecodeError, ValueError, RuntimeError):
                        self._abort(ResetCode.CANCELLED)
                        raise RpcError(
                            StatusCode.INTERNAL, "failed to parse response message"
                        ) from None
                elif isinstance(ev, TrailersReceived):
                    self.status = ev.status
                    if self.initial_metadata is None:
                        self.initial_metadata = ()
                    await self._finish_stream()
                    if ev.status.code != StatusCode.OK:
                        raise ev.status.to_error()
                    return None
            if self.status is not None:
                return None
            await self._guard(self._read_more)

    async def _read_more(self) -> None:
        data = await self._stream.receive_some(RECEIVE_CHUNK)
        events = self._state.receive_data(data) if data else self._state.receive_eof()
        self._events.extend(events)

    async def _finish_stream(self) -> None:
        """After the status: FIN our side (the END frame already ended the request)."""
        self._closed = True
        if not self._write_closed:
            self._write_closed = True
            with trio.move_on_after(1):
                try:
                    await self._stream.send_eof()
                except (*GONE_ERRORS, trio.BusyResourceError):
                    pass
        await close_quietly(self._stream)

    async def aclose(self) -> None:
        """Abandon the call if unfinished (resets the stream: the server's handler is cancelled)."""
        if self._stream is None:
            self._closed = True
            return
        if self.status is None and not self._closed:
            reset_quietly(self._stream, ResetCode.CANCELLED)
        self._closed = True
        await close_quietly(self._stream)

    async def unary(self, request: Message) -> R:
        """The whole unary exchange under one deadline scope: HEADER + MESSAGE + END + FIN in
        one write (the request is complete: the server frees the stream as soon as its reply
        is acknowledged; a cancel still reaches it as STOP_SENDING), read to the trailers."""
        if self._stream is not None or self._closed:
            raise RpcError(StatusCode.INTERNAL, "unary() on a started call")
        deadline = self.deadline
        if deadline is not None and deadline - trio.current_time() <= 0:
            self._closed = True
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the call")
        channel = self._channel
        suffix, headers = channel._unary_parts()
        # Encoded before the stream opens: a message over the limit is refused with nothing sent.
        message = encode_message_frames(
            _GRPC_REQUEST,
            request.SerializeToString(),
            channel.max_message_size,
            channel.compression or IDENTITY,
            channel.compression_threshold,
        )
        response: R | None = None
        expired = False
        try:
            if deadline is None:  # no scope at all: the cheapest path
                response = await self._unary_exchange(message, suffix, headers)
            else:
                with trio.move_on_at(deadline) as scope:
                    response = await self._unary_exchange(message, suffix, headers)
                expired = scope.cancelled_caught
        except RpcError:
            raise
        except ProtocolError as exc:
            too_large = isinstance(exc, MessageTooLarge)
            self._abort(ResetCode.CANCELLED if too_large else ResetCode.PROTOCOL_ERROR)
            raise RpcError(exc.code, exc.message) from None
        except StreamReset as exc:
            self._abort(ResetCode.CANCELLED)
            try:
                code = _RESET_TO_STATUS.get(ResetCode(exc.error_code), StatusCode.UNKNOWN)
            except ValueError:
                code = StatusCode.UNKNOWN
            raise RpcError(code, f"stream reset by server (code {exc.error_code})") from None
        except GONE_ERRORS as exc:
            self._abort(ResetCode.CANCELLED)
            raise RpcError(StatusCode.UNAVAILABLE, f"connection lost: {exc}") from None
        except BaseException:
            # Our task was cancelled (or failed elsewhere): the server must learn at once.
            self._abort(ResetCode.CANCELLED)
            raise
        if expired:
            self._abort(ResetCode.DEADLINE_EXCEEDED)
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        status = self.status
        assert status is not None
        stream = self._stream
        if type(stream) is QuicStream:
            self._closed = self._write_closed = True
            stream.close_nowait()  # FIN (every write completed); never blocks
        else:
            await self._finish_stream()
        if status is not _OK_STATUS and status.code != StatusCode.OK:
            raise status.to_error()
        if response is None:
            raise RpcError(StatusCode.INTERNAL, "no response message for a unary call")
        return response

    async def _unary_exchange(
        self, message: bytes, suffix: bytes, headers: dict[bytes, str]
    ) -> R | None:
        channel = self._channel
        # No scheduler round to open: the read of the reply below is the call's checkpoint
        # (a task cancelled already stops here, before anything is sent).
        await trio.lowlevel.checkpoint_if_cancelled()
        stream = None
        opener = channel._opener  # a stream now when the connection offers one without waiting
        if opener is not None:
            try:
                stream = opener()
            except trio.WouldBlock:
                pass
            except GONE_ERRORS as exc:
                raise RpcError(StatusCode.UNAVAILABLE, f"cannot open a stream: {exc}") from None
        if stream is None:
            stream = await channel.open_stream()
        self._stream = stream
        deadline = self.deadline
        if deadline is None:
            timeout_ms = 0
        else:
            timeout_ms = timeout_to_ms(max(deadline - trio.current_time(), 0.001))
        request = (
            encode_call_header_parts(
                channel._header_prefix(self.method, self._metadata),
                timeout_ms,
                self.traceparent,
                self._tracestate,
                suffix,
            )
            + message
            + END_REQUEST_FRAME
        )
        try:
            if type(stream) is QuicStream:
                try:
                    stream.send_nowait(request, eof=True)  # fits the budget: no scheduler round
                except trio.WouldBlock:
                    await stream.send_all(request, eof=True)
            else:
                await stream.send_all(request)
        except StreamStopped:
            self._write_closed = True  # the server's status follows on the read side
        data = await stream.receive_some(RECEIVE_CHUNK)
        max_size = channel.max_message_size
        whole = split_unary_response(data, headers, max_size)
        if whole is None:  # anything unusual: the state machine
            return await self._read_unary(stream, data)
        payload, encoding = whole
        if encoding != IDENTITY:
            payload = decompress(encoding, payload, max_size)
        try:
            response = self._response_cls.FromString(payload)
        except (DecodeError, ValueError, RuntimeError):
            self._abort(ResetCode.CANCELLED)
            raise RpcError(StatusCode.INTERNAL, "failed to parse response message") from None
        self.initial_metadata = ()
        self.status = _OK_STATUS
        return response

    async def _read_unary(self, stream: Any, data: bytes) -> R | None:
        """Read to the trailers (`data` was read already); the response is parsed as soon
        as it is complete."""
        state = self._state
        state.started = state.request_ended = True  # the request went out in one write
        response: R | None = None
        while True:
            for ev in state.receive_data(data) if data else state.receive_eof():
                if isinstance(ev, MessageReceived):
                    if response is not None:
                        self._abort(ResetCode.CANCELLED)
                        raise RpcError(
                            StatusCode.INTERNAL, "more than one response for a unary call"
                        )
                    try:
                        response = self._response_cls.FromString(ev.data)
                    except (DecodeError, ValueError, RuntimeError):
                        self._abort(ResetCode.CANCELLED)
                        raise RpcError(
                            StatusCode.INTERNAL, "failed to parse response message"
                        ) from None
                elif isinstance(ev, ResponseHeaderReceived):
                    self.initial_metadata = ev.metadata
                elif isinstance(ev, TrailersReceived):
                    self.status = ev.status
                    if self.initial_metadata is None:
                        self.initial_metadata = ()
            if self.status is not None:
                return response
            data = await stream.receive_some(RECEIVE_CHUNK)

    # ---- iteration / context manager

    def __aiter__(self) -> Call[R]:
        return self

    async def __anext__(self) -> R:
        msg = await self.receive()
        if msg is None:
            raise StopAsyncIteration
        return msg

    async def __aenter__(self) -> Call[R]:
        await self.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def result(self) -> R:
        """The single response of a unary / client-streaming call."""
        try:
            first = await self.receive()
            if first is None:
                raise RpcError(StatusCode.INTERNAL, "no response message for a unary call")
            if await self.receive() is not None:
                raise RpcError(StatusCode.INTERNAL, "more than one response for a unary call")
            return first
        finally:
            await self.aclose()


# ---- stubs ----------------------------------------------------------------------------------


@attrs.define
class _MethodBase:
    channel: Channel
    path: str
    request_cls: type[Message]
    response_cls: type[Message]

    def _call(self, kw: dict[str, Any]) -> Call[Any]:
        return Call(
            self.channel,
            self.path,
            self.response_cls,
            kw.get("timeout"),
            kw.get("metadata"),
            kw.get("traceparent"),
            kw.get("tracestate", ""),
        )


class UnaryUnaryMethod(_MethodBase):
    async def __call__(self, request: Message, **kw: Any) -> Any:
        """`await stub.M(req, timeout=..., metadata=..., traceparent=...)` -> response."""
        if kw:
            call = self._call(kw)
        else:
            call = Call(self.channel, self.path, self.response_cls, None, None, None, "")
        return await call.unary(request)

    async def with_call(self, request: Message, **kw: Any) -> tuple[Any, Call[Any]]:
        call = self._call(kw)
        return await call.unary(request), call


class UnaryStreamMethod(_MethodBase):
    def __call__(self, request: Message, **kw: Any) -> Call[Any]:
        """`async with stub.M(req) as stream: async for resp in stream: ...`"""
        call = self._call(kw)
        call._initial = [request]
        return call


class StreamUnaryMethod(_MethodBase):
    async def __call__(self, requests: Iterable[Any] | AsyncIterable[Any], **kw: Any) -> Any:
        resp, _call = await self.with_call(requests, **kw)
        return resp

    async def with_call(
        self, requests: Iterable[Any] | AsyncIterable[Any], **kw: Any
    ) -> tuple[Any, Call[Any]]:
        call = self._call(kw)
        try:
            await call.flush()
            if isinstance(requests, AsyncIterable):
                async for req in requests:
                    await call.send(req)
            else:
                for req in requests:
                    await call.send(req)
            await call.done_writing()
            return await call.result(), call
        finally:
            await call.aclose()


class StreamStreamMethod(_MethodBase):
    def __call__(self, **kw: Any) -> Call[Any]:
        """`async with stub.M() as call: await call.send(m); await call.done_writing(); ...`"""
        return self._call(kw)


_KINDS = {
    (False, False): UnaryUnaryMethod,
    (False, True): UnaryStreamMethod,
    (True, False): StreamUnaryMethod,
    (True, True): StreamStreamMethod,
}


class Stub:
    """Typed client methods for every method of `service` (named as in the .proto)."""

    def __init__(self, channel: Channel, service: ServiceDescriptor) -> None:
        self._service = service
        for method in service.methods:
            setattr(self, method.name, make_method(channel, service, method))


def make_method(channel: Channel, service: ServiceDescriptor, method: MethodDescriptor) -> Any:
    cls = _KINDS[method_streaming(method)]
    return cls(
        channel,
        f"/{service.full_name}/{method.name}",
        message_factory.GetMessageClass(method.input_type),
        message_factory.GetMessageClass(method.output_type),
    )
