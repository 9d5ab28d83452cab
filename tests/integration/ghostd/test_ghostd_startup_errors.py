"""A real `python -m ghostd_stub` that cannot start exits non-zero with one clear line on
stderr naming the problem, and no traceback (docs/ghostd.md, "Startup errors")."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import trio
from conftest import _clean_environ, free_tcp_port
from ghostd_stub.config import GhostdConfig
from zcrypto import KeyType, ed25519
from zcrypto.keyfile import FAST_INSECURE, seal_key, write_key_file


async def run_node(tmp_path: Path, *flags: str, env: dict[str, str] | None = None):
    argv = [sys.executable, "-m", "ghostd_stub", "--state-dir", str(tmp_path / "state")]
    argv += ["--listen-port", "0", "--admin-port", str(free_tcp_port()), *flags]
    with trio.fail_after(30):
        return await trio.run_process(
            argv,
            stdin=subprocess.DEVNULL,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env={**_clean_environ(), **(env or {})},
        )


def key_file(path: Path, passphrase: str) -> None:
    seed, _ = ed25519.generate_keypair()
    sealed = seal_key(
        seed,
        passphrase,
        key_type=KeyType.ED25519,
        ops_limit=FAST_INSECURE.ops_limit,
        mem_limit=FAST_INSECURE.mem_limit,
    )
    write_key_file(path, sealed)


def genesis(tmp_path: Path, data: object) -> str:
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(data))
    return str(path)


SECRET = "hunter2-passphrase"
CASES = {
    "genesis_missing_key": (
        lambda p: ["--genesis-file", genesis(p, {"chain_id": "x"})],
        {},
        "genesis file {tmp}/genesis.json: missing key 'validator_key'",
    ),
    "genesis_bad_hex": (
        lambda p: ["--genesis-file", genesis(p, {"chain_id": "x", "validator_key": "zz" * 32})],
        {},
        "genesis file {tmp}/genesis.json: validator_key must be hex",
    ),
    "genesis_wrong_length": (
        lambda p: ["--genesis-file", genesis(p, {"chain_id": "x", "validator_key": "ab" * 16})],
        {},
        "validator_key must be 32 bytes (64 hex digits, Ed25519), got 16 bytes",
    ),
    "wrong_passphrase": (
        lambda p: (key_file(p / "v.key", "right"), ["--validator-key-file", str(p / "v.key")])[1],
        {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": SECRET},
        "validator key file {tmp}/v.key: wrong passphrase",
    ),
    "missing_passphrase": (
        lambda p: ["--validator-key-file", str(p / "v.key")],
        {},
        "validator_key_file needs validator_passphrase",
    ),
    "corrupt_key_file": (
        lambda p: (
            (p / "v.key").write_bytes(b"GHKF\x01junk"),
            ["--validator-key-file", str(p / "v.key")],
        )[1],
        {"GHOST_GHOSTD_VALIDATOR_PASSPHRASE": SECRET},
        "validator key file {tmp}/v.key is corrupt or not a zcrypto key file",
    ),
    "listen_host_unknown": (
        lambda p: ["--listen-host", "no-such-host.invalid"],
        {},
        "listen_host 'no-such-host.invalid': unknown address",
    ),
    "data_dir_unusable": (
        lambda p: ((p / "f").write_text(""), ["--data-dir", str(p / "f" / "d")])[1],
        {},
        "data directory {tmp}/f/d: Not a directory",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_startup_error_is_one_clear_line_without_traceback(tmp_path, case):
    flags, env, expected = CASES[case]
    done = await run_node(tmp_path, *flags(tmp_path), env=env)
    stderr = done.stderr.decode()
    output = done.stdout.decode() + stderr
    assert done.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    lines = [line for line in stderr.splitlines() if line.startswith("ghostd: ")]
    assert len(lines) == 1, stderr[-3000:]
    assert expected.format(tmp=tmp_path) in lines[0], lines[0]
    assert stderr.rstrip().endswith(lines[0])  # the last thing the operator sees
    assert SECRET not in output  # the passphrase is never echoed


async def test_listen_port_in_use_is_one_line(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        done = await run_node(tmp_path, "--listen-port", str(port))
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr, stderr[-3000:]
    last = stderr.rstrip().splitlines()[-1]
    assert last == f"ghostd: cannot listen on 127.0.0.1:{port}: address already in use"


async def test_help_names_the_command_explains_the_daemon_and_a_real_env_key():
    script = Path(sys.executable).parent / "ghostd-stub"  # the console script in the venv
    for argv, prog in (
        ([str(script), "--help"], "ghostd-stub"),
        ([sys.executable, "-m", "ghostd_stub", "--help"], "python -m ghostd_stub"),
    ):
        with trio.fail_after(30):
            done = await trio.run_process(argv, capture_stdout=True, capture_stderr=True)
        out = done.stdout.decode()
        assert out.startswith(f"usage: {prog} [-h]"), out[:200]
        assert "GhostChain development node" in out and "docs/ghostd.md" in out
        keys = re.findall(r"e\.g\. GHOST_GHOSTD_([A-Z_]+)=", out)
        assert len(keys) == 1, out[-600:]
        fields = {f.name for f in attrs.fields(GhostdConfig)}
        assert keys[0].lower() in fields and "POOL__" not in out
