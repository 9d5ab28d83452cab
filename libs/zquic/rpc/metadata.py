"""Call metadata (gRPC-style key/value pairs) and W3C trace context helpers."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from random import getrandbits

from ghost.bridge.v1 import bridge_pb2

MetadataValue = str | bytes
Metadata = tuple[tuple[str, MetadataValue], ...]
MetadataLike = Mapping[str, MetadataValue] | Iterable[tuple[str, MetadataValue]] | None

_KEY_RE = re.compile(r"^[0-9a-z_.\-]+$")
_TRACEPARENT_RE = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def normalize_metadata(metadata: MetadataLike) -> Metadata:
    """Validate caller-supplied metadata: lower-case keys, bytes only for `-bin` keys."""
    if metadata is None:
        return ()
    items = metadata.items() if isinstance(metadata, Mapping) else metadata
    out: list[tuple[str, MetadataValue]] = []
    for key, value in items:
        key = key.lower()
        if not _KEY_RE.match(key):
            raise ValueError(f"invalid metadata key {key!r}")
        if key.endswith("-bin"):
            if isinstance(value, str):
                value = value.encode()
            if not isinstance(value, bytes):
                raise TypeError(f"metadata {key!r} needs bytes")
        elif not isinstance(value, str):
            raise TypeError(f"metadata {key!r} needs str (use a '-bin' key for bytes)")
        out.append((key, value))
    return tuple(out)


def metadata_to_proto(metadata: Metadata) -> list[bridge_pb2.MetadataEntry]:
    entries = []
    for key, value in metadata:
        if isinstance(value, bytes):
            entries.append(bridge_pb2.MetadataEntry(key=key, binary_value=value))
        else:
            entries.append(bridge_pb2.MetadataEntry(key=key, value=value))
    return entries


def metadata_from_proto(entries: Sequence[bridge_pb2.MetadataEntry]) -> Metadata:
    """Received metadata; lenient (a peer's odd key is kept, lower-cased, never an error)."""
    out: list[tuple[str, MetadataValue]] = []
    for entry in entries:
        key = entry.key.lower()
        out.append((key, entry.binary_value if key.endswith("-bin") else entry.value))
    return tuple(out)


_TRACE_ID_LOW = 1 << 64  # the trace id is the top 128 of 192 random bits, the span id the rest
_SPAN_ID_MASK = _TRACE_ID_LOW - 1


def new_traceparent(sampled: bool = True) -> str:
    """A fresh W3C traceparent: version 00, random trace id and span id.

    Ids are not secrets: `random.getrandbits` as OpenTelemetry's RandomIdGenerator (no
    syscall per call, unlike os.urandom; `random` reseeds in a forked child). An all-zero
    trace or span id is invalid (W3C): drawn again."""
    ids = getrandbits(192)
    while ids < _TRACE_ID_LOW or not ids & _SPAN_ID_MASK:
        ids = getrandbits(192)
    h = ids.to_bytes(24).hex()  # faster than f"{ids:048x}"
    return f"00-{h[:32]}-{h[32:]}-{'01' if sampled else '00'}"


def parse_traceparent(value: str) -> tuple[str, str, str] | None:
    """(trace_id, parent span id, flags) of a valid traceparent, else None."""
    m = _TRACEPARENT_RE.match(value.strip()) if value else None
    if m is None:
        return None
    version, trace_id, span_id, flags = m.groups()
    if version == "ff" or not trace_id.strip("0") or not span_id.strip("0"):
        return None
    return trace_id, span_id, flags


def child_traceparent(value: str) -> str:
    """Traceparent for an outgoing call made while serving `value`: same trace, new span."""
    parsed = parse_traceparent(value)
    if parsed is None:
        return new_traceparent()
    trace_id, _span, flags = parsed
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"
