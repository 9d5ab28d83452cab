from __future__ import annotations

import io
import json

import pytest
import structlog
from ghostkit.logging import is_sensitive, setup_logging


@pytest.fixture(autouse=True)
def _reset_structlog():
    yield
    structlog.reset_defaults()


def test_json_lines_have_standard_fields_and_redact_secrets() -> None:
    out = io.StringIO()
    log = setup_logging("info", "json", "walletd", stream=out)
    log.info(
        "unlock",
        wallet="w1",
        passphrase="correct horse",
        Authorization="Bearer abc",
        config={"pool": {"db_password": "pw1"}, "seed": "s1", "port": 1},
        items=[{"private_key": "k1"}],
    )
    log.debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1  # debug filtered at info
    rec = json.loads(lines[0])
    assert rec["event"] == "unlock" and rec["level"] == "info" and rec["daemon"] == "walletd"
    assert "timestamp" in rec and rec["wallet"] == "w1"
    assert rec["passphrase"] == "***" and rec["Authorization"] == "***"
    assert rec["config"]["pool"]["db_password"] == "***" and rec["config"]["seed"] == "***"
    assert rec["config"]["port"] == 1 and rec["items"][0]["private_key"] == "***"
    for secret in ("correct horse", "abc", "pw1", "s1", "k1"):
        assert secret not in lines[0]


def test_console_format_is_key_value_and_redacted() -> None:
    out = io.StringIO()
    log = setup_logging("debug", "console", "cns", stream=out)
    log.debug("query", name="a.ghost", token="t0k3n")
    text = out.getvalue()
    assert "query" in text and "name=a.ghost" in text and "daemon=cns" in text
    assert "t0k3n" not in text


def test_sensitive_key_matching() -> None:
    for key in ("password", "api_token", "x-auth-token", "seed", "secret_key", "PRIVATE_KEY"):
        assert is_sensitive(key), key
    for key in ("tokenizer", "seeds_count_total", "method", "public_key"):
        assert not is_sensitive(key), key


def test_bad_level_or_format() -> None:
    with pytest.raises(ValueError):
        setup_logging("loud", "json", "x")
    with pytest.raises(ValueError):
        setup_logging("info", "xml", "x")  # type: ignore[arg-type]
