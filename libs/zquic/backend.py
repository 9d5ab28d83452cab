"""Backend selection: one facade over the two sans-IO QUIC cores (aioquic and qh3).

Everything that differs between the cores (header parsing, retry tokens, certificate types,
send backlog, stream limits, receive-window control, client certificates) is absorbed here so
that the driver and the callers never branch on the backend name.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

import attrs
import structlog
from cryptography import x509

from .errors import ConfigurationError

log = structlog.get_logger("zquic.backend")

BACKENDS: tuple[str, ...] = ("aioquic", "qh3")
# qh3 passes the whole transport suite and is 3-7x faster (QUIC-NOTES), so it is the default.
DEFAULT_BACKEND = "qh3"
ENV_VAR = "ZQUIC_BACKEND"

QUIC_VERSION_1 = 0x00000001
PACKET_INITIAL = 0
PACKET_ZERO_RTT = 1
PACKET_HANDSHAKE = 2
PACKET_RETRY = 3
PACKET_VERSION_NEGOTIATION = 4
PACKET_ONE_RTT = 5


@attrs.frozen
class Header:
    """The parts of a packet header the endpoint routes on."""

    version: int | None
    packet_type: int
    destination_cid: bytes
    source_cid: bytes
    token: bytes


@attrs.define
class FlowWindows:
    """Receive windows that only move as the application consumes data (aioquic core)."""

    stream_window: int
    connection_window: int
    consumed: dict[int, int] = attrs.field(factory=dict)
    consumed_total: int = 0


class RetryTokens:
    """Uniform retry-token API over both cores' handlers."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._handler = backend.QuicRetryTokenHandler()

    def create(self, addr: Any, odcid: bytes, scid: bytes, now: float) -> bytes:
        if self._backend.name == "aioquic":
            return self._handler.create_token(
                address=addr,
                original_destination_connection_id=odcid,
                retry_source_connection_id=scid,
                now=now,
            )
        return self._handler.create_token(addr, odcid, scid)

    def validate(self, addr: Any, dcid: bytes, token: bytes, now: float) -> tuple[bytes, bytes]:
        """Return (original_destination_cid, retry_source_cid); ValueError if invalid."""
        if self._backend.name == "aioquic":
            odcid = self._handler.validate_token(
                address=addr, destination_cid=dcid, token=token, now=now
            )
            return odcid, dcid
        odcid, rscid = self._handler.validate_token(addr, token)
        if rscid != dcid:
            raise ValueError("destination connection ID does not match the retry")
        return odcid, rscid


@attrs.frozen
class Backend:
    """The classes and helpers of one QUIC core."""

    name: str
    QuicConfiguration: type
    QuicConnection: type
    events: ModuleType
    tls: ModuleType
    pull_quic_header: Callable[..., Any]
    encode_quic_version_negotiation: Callable[..., bytes]
    encode_quic_retry: Callable[..., bytes]
    QuicRetryTokenHandler: type
    SessionTicket: type
    supported_versions: tuple[int, ...]
    # aioquic's server can request (via a private switch) and zquic verifies; qh3's cannot.
    supports_client_auth: bool
    # Only aioquic lets zquic hold the receive window until the application reads.
    consumption_flow_control: bool

    # ---- packets -------------------------------------------------------------------------
    def parse_header(self, data: bytes, cid_length: int) -> Header:
        """Parse a datagram's first header; ValueError on garbage."""
        if self.name == "aioquic":
            from aioquic.buffer import Buffer

            h = self.pull_quic_header(Buffer(data=data), host_cid_length=cid_length)
            ptype = h.packet_type.value
        else:
            from qh3._hazmat import pull_quic_header as raw

            version, ptype, _len, dcid, scid, token, *_ = raw(data, 0, cid_length)
            return Header(version, int(ptype), dcid, scid, token)
        return Header(h.version, ptype, h.destination_cid, h.source_cid, h.token)

    def retry_tokens(self) -> RetryTokens:
        return RetryTokens(self)

    # ---- connections ---------------------------------------------------------------------
    def create_connection(
        self,
        configuration: Any,
        *,
        windows: FlowWindows,
        client_verifier: Callable[[x509.Certificate, list[x509.Certificate]], None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Create the core connection; `client_verifier` turns on mTLS (server side)."""
        if client_verifier is not None and not self.supports_client_auth:
            raise ConfigurationError(f"{self.name} cannot request client certificates")
        if self.name == "aioquic":
            from ._aioquic import ZAioquicConnection

            return ZAioquicConnection(
                configuration=configuration,
                zq_windows=windows,
                zq_client_verifier=client_verifier,
                **kwargs,
            )
        return self.QuicConnection(configuration=configuration, **kwargs)

    def peer_certificate(self, quic: Any) -> x509.Certificate | None:
        if self.name == "aioquic":
            tls = getattr(quic, "tls", None)
            return getattr(tls, "_peer_certificate", None)
        cert = quic.get_peercert()
        return None if cert is None else x509.load_der_x509_certificate(cert.public_bytes())

    def send_backlog(self, quic: Any, stream_id: int) -> int:
        """Bytes written to the stream that the core still holds (unsent or unacked)."""
        if self.name == "aioquic":
            stream = quic._streams.get(stream_id)
            return 0 if stream is None else len(stream.sender._buffer)
        return quic.get_send_buffer_size(stream_id)

    def total_send_backlog(self, quic: Any) -> int:
        """Stream bytes the core still holds for all streams (aioquic: unsent or unacked;
        qh3: not yet sent once)."""
        if self.name == "aioquic":
            return sum(len(s.sender._buffer) for s in quic._streams.values())
        return quic.get_send_buffer_size()  # type: ignore[no-any-return]

    def can_open_bidi(self, quic: Any) -> bool:
        """True when opening one more bidirectional stream stays within the peer's limit."""
        return self.bidi_credit(quic) > 0

    def bidi_credit(self, quic: Any) -> int:
        """How many more bidirectional streams the peer's limit allows now."""
        next_index = quic.get_next_available_stream_id(False) // 4
        if self.name == "aioquic":
            return quic._remote_max_streams_bidi - next_index  # type: ignore[no-any-return]
        if quic._core is None or not quic._handshake_complete:
            return 1 << 30  # qh3 stages pre-handshake (0-RTT) writes itself
        return quic.max_concurrent_bidi_streams - next_index  # type: ignore[no-any-return]

    def feeder(self, quic: Any) -> Callable[[bytes, Any, float], None]:
        """`feed(data, addr, now)`: hand one received datagram to the core.

        qh3's `receive_datagram` re-parses every packet header in Python (coalesced-packet
        ordering during the handshake, retry and version-negotiation checks, source-CID
        learning); once the handshake is complete its public `receive_many_datagrams` hands
        the datagram straight to the native core, about 10 us less per datagram."""
        one = quic.receive_datagram
        many = getattr(quic, "receive_many_datagrams", None)
        if self.name == "aioquic" or many is None:
            return one  # type: ignore[no-any-return]

        def feed(data: bytes, addr: Any, now: float) -> None:
            if getattr(quic, "_handshake_complete", False):
                many([data], addr, now)
            else:
                one(data, addr, now)

        return feed

    def sender(self, quic: Any) -> Callable[[int, bytes, bool], None]:
        """`send(stream_id, data, end_stream)`: queue stream data (`send_stream_data`).

        After the handshake, qh3's wrapper only records the stream and forwards to the native
        core; for a stream it has already recorded zquic forwards directly (bytes only).
        Anything else (0-RTT staging, a new stream, another layout) takes the public call."""
        public = quic.send_stream_data
        if self.name == "aioquic" or not hasattr(quic, "_created_local_stream_ids"):
            return public  # type: ignore[no-any-return]
        from qh3.quic.connection import QuicConnectionError

        is_client = bool(getattr(quic, "_is_client", True))
        recorded = quic._created_local_stream_ids

        def send(stream_id: int, data: bytes, end_stream: bool) -> None:
            core = quic._core
            if (
                core is None
                or not quic._handshake_complete
                or type(data) is not bytes
                or ((stream_id & 1) == (0 if is_client else 1) and stream_id not in recorded)
            ):
                public(stream_id, data, end_stream)
                return
            try:
                core.send_stream(stream_id, data, end_stream)
            except RuntimeError as exc:  # as the wrapper reports a core refusal
                raise QuicConnectionError(0x1, None, str(exc)) from exc

        return send

    def poller(self, quic: Any) -> Callable[[float], list[tuple[bytes, Any]]]:
        """`poll(now)`: the datagrams the core wants sent (`datagrams_to_send`).

        qh3's wrapper parses every outgoing packet's header for its QUIC logger even when
        none is configured; without a logger zquic polls the native core directly (same
        datagrams, about 10 us less per flush). Falls back to the public method whenever the
        wrapper's layout is not the one this was written against."""
        public = quic.datagrams_to_send
        if self.name == "aioquic" or not hasattr(quic, "_core") or quic._quic_logger is not None:
            return public  # type: ignore[no-any-return]

        def poll(now: float) -> list[tuple[bytes, Any]]:
            core = quic._core
            if core is None:
                return []
            transmit = core.poll_transmit
            out: list[tuple[bytes, Any]] = []
            while (t := transmit(now)) is not None:
                out.append((t[0], t[1]))
            return out

        return poll

    def reset_tokens(self, quic: Any) -> dict[bytes, bytes]:
        """The stateless-reset tokens of the connection IDs this core issued (aioquic only)."""
        if self.name != "aioquic":
            return {}
        return {
            c.cid: c.stateless_reset_token
            for c in getattr(quic, "_host_cids", [])
            if c.stateless_reset_token
        }

    def consumed(self, quic: Any, windows: FlowWindows, stream_id: int, nbytes: int) -> None:
        """Record that the application read `nbytes` from a stream (opens the window)."""
        windows.consumed[stream_id] = windows.consumed.get(stream_id, 0) + nbytes
        windows.consumed_total += nbytes

    def is_handshake_confirmed(self, quic: Any) -> bool:
        return bool(getattr(quic, "_handshake_confirmed", False))


def _load(name: str) -> Backend:
    if name == "aioquic":
        from aioquic import tls
        from aioquic.quic import events
        from aioquic.quic.configuration import QuicConfiguration
        from aioquic.quic.connection import QuicConnection
        from aioquic.quic.packet import (
            encode_quic_retry,
            encode_quic_version_negotiation,
            pull_quic_header,
        )
        from aioquic.quic.retry import QuicRetryTokenHandler

        return Backend(
            name=name,
            QuicConfiguration=QuicConfiguration,
            QuicConnection=QuicConnection,
            events=events,
            tls=tls,
            pull_quic_header=pull_quic_header,
            encode_quic_version_negotiation=encode_quic_version_negotiation,
            encode_quic_retry=encode_quic_retry,
            QuicRetryTokenHandler=QuicRetryTokenHandler,
            SessionTicket=tls.SessionTicket,
            supported_versions=tuple(QuicConfiguration().supported_versions),
            supports_client_auth=True,
            consumption_flow_control=True,
        )
    if name == "qh3":
        qh3_tls = importlib.import_module("qh3.tls")
        from qh3.quic import events as qh3_events
        from qh3.quic.configuration import QuicConfiguration as Qh3Configuration
        from qh3.quic.connection import QuicConnection as Qh3Connection
        from qh3.quic.packet import encode_quic_retry as qh3_retry
        from qh3.quic.packet import encode_quic_version_negotiation as qh3_vn
        from qh3.quic.packet import pull_quic_header as qh3_pull
        from qh3.quic.retry import QuicRetryTokenHandler as Qh3Retry

        return Backend(
            name=name,
            QuicConfiguration=Qh3Configuration,
            QuicConnection=Qh3Connection,
            events=qh3_events,
            tls=qh3_tls,
            pull_quic_header=qh3_pull,
            encode_quic_version_negotiation=qh3_vn,
            encode_quic_retry=qh3_retry,
            QuicRetryTokenHandler=Qh3Retry,
            SessionTicket=qh3_tls.SessionTicket,
            supported_versions=tuple(Qh3Configuration().supported_versions),
            supports_client_auth=False,
            consumption_flow_control=False,
        )
    raise ConfigurationError(f"unknown QUIC backend {name!r}; choose one of {BACKENDS}")


_cache: dict[str, Backend] = {}


def get_backend(name: str | None = None) -> Backend:
    """Return the named backend; None -> $ZQUIC_BACKEND, else the default (qh3)."""
    chosen = name or os.environ.get(ENV_VAR) or DEFAULT_BACKEND
    backend = _cache.get(chosen)
    if backend is None:
        backend = _cache[chosen] = _load(chosen)
        log.info("zquic backend loaded", backend=chosen, requested=name)
    return backend
