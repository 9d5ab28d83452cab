"""Relaying a call as opaque frames (what the bridge does for services it does not host).

The relay parses only the call header (to route and to shrink the timeout) and the frame
headers of the response (to know where the status is and to stop at a frame boundary when it
must inject one). Message payloads are forwarded byte for byte, never decoded or re-encoded.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import structlog
import trio
from ghost.bridge.v1 import bridge_pb2
from google.protobuf.message import DecodeError

from zquic.errors import StreamReset

from ._io import GONE_ERRORS, RECEIVE_CHUNK, reset_quietly
from .call import CallStatus, encode_call_header, encode_status, timeout_to_ms
from .frames import DEFAULT_MAX_MESSAGE_SIZE, Frame, FrameDecoder, FrameType, Kind
from .metadata import MetadataValue, metadata_to_proto, normalize_metadata
from .server import RawCall
from .status import ProtocolError, ResetCode, StatusCode

_log = structlog.get_logger("zquic.rpc.relay")
_U32 = struct.Struct("!I")


def forward_header(
    call: RawCall, extra_metadata: Iterable[tuple[str, MetadataValue]] = ()
) -> bytes:
    """The call's HEADER frame for the next hop: remaining time as timeout, extra metadata."""
    header = bridge_pb2.CallHeader()
    header.CopyFrom(call.header)
    remaining = call.time_remaining()
    header.timeout_ms = timeout_to_ms(remaining) if remaining is not None else 0
    extra = normalize_metadata(list(extra_metadata))
    if extra:
        header.metadata.extend(metadata_to_proto(extra))
    return encode_call_header(header)


class _ResponseTracker:
    """Follows the response frame sequence without buffering payloads."""

    def __init__(self, max_message_size: int) -> None:
        self.max_message_size = max_message_size
        self.remaining = 0  # bytes of the current message still to come
        self.status: StatusCode | None = None

    def check(self, frame: Frame) -> None:
        if self.status is not None:
            raise ProtocolError("frame after the backend's trailers")
        if frame.type != FrameType.GRPC_RESPONSE:
            raise ProtocolError(f"{frame.type.name} frame in a response")
        kind = frame.kind
        if kind == Kind.MESSAGE:
            if self.remaining or len(frame.payload) < 6:
                raise ProtocolError("bad MESSAGE frame from the backend")
            total = _U32.unpack_from(frame.payload, 2)[0]
            if total > self.max_message_size:
                raise ProtocolError("backend message too large", StatusCode.RESOURCE_EXHAUSTED)
            self.remaining = total - (len(frame.payload) - 6)
        elif kind == Kind.CONTINUATION:
            self.remaining -= len(frame.payload) - 1
        elif kind == Kind.TRAILERS:
            if self.remaining:
                raise ProtocolError("trailers inside a message")
            st = bridge_pb2.Status()
            try:
                st.ParseFromString(frame.body)
            except DecodeError:
                raise ProtocolError("malformed status from the backend") from None
            self.status = StatusCode.coerce(st.code)
        elif kind != Kind.HEADER:
            raise ProtocolError(f"unknown frame kind {kind:#04x}")
        if self.remaining < 0:
            raise ProtocolError("message longer than announced")

    @property
    def at_boundary(self) -> bool:
        return self.remaining == 0


async def relay_call(
    call: RawCall,
    backend: Any,
    *,
    extra_metadata: Iterable[tuple[str, MetadataValue]] = (),
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
) -> StatusCode:
    """Pump `call` to `backend` (a fresh stream to the serving instance) and back.

    Resets propagate both ways; the deadline is enforced here too. Returns the call's status
    as seen by the relay (for logs/metrics). Usable directly as `RpcServer(fallback_handler=...)`
    once the caller has chosen `backend`.
    """
    client = call.stream
    tracker = _ResponseTracker(max_message_size)
    outcome: list[StatusCode] = []

    async def to_client(status: CallStatus) -> None:
        with trio.move_on_after(5):
            try:
                await client.send_all(encode_status(FrameType.GRPC_RESPONSE, status))
                await client.send_eof()
            except GONE_ERRORS:
                pass

    remaining = call.time_remaining()
    if remaining is not None and remaining <= 0:
        await to_client(CallStatus(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded"))
        return StatusCode.DEADLINE_EXCEEDED

    async def pump_up(cancel: trio.CancelScope) -> None:
        try:
            await backend.send_all(forward_header(call, extra_metadata) + call.buffered)
        except GONE_ERRORS:
            return  # the backend side ends; its reset/status arrives on pump_down
        while True:
            try:
                data = await client.receive_some(RECEIVE_CHUNK)
            except StreamReset as exc:
                # The client cancelled: the backend's handler must be cancelled too.
                reset_quietly(backend, exc.error_code or ResetCode.CANCELLED)
                outcome.append(StatusCode.CANCELLED)
                cancel.cancel()
                return
            except GONE_ERRORS:
                reset_quietly(backend, ResetCode.CANCELLED)
                outcome.append(StatusCode.CANCELLED)
                cancel.cancel()
                return
            try:
                if not data:
                    await backend.send_eof()
                    break
                await backend.send_all(data)
            except GONE_ERRORS:
                return  # backend stopped reading (it answered early); keep pumping down
        # The request is complete (e.g. a unary request sent with FIN): a client that cancels
        # now can only say so with STOP_SENDING, which must reach the backend as a reset.
        set_abort_callback = getattr(client, "set_abort_callback", None)
        if set_abort_callback is None:
            return
        aborted = trio.Event()
        set_abort_callback(aborted.set)
        try:
            await aborted.wait()  # ends when pump_down finishes the call (nursery cancelled)
        finally:
            set_abort_callback(None)
        code = getattr(client, "stop_sending_code", None) or ResetCode.CANCELLED
        reset_quietly(backend, code)
        outcome.append(StatusCode.CANCELLED)
        cancel.cancel()

    async def pump_down(cancel: trio.CancelScope) -> None:
        decoder = FrameDecoder()
        try:
            while True:
                try:
                    data = await backend.receive_some(RECEIVE_CHUNK)
                except StreamReset as exc:
                    code = (
                        StatusCode.CANCELLED
                        if exc.error_code == ResetCode.CANCELLED
                        else StatusCode.UNAVAILABLE
                    )
                    await _fail_down(CallStatus(code, "backend reset the call"))
                    return
                except GONE_ERRORS:
                    await _fail_down(CallStatus(StatusCode.UNAVAILABLE, "backend connection lost"))
                    return
                if not data:
                    decoder.eof()
                    if tracker.status is None:
                        raise ProtocolError("backend ended without a status")
                    await client.send_eof()
                    return
                out = []
                for frame in decoder.feed(data):
                    tracker.check(frame)
                    out.append(frame.raw)
                if out:
                    await client.send_all(b"".join(out))
                if tracker.status is not None:
                    outcome.append(tracker.status)
                    cancel.cancel()
                    with trio.CancelScope(shield=True), trio.move_on_after(1):
                        try:
                            await client.send_eof()
                        except GONE_ERRORS:
                            pass  # the client may close as soon as it has the trailers
                    return
        except ProtocolError as exc:
            _log.warning("rpc_relay_protocol_error", method=call.header.method, reason=exc.message)
            reset_quietly(backend, ResetCode.PROTOCOL_ERROR)
            await _fail_down(CallStatus(StatusCode.INTERNAL, "bad response from the backend"))
        except GONE_ERRORS:
            # The client went away while we wrote to it.
            reset_quietly(backend, ResetCode.CANCELLED)
            outcome.append(StatusCode.CANCELLED)
        cancel.cancel()

    async def _fail_down(status: CallStatus) -> None:
        outcome.append(status.code)
        if tracker.at_boundary:
            await to_client(status)
        else:
            reset_quietly(client, ResetCode.INTERNAL_ERROR)

    deadline = call.deadline if call.deadline is not None else float("inf")
    with trio.CancelScope(deadline=deadline) as scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump_up, nursery.cancel_scope)
            nursery.start_soon(pump_down, nursery.cancel_scope)
    if scope.cancelled_caught and not outcome:
        reset_quietly(backend, ResetCode.DEADLINE_EXCEEDED)
        await _fail_down(CallStatus(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded"))
    with trio.CancelScope(shield=True), trio.move_on_after(1):
        try:
            await backend.aclose()
        except Exception:  # noqa: BLE001 - best effort
            pass
    return outcome[0] if outcome else StatusCode.UNKNOWN
