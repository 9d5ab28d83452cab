"""run_daemon end to end: a real subprocess, real signals, real admin port."""

from __future__ import annotations

import errno
import signal
import socket
from pathlib import Path

import httpx
import pytest
import trio
from ghostkit.daemon import StartupError, listening, startup_message
from gk_proc import HERE, spawn

SAMPLE = str(HERE / "gk_sample_daemon.py")


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        SAMPLE,
        "--log-format",
        "json",
        "--admin-port",
        "0",
        "--state-dir",
        str(tmp_path),
        *extra,
    ]


async def test_sigterm_drains_in_flight_work_and_exits_0(tmp_path: Path) -> None:
    with trio.fail_after(20):
        args = _args(tmp_path, "--drain-seconds", "0.5", "--password", "hunter2")
        async with spawn(args) as p:
            bound = await p.wait_event("admin_listening")
            port = bound["port"]
            start = await p.wait_event("starting")
            assert start["config"]["password"] == "***"
            assert start["daemon"] == "sample" and start["config"]["shutdown_grace"] == 10.0
            await p.wait_event("ready")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/readyz")).status_code == 200
                assert (await client.get("/healthz")).status_code == 200
                assert "ghost_rpc" in (await client.get("/metrics")).text
                p.proc.send_signal(signal.SIGTERM)
                await p.wait_event("draining")
                # Draining: not ready any more, but still alive and serving admin requests.
                assert (await client.get("/readyz")).status_code == 503
                assert (await client.get("/healthz")).status_code == 200
            assert await p.finish() == 0
            drained = p.text.index('"event": "drained"')
            assert drained < p.text.index('"event": "stopped"')
            assert "hunter2" not in p.text
            assert "shutdown_forced" not in p.text


async def test_grace_expiry_cancels_and_still_exits_0(tmp_path: Path) -> None:
    with trio.fail_after(20):
        args = _args(tmp_path, "--drain-seconds", "60", "--shutdown-grace", "300ms")
        async with spawn(args) as p:
            await p.wait_event("ready")
            p.proc.send_signal(signal.SIGINT)
            assert await p.finish() == 0
            assert '"event": "shutdown_forced"' in p.text
            assert '"event": "drained"' not in p.text


async def test_second_signal_cancels_at_once(tmp_path: Path) -> None:
    with trio.fail_after(20):
        async with spawn(_args(tmp_path, "--drain-seconds", "60")) as p:
            await p.wait_event("ready")
            p.proc.send_signal(signal.SIGTERM)
            await p.wait_event("draining")
            p.proc.send_signal(signal.SIGTERM)
            assert await p.finish() == 0  # well before the 10 s grace (fail_after bounds it)
            assert '"event": "shutdown_now"' in p.text


async def test_crash_in_main_exits_1(tmp_path: Path) -> None:
    with trio.fail_after(20):
        async with spawn(_args(tmp_path, "--crash-after-ready")) as p:
            assert await p.finish() == 1
            assert '"event": "daemon_failed"' in p.text and "sample crash" in p.text
            # An unexpected exception is a bug: it keeps its traceback, and no one-liner.
            assert "Traceback" in p.text and "RuntimeError: sample crash" in p.text
            assert not [line for line in p.lines if line.startswith("sample: ")]


def _one_liners(p: object) -> list[str]:
    return [line for line in p.lines if line.startswith("sample: ")]  # type: ignore[attr-defined]


async def test_startup_error_in_nested_nurseries_is_one_line_exit_1(tmp_path: Path) -> None:
    with trio.fail_after(20):
        args = _args(tmp_path, "--startup-error", "validator key file /k: wrong passphrase")
        async with spawn(args) as p:
            assert await p.finish() == 1
            assert _one_liners(p) == ["sample: validator key file /k: wrong passphrase"]
            assert p.text.count('"event": "startup_failed"') == 1
            assert "Traceback" not in p.text and "ExceptionGroup" not in p.text
            assert '"event": "daemon_failed"' not in p.text and '"event": "ready"' not in p.text


async def test_udp_port_in_use_is_one_line_naming_the_address(tmp_path: Path) -> None:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with sock, trio.fail_after(20):
        async with spawn(_args(tmp_path, "--udp-port", str(port))) as p:
            assert await p.finish() == 1
            expected = f"sample: cannot listen on 127.0.0.1:{port}: address already in use"
            assert _one_liners(p) == [expected]
            assert "Traceback" not in p.text


async def test_tcp_port_in_use_is_one_line_naming_the_address(tmp_path: Path) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    with listener, trio.fail_after(20):
        async with spawn(_args(tmp_path, "--tcp-port", str(port))) as p:
            assert await p.finish() == 1
            [line] = _one_liners(p)
            assert line.startswith("sample: cannot listen on 127.0.0.1:")
            assert line.endswith(": address already in use")
            assert "Traceback" not in p.text


async def test_bad_config_file_exits_2_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "sample.toml"
    cfg.write_text("drain_seconds = 1\nadmin_prot = 9\n")
    with trio.fail_after(20):
        async with spawn([SAMPLE, "--config", str(cfg)]) as p:
            assert await p.finish() == 2
            assert "admin_prot" in p.text and str(cfg) in p.text
            assert "Traceback" not in p.text


async def test_bad_flag_value_exits_2(tmp_path: Path) -> None:
    with trio.fail_after(20):
        async with spawn([SAMPLE, "--admin-port", "eighty"]) as p:
            assert await p.finish() == 2
            assert "--admin-port" in p.text and "integer" in p.text
            assert "Traceback" not in p.text


async def test_admin_port_in_use_exits_1_cleanly(tmp_path: Path) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    with listener, trio.fail_after(20):
        args = [SAMPLE, "--log-format", "json", "--admin-port", str(port)]
        async with spawn(args) as p:
            assert await p.finish() == 1
            assert '"event": "admin_bind_failed"' in p.text
            expected = f"sample: cannot listen on 127.0.0.1:{port}: address already in use"
            assert _one_liners(p) == [expected]
            assert "Traceback" not in p.text


async def test_help_exits_0(tmp_path: Path) -> None:
    with trio.fail_after(20):
        async with spawn([SAMPLE, "--help"]) as p:
            assert await p.finish() == 0
            text = " ".join(p.text.split())  # argparse wraps help lines
            assert "--drain-seconds" in text and "time the in-flight job needs to finish" in text
            assert p.lines[0].startswith("usage: gk_sample_daemon.py ")
            assert "The sample daemon of the tests." in text
            assert "e.g. GHOST_SAMPLE_DRAIN_SECONDS=" in text and "POOL__" not in text


async def test_listening_words_bind_failures_and_passes_others_through() -> None:
    with pytest.raises(StartupError) as info:
        with listening("192.0.2.1", 8080):  # TEST-NET-1: not an address of this host
            sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
            with sock:
                await sock.bind(("192.0.2.1", 8080))
    assert str(info.value) == "cannot listen on 192.0.2.1:8080: address not available on this host"
    with pytest.raises(StartupError, match=r"^cannot listen on \[::1\]:80: permission denied"):
        with listening("::1", 80):
            raise ExceptionGroup("nursery", [OSError(errno.EACCES, "Permission denied")])
    with pytest.raises(StartupError, match=r"^cannot listen on nohost\.invalid:1: unknown address"):
        with listening("nohost.invalid", 1):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with pytest.raises(PermissionError):  # a file, not a socket: not a bind failure
        with listening("127.0.0.1", 1):
            raise PermissionError(errno.EACCES, "Permission denied", "/etc/shadow")
    with pytest.raises(ExceptionGroup):  # mixed with a bug: the bug keeps its traceback
        with listening("127.0.0.1", 1):
            raise ExceptionGroup("n", [OSError(errno.EADDRINUSE, "in use"), KeyError("x")])


def test_startup_message_unwraps_groups_and_rejects_mixed_ones() -> None:
    class Sub(StartupError):
        pass

    nested = ExceptionGroup("outer", [ExceptionGroup("inner", [Sub("key file: bad")])])
    assert startup_message(nested) == "key file: bad"
    assert startup_message(ExceptionGroup("g", [Sub("a"), RuntimeError("bug")])) is None
    assert startup_message(RuntimeError("bug")) is None
    assert startup_message(OSError(errno.EADDRINUSE, "in use")) is None  # no bind frame: unknown
