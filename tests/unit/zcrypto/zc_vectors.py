"""Readers for the published test-vector files in tests/data/vectors (see its README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[2] / "data" / "vectors"


def path(name: str) -> Path:
    return VECTORS / name


def load_json(name: str) -> Any:
    return json.loads(path(name).read_text())


def read_records(name: str) -> list[dict[str, str]]:
    """Parse NIST .rsp / cryptography-vectors "KEY = value" files into records.

    Bracketed section headers (``[IVlen = 96]``) are copied into every record that follows
    them, under their own keys. A record is a blank-line separated block; a bare word line
    (NIST's ``FAIL``) is stored as ``{"FAIL": ""}``.
    """
    records: list[dict[str, str]] = []
    section: dict[str, str] = {}
    current: dict[str, str] = {}

    def flush() -> None:
        nonlocal current
        if current:
            records.append({**section, **current})
            current = {}

    for raw in path(name).read_text().splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            flush()
            continue
        if line.startswith("[") and line.endswith("]"):
            flush()
            inner = line[1:-1]
            if "=" in inner:
                key, value = inner.split("=", 1)
                section[key.strip()] = value.strip()
            else:
                section = {"section": inner}
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
        else:
            current[line] = ""
    flush()
    return records


def field_bytes(value: str) -> bytes:
    """Hex field, or a double-quoted ASCII string as in BoringSSL's vector files."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].encode()
    return bytes.fromhex(value)
