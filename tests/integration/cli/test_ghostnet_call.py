"""`ghostnet call` against a real ghostd_stub process over QUIC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import trio
from conftest import free_udp_port
from ghostchain.genesis import dev_accounts
from ghostkit.certs import ensure_dev_certs

METHOD = "/ghost.node.v1.GhostDService/GetBestBlockHash"


async def ghostnet(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GHOST")}
    return await trio.run_process(
        [sys.executable, "-m", "ghostkit.cli", *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        env={**base, **(env or {})},
        cwd=cwd,
    )


async def test_call_unary_stream_and_errors(launch, tmp_path):
    port = free_udp_port()
    state = ["--state-dir", str(tmp_path)]
    await launch("ghostd_stub", *state, "--listen-port", str(port), "--block-interval", "0.2")
    target = f"127.0.0.1:{port}"
    with trio.fail_after(60):
        info = await ghostnet(
            "call", target, "/ghost.node.v1.GhostDService/GetBlockchainInfo", *state
        )
        assert info.returncode == 0, info.stderr
        body = json.loads(info.stdout)
        assert body["chainId"] == "ghostnet-dev"

        # A funded dev account reads back with its balance, through the JSON mapping.
        account = dev_accounts()[0]
        got = await ghostnet(
            "call",
            target,
            "ghost.node.v1.GhostDService.GetAccount",
            json.dumps({"address": account.address_text}),
            *state,
        )
        assert got.returncode == 0, got.stderr
        assert int(json.loads(got.stdout)["account"]["balance"]) > 0

        # A server stream, stopped after the first event (genesis).
        blocks = await ghostnet(
            "call",
            target,
            "/ghost.node.v1.GhostDService/StreamBlocks",
            '{"fromHeight": "0"}',
            "--max",
            "1",
            *state,
        )
        assert blocks.returncode == 0, blocks.stderr
        lines = blocks.stdout.decode().splitlines()
        assert len(lines) == 1 and int(json.loads(lines[0]).get("height", 0)) == 0

        # Errors: the server's status (exit 1), and local usage errors (exit 2).
        missing = await ghostnet(
            "call", target, "/ghost.node.v1.GhostDService/GetBlock", '{"height": "999"}', *state
        )
        assert missing.returncode == 1 and b"NOT_FOUND" in missing.stderr
        unknown = await ghostnet("call", target, "/ghost.node.v1.GhostDService/Nope", *state)
        assert unknown.returncode == 2 and b"has no method 'Nope'" in unknown.stderr
        bad = await ghostnet(
            "call", target, "/ghost.node.v1.GhostDService/GetBlock", "{not json", *state
        )
        assert bad.returncode == 2 and b"not JSON" in bad.stderr

        # Another state directory's CA cannot verify this ghostd: exit 1 with a hint.
        other = tmp_path / "other"
        ensure_dev_certs(other)
        wrong = await ghostnet("call", target, METHOD, "--state-dir", str(other))
        err = wrong.stderr.decode()
        assert wrong.returncode == 1, err
        assert "hint: the server's certificate is not signed by the dev CA" in err
        assert str(other / "certs" / "ca.pem") in err and "pass --state-dir" in err
        # The same through --cafile names the file it was given.
        wrong = await ghostnet(
            "call", target, METHOD, "--cafile", str(other / "certs" / "ca.pem"), *state
        )
        assert wrong.returncode == 1 and b"not signed by --cafile" in wrong.stderr
        # A plain server-side error carries no certificate hint.
        assert b"hint" not in missing.stderr


async def test_call_without_a_dev_ca_says_where_to_look_and_creates_nothing(
    tmp_path: Path,
) -> None:
    target = f"127.0.0.1:{free_udp_port()}"
    empty = tmp_path / "state"
    empty.mkdir()
    with trio.fail_after(30):
        cases = [
            (["--state-dir", str(empty)], {}, empty),
            ([], {"GHOSTNET_STATE_DIR": str(empty)}, empty),
            ([], {}, Path(".ghostnet")),  # run from a directory that is not a state dir
        ]
        for flags, env, state in cases:
            done = await ghostnet("call", target, METHOD, *flags, env=env, cwd=tmp_path)
            err = done.stderr.decode()
            assert done.returncode == 2, err
            ca = state / "certs" / "ca.pem"
            assert err == (
                f"ghostnet call: no dev CA at {ca}: pass --state-dir of the running daemons"
                " (or --cafile)\n"
            )
            assert not (empty / "certs").exists() and not (tmp_path / ".ghostnet").exists()
        missing = await ghostnet("call", target, METHOD, "--cafile", str(tmp_path / "nope.pem"))
        assert missing.returncode == 2 and b"no such file" in missing.stderr


async def test_call_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    ensure_dev_certs(tmp_path)
    with trio.fail_after(30):
        for target in ("127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:99999"):
            done = await ghostnet("call", target, METHOD, "--state-dir", str(tmp_path))
            assert done.returncode == 2, done.stderr
            assert b"is not in 1-65535" in done.stderr and b"Traceback" not in done.stderr


async def test_call_to_a_silent_port_fails_fast(tmp_path):
    ensure_dev_certs(tmp_path)
    port = free_udp_port()
    with trio.fail_after(30):
        done = await ghostnet(
            "call",
            f"127.0.0.1:{port}",
            "/ghost.node.v1.GhostDService/GetBestBlockHash",
            "--connect-timeout",
            "1",
            "--state-dir",
            str(tmp_path),
        )
    assert done.returncode == 1 and b"no QUIC answer" in done.stderr
