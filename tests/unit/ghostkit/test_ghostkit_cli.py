from __future__ import annotations

import ipaddress
import signal
import socket
from pathlib import Path

import pytest
import trio
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from ghostkit.cli import DAEMONS, DaemonSpec, build_parser, cmd_up, is_available, start_order
from gk_proc import HERE, spawn

LAUNCH = str(HERE / "gk_launch_sample.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_certs_is_idempotent(tmp_path: Path) -> None:
    fingerprints = []
    with trio.fail_after(20):
        for extra in ([], ["--name", "node1.example"]):
            args = ["-m", "ghostkit.cli", "certs", "--state-dir", str(tmp_path), *extra]
            async with spawn(args) as p:
                assert await p.finish() == 0, p.text
                line = await p.wait_for(lambda s: "CA SHA-256" in s)
                fingerprints.append(line.split()[-1])
                assert str(tmp_path / "certs") in p.text
    assert fingerprints[0] == fingerprints[1]
    for name in ("ca", "ghostbridge", "walletd", "ghostd", "cns", "wraith", "cns-client"):
        assert (tmp_path / "certs" / f"{name}.pem").is_file()
    assert (tmp_path / "certs" / "ca.key").stat().st_mode & 0o077 == 0
    ca = x509.load_pem_x509_certificate((tmp_path / "certs" / "ca.pem").read_bytes())
    loopback = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    # Every daemon's server certificate answers to what clients dial: localhost, 127.0.0.1,
    # ::1 and its service name (docker-compose), plus the extra --name; signed by the dev CA.
    for daemon in ("ghostbridge", "walletd", "ghostd", "cns", "wraith"):
        for suffix, usage in (("", "SERVER_AUTH"), ("-client", "CLIENT_AUTH")):
            path = tmp_path / "certs" / f"{daemon}{suffix}.pem"
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = set(sans.get_values_for_type(x509.DNSName))
            ips = set(sans.get_values_for_type(x509.IPAddress))
            assert {daemon, "localhost", "node1.example"} <= dns, (path.name, dns)
            assert loopback <= ips, (path.name, ips)
            assert cert.issuer == ca.subject, path.name
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            assert getattr(ExtendedKeyUsageOID, usage) in eku, path.name


def test_up_with_nothing_available_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = (
        DaemonSpec("ghostd", "gk_missing_ghostd_stub", 1),
        DaemonSpec("cns", "gk_missing_cns", 2, depends_on=("ghostd",)),
    )
    args = build_parser().parse_args(["up", "--state-dir", str(tmp_path)])
    assert cmd_up(args, table) == 0
    out = capsys.readouterr().out
    assert "ghostd not available yet" in out and "cns not available yet" in out
    assert "nothing to start" in out


def test_up_unknown_only_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["up", "--state-dir", str(tmp_path), "--only", "nosuch"])
    assert cmd_up(args) == 2
    assert "nosuch" in capsys.readouterr().err


def test_default_table_and_order() -> None:
    ports = {s.name: s.admin_port for s in DAEMONS}
    assert ports == {
        "ghostbridge": 9091,
        "wraith": 8444,
        "walletd": 8180,
        "ghostd": 8181,
        "cns": 8182,
    }
    order = [s.name for s in start_order(DAEMONS)]
    assert order == ["ghostd", "ghostbridge", "walletd", "cns", "wraith"]
    late_first = (DaemonSpec("b", "b", 1, depends_on=("a",)), DaemonSpec("a", "a", 2))
    assert [s.name for s in start_order(late_first)] == ["a", "b"]
    with pytest.raises(ValueError, match="cycle"):
        start_order((DaemonSpec("a", "a", 1, ("b",)), DaemonSpec("b", "b", 2, ("a",))))


def test_is_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "gk_fake_daemon_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    (pkg / "__main__.py").write_text("")
    (tmp_path / "gk_nomain_pkg").mkdir()
    (tmp_path / "gk_nomain_pkg" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert is_available("gk_fake_daemon_pkg")
    assert not is_available("gk_nomain_pkg")
    assert not is_available("gk_definitely_not_installed")


async def test_launcher_starts_in_order_and_stops_all_on_sigterm(tmp_path: Path) -> None:
    pa, pb = free_port(), free_port()
    with trio.fail_after(30):
        async with spawn([LAUNCH, str(tmp_path), f"alpha:{pa}", f"beta:{pb}"]) as p:
            await p.wait_for(lambda s: "all daemons ready" in s)
            text = p.text
            assert text.index("alpha ready") < text.index("starting beta")
            assert "[alpha] " in text and '"event": "ready"' in text
            p.proc.send_signal(signal.SIGTERM)
            assert await p.finish() == 0, p.text
            for name in ("alpha", "beta"):
                assert any(
                    line.startswith(f"[{name}] ") and '"event": "drained"' in line
                    for line in p.lines
                ), p.text
            assert "ghostnet: stopped" in p.text


async def test_launcher_reports_dead_child_and_stops_the_rest(tmp_path: Path) -> None:
    pa, pb = free_port(), free_port()
    with trio.fail_after(30):
        async with spawn([LAUNCH, str(tmp_path), f"alpha:{pa}", f"beta:{pb}:crash"]) as p:
            assert await p.finish() == 1, p.text
            assert "beta exited with code 1" in p.text
            assert any(
                line.startswith("[alpha] ") and '"event": "drained"' in line for line in p.lines
            ), p.text
