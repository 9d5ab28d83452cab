"""walletd config: defaults, the bridge switch, endpoint validation, KDF profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from ghostkit.config import ConfigError, load_config
from walletd_stub.config import WalletdConfig
from walletd_stub.keystore import KDF_PROFILES
from zcrypto import keyfile


def test_defaults() -> None:
    c = load_config(WalletdConfig, "walletd", [], env={})
    assert (c.listen_host, c.listen_port, c.admin_port) == ("127.0.0.1", 8080, 8180)
    assert str(c.node_endpoint) == "127.0.0.1:8081" and not c.bridge
    assert c.keystore_path == Path(".ghostnet") / "walletd" / "keystore.sqlite3"
    assert KDF_PROFILES[c.kdf_profile] == keyfile.DEFAULT


def test_bridge_takes_over_the_node_route() -> None:
    c = load_config(
        WalletdConfig,
        "walletd",
        ["--bridge", "127.0.0.1:9090", "--state-dir", "/tmp/x"],
        env={"GHOST_WALLETD_KDF_PROFILE": "fast_insecure"},
    )
    assert str(c.node_endpoint) == "127.0.0.1:9090"
    assert c.keystore_path == Path("/tmp/x/walletd/keystore.sqlite3")
    assert KDF_PROFILES[c.kdf_profile] == keyfile.FAST_INSECURE


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["--ghostd", "nohost"], "HOST:PORT"),
        (["--bridge", "h:99999"], "port 99999 in 'h:99999' is not in 1-65535"),
        (["--kdf-profile", "weak"], "one of"),
        (["--admin-port", "99999"], "flag --admin-port: bad value '99999' for 'admin_port'"),
        (["--listen-port", "70000"], "'listen_port': expected a port number 0-65535"),
        (["--listen-port", "-1"], "'listen_port': expected a port number 0-65535"),
        (["--ghostd", "127.0.0.1:65536"], "'ghostd': port 65536"),
    ],
)
def test_bad_values_are_config_errors(argv: list[str], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(WalletdConfig, "walletd", argv, env={})
    assert fragment in str(info.value)


def test_registration_announces_the_wallet_service_at_the_advertised_endpoint() -> None:
    from walletd_stub.daemon import registration

    c = load_config(
        WalletdConfig, "walletd", ["--bridge", "b:9090", "--advertise-host", "wallet.local"], env={}
    )
    reg = registration(c, "127.0.0.1", 8080)
    assert reg.service == "ghost.wallet.v1.WalletService"
    assert (reg.endpoint.host, reg.endpoint.port) == ("wallet.local", 8080)
    assert len(reg.methods) == 20 and "ImportAccount" in reg.methods and reg.lease_ttl_ms > 0
    assert c.bridge_register is True
