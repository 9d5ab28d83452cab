"""The walletd process: key store, ghostd client, WalletService on QUIC, graceful drain."""

from __future__ import annotations

import functools
import sqlite3
from typing import Any

import trio
import zquic
from ghost.bridge.v1 import bridge_pb2
from ghostkit.certs import ensure_dev_certs
from ghostkit.daemon import DaemonContext, StartupError, listening
from ghostkit.metrics import count_in_flight
from ghostkit.rpcserve import drain_rpc
from zquic.rpc import RpcServer, serve_rpc
from zquic.rpc.server import metrics_hook

from .config import WalletdConfig
from .keystore import KDF_PROFILES, KeyStore
from .node import QuicNodeClient
from .service import SERVICE, WalletServicer


def _check_tls_files(config: WalletdConfig) -> None:
    for key in ("tls_cert", "tls_key", "tls_ca", "tls_client_cert", "tls_client_key"):
        path = getattr(config, key)
        if path is not None and not path.is_file():
            raise StartupError(f"{key} {path}: no such file (--{key.replace('_', '-')})")


def tls_configs(config: WalletdConfig) -> tuple[zquic.TLSConfig, zquic.TLSConfig]:
    """(server, client) TLS settings: explicit paths, else the dev CA in state_dir.

    StartupError for a configured file that does not exist or a state_dir where the dev
    certificates cannot be written."""
    _check_tls_files(config)
    needs_dev = None in (
        config.tls_cert,
        config.tls_key,
        config.tls_ca,
        config.tls_client_cert,
        config.tls_client_key,
    )
    try:
        certs = ensure_dev_certs(config.state_dir) if needs_dev else None
    except (OSError, ValueError) as exc:
        raise StartupError(
            f"cannot create or read dev certificates in {config.state_dir / 'certs'}: {exc}"
        ) from None
    server_pair = certs.server("walletd") if certs else None
    client_pair = certs.client("walletd") if certs else None
    ca = config.tls_ca or (certs.ca.cert if certs else None)
    server = zquic.TLSConfig(
        certfile=config.tls_cert or server_pair.cert,  # type: ignore[union-attr]
        keyfile=config.tls_key or server_pair.key,  # type: ignore[union-attr]
        cafile=ca,
    )
    client = zquic.TLSConfig(
        certfile=config.tls_client_cert or client_pair.cert,  # type: ignore[union-attr]
        keyfile=config.tls_client_key or client_pair.key,  # type: ignore[union-attr]
        cafile=ca,
    )
    return server, client


VERSION = "walletd_stub/0.1.0"


def registration(config: WalletdConfig, host: str, port: int) -> bridge_pb2.ServiceRegistration:
    """What walletd announces to GhostBridge: WalletService at this endpoint, every method."""
    return bridge_pb2.ServiceRegistration(
        service=SERVICE.full_name,
        endpoint=bridge_pb2.Endpoint(host=config.advertise_host or host, port=port),
        version=VERSION,
        weight=1,
        methods=[m.name for m in SERVICE.methods],
        lease_ttl_ms=15_000,
    )


async def _register(
    config: WalletdConfig, tls: zquic.TLSConfig, host: str, port: int, log: Any
) -> None:
    # The same lease keeper ghostd uses (register, renew at ttl/3, release on shutdown).
    from ghostkit.registration import register_forever

    bridge = config.node_endpoint
    await register_forever(
        bridge.host, bridge.port, tls=tls, registration=registration(config, host, port), log=log
    )


async def run(config: WalletdConfig, ctx: DaemonContext[WalletdConfig]) -> None:
    """`main` for ghostkit.run_daemon."""
    log = ctx.log
    if config.kdf_profile == "fast_insecure":
        log.warning("kdf_fast_insecure", note="new keys are barely protected: tests only")
    server_tls, client_tls = await trio.to_thread.run_sync(tls_configs, config)
    try:
        keystore = await trio.to_thread.run_sync(KeyStore, config.keystore_path)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise StartupError(f"key store {config.keystore_path}: {exc}") from None
    try:
        async with trio.open_nursery() as nursery:
            node = QuicNodeClient(
                config.node_endpoint,
                client_tls,
                nursery,
                via_bridge=bool(config.bridge),
                timeout=config.node_timeout,
                connect_timeout=config.node_timeout,
            )
            servicer = WalletServicer(
                keystore,
                node,
                kdf=KDF_PROFILES[config.kdf_profile],
                stream_reconnect_timeout=config.stream_reconnect_timeout,
            )
            server = RpcServer(on_call_done=metrics_hook(ctx.rpc), logger=log)
            server.add_service(SERVICE, count_in_flight(servicer, SERVICE, ctx.rpc))
            with listening(config.listen_host, config.listen_port):
                endpoint: Any = await nursery.start(
                    functools.partial(
                        serve_rpc, server, config.listen_host, config.listen_port, tls=server_tls
                    )
                )
            host, port = endpoint.local_address[:2]
            log.info(
                "listening",
                host=host,
                port=port,
                service=SERVICE.full_name,
                keystore=str(config.keystore_path),
                node=str(config.node_endpoint),
                via_bridge=bool(config.bridge),
            )
            if config.bridge and config.bridge_register:
                nursery.start_soon(_register, config, client_tls, host, port, log)
            ctx.ready()
            # Drain (ghostkit.rpcserve): new calls get UNAVAILABLE, streams end with
            # UNAVAILABLE, unary calls in flight finish and their replies leave; then the
            # endpoint closes (pending replies are flushed before CONNECTION_CLOSE).
            await drain_rpc(ctx, server)
            nursery.cancel_scope.cancel()
    finally:
        keystore.close()
