"""Transport defaults shared by client and server endpoints."""

from __future__ import annotations

import attrs

CONNECTION_ID_LENGTH = 8
MIN_INITIAL_DATAGRAM = 1200  # RFC 9000 section 14.1
DEFAULT_MAX_DATAGRAM_SIZE = 1350
DEFAULT_IDLE_TIMEOUT = 30.0


@attrs.frozen
class FlowConfig:
    """Per-connection buffering limits (bytes). Memory per stream stays near
    `stream_window` (unread receive data) + `send_buffer` (data handed to the core)."""

    stream_window: int = 1024 * 1024
    connection_window: int = 8 * 1024 * 1024
    send_buffer: int = 512 * 1024
    max_streams_bidi: int = 128  # concurrent peer-initiated bidirectional streams
