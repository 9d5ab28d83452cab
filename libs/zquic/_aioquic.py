"""aioquic specifics: consumption-based receive windows and server-side client authentication.

aioquic doubles its receive windows as data *arrives* (not as it is read), which gives no
backpressure (QUIC-NOTES pitfall 6), and its server only requests client certificates through
a private, test-only switch without verifying them (pitfall 10). This subclass fixes both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aioquic import tls
from aioquic.quic.connection import (
    CONNECTION_LIMIT_FRAME_CAPACITY,
    MAX_STREAM_DATA_FRAME_CAPACITY,
    QuicConnection,
)
from aioquic.quic.packet import QuicFrameType
from cryptography import x509

from .backend import FlowWindows

ClientVerifier = Callable[[x509.Certificate, list[x509.Certificate]], None]


class _AlertCertificateRequired(tls.Alert):
    description = tls.AlertDescription.certificate_required


class ZAioquicConnection(QuicConnection):
    def __init__(
        self,
        *,
        zq_windows: FlowWindows,
        zq_client_verifier: ClientVerifier | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._zq_windows = zq_windows
        self._zq_client_verifier = zq_client_verifier

    # ---- mTLS ------------------------------------------------------------------------------
    def _initialize(self, peer_cid: bytes) -> None:
        super()._initialize(peer_cid)
        verifier = self._zq_client_verifier
        if verifier is None or self._is_client:
            return
        ctx = self.tls
        ctx._request_client_certificate = True
        orig_certificate = ctx._server_handle_certificate
        orig_verify = ctx._server_handle_certificate_verify

        def handle_certificate(input_buf: Any) -> None:
            orig_certificate(input_buf)
            # An empty Certificate lets aioquic continue unauthenticated: refuse instead.
            if ctx._peer_certificate is None:
                raise _AlertCertificateRequired("client certificate required")

        def handle_certificate_verify(input_buf: Any) -> None:
            orig_verify(input_buf)  # proves possession of the key (signature check)
            try:
                verifier(ctx._peer_certificate, list(ctx._peer_certificate_chain))
            except Exception as exc:  # any verification failure refuses the client
                raise tls.AlertBadCertificate(f"client certificate rejected: {exc}") from exc

        ctx._server_handle_certificate = handle_certificate
        ctx._server_handle_certificate_verify = handle_certificate_verify

    # ---- receive windows that follow consumption -----------------------------------------
    def _write_connection_limits(self, builder: Any, space: Any) -> None:
        w = self._zq_windows
        max_data = self._local_max_data
        target = w.consumed_total + w.connection_window
        # Raise only when less than half a window of credit is left, to batch MAX_DATA frames.
        if target - max_data.value >= w.connection_window // 2:
            max_data.value = target
        for limit in (
            self._local_max_data,
            self._local_max_streams_bidi,
            self._local_max_streams_uni,
        ):
            if limit is not max_data and (limit.sent - limit.used >= limit.value - limit.sent):
                continue
            if limit.value != limit.sent:
                buf = builder.start_frame(
                    limit.frame_type,
                    capacity=CONNECTION_LIMIT_FRAME_CAPACITY,
                    handler=self._on_connection_limit_delivery,
                    handler_args=(limit,),
                )
                buf.push_uint_var(limit.value)
                limit.sent = limit.value

    def _write_stream_limits(self, builder: Any, space: Any, stream: Any) -> None:
        if not stream.max_stream_data_local:
            return
        w = self._zq_windows
        target = w.consumed.get(stream.stream_id, 0) + w.stream_window
        if target - stream.max_stream_data_local >= w.stream_window // 2:
            stream.max_stream_data_local = target
        if stream.max_stream_data_local_sent != stream.max_stream_data_local:
            buf = builder.start_frame(
                QuicFrameType.MAX_STREAM_DATA,
                capacity=MAX_STREAM_DATA_FRAME_CAPACITY,
                handler=self._on_max_stream_data_delivery,
                handler_args=(stream,),
            )
            buf.push_uint_var(stream.stream_id)
            buf.push_uint_var(stream.max_stream_data_local)
            stream.max_stream_data_local_sent = stream.max_stream_data_local
