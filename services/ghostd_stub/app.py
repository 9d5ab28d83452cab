"""Daemon wiring: genesis, validator key, storage, node, RPC endpoint, peers, bridge."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import trio
from ghost.bridge.v1 import bridge_pb2
from ghostchain.fees import FeeSchedule
from ghostchain.genesis import Genesis, dev_account, dev_genesis, load_genesis
from ghostkit.daemon import DaemonContext, listening
from ghostkit.daemon import StartupError as DaemonStartupError
from ghostkit.metrics import count_in_flight
from ghostkit.rpcserve import drain_rpc
from prometheus_client import Counter, Gauge
from zcrypto import KeyType, ed25519
from zcrypto.address import derive_address, format_address
from zcrypto.errors import CryptoError, KeyFileFormatError, WrongPassphraseError
from zcrypto.keyfile import INTERACTIVE, open_key, read_key_file, seal_key, write_key_file

from .chain import ChainCore, Committed
from .config import GhostdConfig
from .node import SERVICE, VERSION, Node, now_ns, parse_endpoint
from .server import GhostDService
from .storage import Storage, StorageError

__all__ = ["StartupError", "main", "open_storage", "resolve_chain"]


class StartupError(DaemonStartupError):
    """A setting or file prevents the node from starting; the message says which.

    Derives from ghostkit.daemon.StartupError, so run_daemon ends the process with the one line
    `ghostd: <message>` on stderr and exit code 1, without a traceback."""


def _load_or_create_key(path: Path, passphrase: str, log: Any) -> bytes:
    if not passphrase:
        raise StartupError(
            "validator_key_file needs validator_passphrase (env GHOST_GHOSTD_VALIDATOR_PASSPHRASE)"
        )
    if path.exists():
        try:
            key_type, secret = open_key(read_key_file(path), passphrase)
        except WrongPassphraseError:
            raise StartupError(
                f"validator key file {path}: wrong passphrase or corrupted key file"
                " (the passphrase comes from GHOST_GHOSTD_VALIDATOR_PASSPHRASE)"
            ) from None
        except KeyFileFormatError as exc:
            raise StartupError(
                f"validator key file {path} is corrupt or not a zcrypto key file ({exc})"
            ) from None
        except CryptoError as exc:
            raise StartupError(f"validator key file {path}: {exc}") from None
        except OSError as exc:
            raise StartupError(
                f"validator key file {path}: cannot read it: {exc.strerror or exc}"
            ) from None
        if key_type is not KeyType.ED25519:
            raise StartupError(f"validator key file {path} must hold an Ed25519 key")
        return secret
    seed, public = ed25519.generate_keypair()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_key_file(
            path,
            seal_key(
                seed,
                passphrase,
                key_type=KeyType.ED25519,
                ops_limit=INTERACTIVE.ops_limit,
                mem_limit=INTERACTIVE.mem_limit,
            ),
        )
    except OSError as exc:
        raise StartupError(
            f"validator key file {path}: cannot create it: {exc.strerror or exc}"
        ) from None
    log.info(
        "validator_key_created",
        path=str(path),
        public_key=public.hex(),
        address=format_address(derive_address(KeyType.ED25519, public)),
    )
    return seed


def resolve_chain(config: GhostdConfig, log: Any) -> tuple[Genesis, bytes | None]:
    """(genesis, validator seed or None) from the genesis and key settings."""
    seed: bytes | None = None
    if config.validator_key_file is not None:
        seed = _load_or_create_key(config.validator_key_file, config.validator_passphrase, log)
    fees = FeeSchedule(base_fee=config.base_fee, fee_per_byte=config.fee_per_byte)
    if config.genesis_file is not None:
        try:
            genesis = load_genesis(config.genesis_file)
        except ValueError as exc:
            raise StartupError(str(exc)) from None
        if seed is not None and ed25519.public_key(seed) != genesis.validator_key:
            log.warning("validator_key_not_in_genesis", genesis=str(config.genesis_file))
            seed = None
        return genesis, seed
    genesis = dev_genesis(config.chain_id, fees)
    if seed is None:
        # PUBLIC dev validator key: dev chains only (docs/ghostd.md).
        seed = dev_account("validator").secret
    else:
        genesis = attrs.evolve(genesis, validator_key=ed25519.public_key(seed))
    return genesis, seed


def _tls(config: GhostdConfig) -> tuple[Any, Any]:
    try:
        return _tls_configs(config)
    except (OSError, ValueError) as exc:
        what = getattr(exc, "filename", None)
        reason = getattr(exc, "strerror", None) or str(exc)
        where = f" ({what})" if what else ""
        raise StartupError(f"TLS certificates{where}: {reason}") from None


def _tls_configs(config: GhostdConfig) -> tuple[Any, Any]:
    from ghostkit.certs import ensure_dev_certs
    from zquic.tls import TLSConfig

    if config.tls_cert and config.tls_key:
        ca = config.tls_ca
        server = TLSConfig(certfile=config.tls_cert, keyfile=config.tls_key, cafile=ca)
        return server, TLSConfig(cafile=ca)
    certs = ensure_dev_certs(config.state_dir)
    server = TLSConfig.from_dev_certs(certs, "ghostd", server=True)
    client = TLSConfig.from_dev_certs(certs, "ghostd", server=False)
    if config.tls_ca:
        client = attrs.evolve(client, cafile=config.tls_ca)
    return server, client


def open_storage(config: GhostdConfig) -> Storage:
    """The node database; StartupError naming the path if it cannot be created or opened."""
    db_path = config.database_path()
    try:
        return Storage(db_path, synchronous=config.sqlite_synchronous)
    except StorageError as exc:
        raise StartupError(str(exc)) from None
    except OSError as exc:
        raise StartupError(
            f"data directory {db_path.parent}: {exc.strerror or exc} (set --data-dir or"
            " --state-dir to a writable directory)"
        ) from None


def _metrics(ctx: DaemonContext[GhostdConfig], node: Node) -> None:
    height = Gauge("ghostd_chain_height", "Height of the best block", registry=ctx.registry)
    mempool = Gauge("ghostd_mempool_size", "Transactions in the mempool", registry=ctx.registry)
    blocks = Counter(
        "ghostd_blocks_committed", "Blocks stored since start", ("source",), registry=ctx.registry
    )
    txs = Counter(
        "ghostd_transactions_included",
        "Transactions included in stored blocks",
        registry=ctx.registry,
    )
    height.set_function(lambda: node.tip_height)
    mempool.set_function(lambda: len(node.core.mempool))

    def on_commit(committed: Committed) -> None:
        blocks.labels(source="produced" if node.producing else "peer").inc()
        txs.inc(len(committed.infos))

    node.on_commit = on_commit


async def main(config: GhostdConfig, ctx: DaemonContext[GhostdConfig]) -> None:
    from zquic.rpc import RpcServer, serve_rpc
    from zquic.rpc.server import metrics_hook

    log = ctx.log
    # Everything that can fail because of a setting or a file happens here, before any
    # nursery of ours, and raises StartupError (one line for the operator, no traceback).
    genesis, seed = resolve_chain(config, log)
    if config.role == "validator" and seed is None:
        raise StartupError(
            "role=validator needs the genesis validator key (validator_key_file holding the key"
            " the genesis file names)"
        )
    producing = seed is not None and (
        config.role == "validator" or (config.role == "auto" and not config.peers)
    )
    try:
        await trio.socket.getaddrinfo(
            config.listen_host, config.listen_port, type=trio.socket.SOCK_DGRAM
        )
    except socket.gaierror as exc:
        raise StartupError(
            f"listen_host {config.listen_host!r}: unknown address ({exc.strerror or exc})"
        ) from None
    server_tls, client_tls = await trio.to_thread.run_sync(_tls, config)
    db_path = config.database_path()
    storage = await trio.to_thread.run_sync(open_storage, config)
    node: Node | None = None
    try:
        try:
            core = await trio.to_thread.run_sync(
                lambda: ChainCore(
                    storage,
                    genesis,
                    validator_seed=seed if producing else None,
                    max_tx_size=config.max_tx_size,
                    mempool_max_bytes=config.mempool_max_bytes,
                    max_block_txs=config.max_block_txs,
                )
            )
        except StorageError as exc:  # e.g. the database of another genesis
            raise StartupError(str(exc)) from None
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise StartupError(f"database {db_path}: {exc}") from None
        node = Node(
            core,
            block_interval=config.block_interval,
            producing=producing,
            client_tls=client_tls,
            log=log,
        )
        _metrics(ctx, node)
        service = GhostDService(node, admin_token=config.admin_token)

        rpc = RpcServer(on_call_done=metrics_hook(ctx.rpc), logger=log)
        rpc.add_service(SERVICE, count_in_flight(service, SERVICE, ctx.rpc))
        async with trio.open_nursery() as nursery:
            await node.start(nursery)
            for row in await node.run_sync(storage.peers_load):
                if row.banned_until_ns > now_ns():
                    node.bans[row.endpoint] = (row.banned_until_ns, row.reason)
                elif row.permanent:
                    node.add_peer(row.endpoint, True)
            for endpoint in config.peers:
                node.add_peer(endpoint, True)
            with listening(config.listen_host, config.listen_port):
                endpoint = await nursery.start(
                    lambda task_status: serve_rpc(
                        rpc,
                        config.listen_host,
                        config.listen_port,
                        tls=server_tls,
                        task_status=task_status,
                    )
                )
            host, port = endpoint.local_address[:2]
            log.info(
                "rpc_listening",
                host=host,
                port=port,
                chain_id=core.chain_id,
                height=node.tip_height,
                producing=producing,
                pid=os.getpid(),
            )
            if config.bridge_endpoint:
                from ghostkit.registration import register_forever

                bhost, bport = parse_endpoint(config.bridge_endpoint)
                registration = bridge_pb2.ServiceRegistration(
                    service=SERVICE.full_name,
                    endpoint=bridge_pb2.Endpoint(host=config.advertise_host or host, port=port),
                    version=VERSION,
                    weight=1,
                    methods=[m.name for m in SERVICE.methods],
                    lease_ttl_ms=15_000,
                )
                nursery.start_soon(
                    lambda: register_forever(
                        bhost, bport, tls=client_tls, registration=registration, log=log
                    )
                )
            ctx.ready()
            # Drain (ghostkit.rpcserve): new calls get UNAVAILABLE, streams end with
            # UNAVAILABLE, submissions in flight finish and their replies leave; then the
            # endpoint closes. An acknowledged transaction is in the stored mempool.
            await drain_rpc(ctx, rpc)
            nursery.cancel_scope.cancel()
    finally:
        # Waits for any in-flight write (worker threads are never abandoned), then closes.
        if node is not None:
            async with node.lock:
                storage.close()
        else:
            storage.close()
        log.info("storage_closed", path=str(db_path))
