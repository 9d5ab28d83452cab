"""walletd-stub as a process: startup failures and bad flags end with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import trio


async def _walletd(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHOST")}
    argv = [sys.executable, "-m", "walletd_stub", "--state-dir", str(tmp_path)]
    argv += ["--kdf-profile", "fast_insecure", *args]
    with trio.fail_after(30):
        return await trio.run_process(
            argv, capture_stdout=True, capture_stderr=True, check=False, env=env
        )


async def test_listen_port_in_use_is_one_line_exit_1(tmp_path: Path) -> None:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with sock:
        done = await _walletd(tmp_path, "--admin-port", "0", "--listen-port", str(port))
    err = done.stderr.decode()
    assert done.returncode == 1
    lines = [line for line in err.splitlines() if line.startswith("walletd: ")]
    assert lines == [f"walletd: cannot listen on 127.0.0.1:{port}: address already in use"]
    assert "Traceback" not in err


async def test_out_of_range_ports_are_one_line_exit_2(tmp_path: Path) -> None:
    for flag, value in (("--admin-port", "99999"), ("--listen-port", "70000")):
        done = await _walletd(tmp_path, flag, value)
        err = done.stderr.decode()
        assert done.returncode == 2, err
        assert err.splitlines() == [
            f"walletd: configuration error: flag {flag}: bad value '{value}' for "
            f"'{flag[2:].replace('-', '_')}': expected a port number 0-65535"
        ]


async def test_help_names_the_command_the_user_typed() -> None:
    script = Path(sys.executable).parent / "walletd-stub"  # the console script in the venv
    for argv, prog in (
        ([str(script), "--help"], "walletd-stub"),
        ([sys.executable, "-m", "walletd_stub", "--help"], "python -m walletd_stub"),
    ):
        with trio.fail_after(30):
            done = await trio.run_process(argv, capture_stdout=True, capture_stderr=True)
        out = done.stdout.decode()
        assert out.startswith(f"usage: {prog} [-h]"), out[:200]
        assert "development wallet daemon (ghost.wallet.v1.WalletService)" in out
        assert "e.g. GHOST_WALLETD_" in out and "POOL__MAX_CONNECTIONS" not in out
        assert out.count("usage:") == 1


async def test_unusable_files_are_one_line_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cases = [
        (["--keystore", str(blocker / "ks.sqlite3")], f"walletd: key store {blocker}/ks.sqlite3: "),
        (
            ["--tls-cert", str(tmp_path / "no.pem"), "--tls-key", str(tmp_path / "no.key")],
            f"walletd: tls_cert {tmp_path}/no.pem: no such file (--tls-cert)",
        ),
    ]
    for args, expected in cases:
        done = await _walletd(tmp_path, "--admin-port", "0", "--listen-port", "0", *args)
        err = done.stderr.decode()
        assert done.returncode == 1, err
        lines = [line for line in err.splitlines() if line.startswith("walletd: ")]
        assert len(lines) == 1 and lines[0].startswith(expected), lines
        assert "Traceback" not in err
