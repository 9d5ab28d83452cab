"""`ghostnet call` against a real ghostd_stub process over QUIC."""

from __future__ import annotations

import json
import subprocess
import sys

import trio
from conftest import free_udp_port
from ghostchain.genesis import dev_accounts


async def ghostnet(*args: str) -> subprocess.CompletedProcess[bytes]:
    return await trio.run_process(
        [sys.executable, "-m", "ghostkit.cli", *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
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


async def test_call_to_a_silent_port_fails_fast(tmp_path):
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
