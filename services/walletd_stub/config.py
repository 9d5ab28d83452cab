"""walletd configuration (ghostkit: defaults < TOML < GHOST_WALLETD_* env < flags)."""

from __future__ import annotations

from pathlib import Path

import attrs
from ghostkit.config import ADMIN_PORTS, CommonConfig, endpoint_setting, port_setting, setting

from .keystore import KdfProfileName
from .node import Endpoint


@attrs.frozen
class WalletdConfig(CommonConfig):
    """Settings of walletd_stub; see docs/walletd.md."""

    admin_port: int = port_setting(
        ADMIN_PORTS["walletd"], help="port of the admin HTTP server (0 = any free port)"
    )
    listen_host: str = setting("127.0.0.1", help="address the WalletService QUIC endpoint binds")
    listen_port: int = port_setting(8080, help="UDP port of the WalletService (0 = any free port)")
    ghostd: str = endpoint_setting(
        "127.0.0.1:8081",
        help="ghostd endpoint HOST:PORT, used directly when no bridge is configured",
    )
    bridge: str = endpoint_setting(
        "",
        help="GhostBridge endpoint HOST:PORT; when set, ghostd calls are relayed through it",
    )
    bridge_register: bool = setting(
        True,
        help="with a bridge: register WalletService there and renew the lease while running",
    )
    advertise_host: str = setting(
        "", help="host announced to the bridge for this WalletService (default: listen_host)"
    )
    keystore: Path | None = setting(
        None, help="key store file (default: STATE_DIR/walletd/keystore.sqlite3)"
    )
    kdf_profile: KdfProfileName = setting(
        "moderate",
        help="Argon2id cost for new keys: moderate (3 passes, 128 MiB), interactive "
        "(2 passes, 64 MiB) or fast_insecure (tests only)",
    )
    tls_cert: Path | None = setting(
        None, help="server certificate (default: STATE_DIR/certs/walletd.pem, dev CA)"
    )
    tls_key: Path | None = setting(None, help="server key (default: STATE_DIR/certs/walletd.key)")
    tls_ca: Path | None = setting(
        None, help="CA that ghostd's / the bridge's certificate must chain to (default: dev CA)"
    )
    tls_client_cert: Path | None = setting(
        None,
        help="client certificate offered if ghostd / the bridge requests one (mTLS; ghostd "
        "does not today) (default: walletd-client.pem)",
    )
    tls_client_key: Path | None = setting(None, help="key of tls_client_cert")
    node_timeout: float = setting(5.0, help="deadline of each call to ghostd", duration=True)
    stream_reconnect_timeout: float = setting(
        60.0,
        help="how long a stream keeps reconnecting to ghostd before failing UNAVAILABLE",
        duration=True,
    )

    @property
    def keystore_path(self) -> Path:
        return self.keystore or self.state_dir / "walletd" / "keystore.sqlite3"

    @property
    def node_endpoint(self) -> Endpoint:
        return Endpoint.parse(self.bridge or self.ghostd, "bridge" if self.bridge else "ghostd")
