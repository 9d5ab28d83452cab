"""Registration of a daemon's service with a GhostBridge, shared by every daemon:
SERVICE_REGISTER once, HEALTH_CHECK to renew the lease, release on shutdown. Uses the control
codec of zquic.rpc on a raw control stream."""

from __future__ import annotations

from typing import Any

import structlog
import trio
from ghost.bridge.v1 import bridge_pb2
from zquic.rpc import ALPN, ControlCodec, StatusCode

__all__ = ["register_forever"]

_log = structlog.get_logger("ghostkit.registration")


class _Refused(Exception):
    pass


async def _exchange(stream: Any, codec: ControlCodec, message: Any) -> Any:
    await stream.send_all(codec.encode(message))
    while True:
        data = await stream.receive_some(65536)
        if not data:
            codec.receive_eof()
            raise trio.BrokenResourceError("bridge closed the control stream")
        for msg in codec.receive_data(data):
            return msg.message


async def register_forever(
    host: str,
    port: int,
    *,
    tls: Any,
    registration: bridge_pb2.ServiceRegistration,
    log: Any = _log,
    registered: trio.Event | None = None,
) -> None:
    """Keep `registration` alive at the bridge until cancelled; reconnect with backoff.
    On cancellation the lease is released (best effort, bounded)."""
    import zquic

    backoff = 0.5
    while True:
        try:
            async with zquic.connect(host, port, tls=tls, alpn_protocols=[ALPN]) as conn:
                stream = await conn.open_stream()
                codec = ControlCodec(server=False)
                resp = await _exchange(
                    stream, codec, bridge_pb2.RegisterRequest(registration=registration)
                )
                if resp.result.code != StatusCode.OK:
                    raise _Refused(resp.result.message or StatusCode(resp.result.code).name)
                lease, instance = resp.lease_id, resp.instance_id
                ttl = max(resp.ttl_ms, 300) / 1000
                log.info(
                    "bridge_registered",
                    bridge=f"{host}:{port}",
                    lease_ttl=ttl,
                    instance_id=instance,
                )
                if registered is not None:
                    registered.set()
                backoff = 0.5
                try:
                    while True:
                        await trio.sleep(ttl / 3)  # renewal cadence, not synchronisation
                        renew = await _exchange(
                            stream,
                            codec,
                            bridge_pb2.HealthCheckRequest(
                                lease_id=lease, instance_id=instance, status=bridge_pb2.SERVING
                            ),
                        )
                        if renew.result.code != StatusCode.OK:
                            raise _Refused(renew.result.message or "lease renewal refused")
                finally:
                    with trio.move_on_after(2) as cleanup:
                        cleanup.shield = True
                        try:
                            await _exchange(
                                stream,
                                codec,
                                bridge_pb2.HealthCheckRequest(
                                    lease_id=lease, instance_id=instance, release=True
                                ),
                            )
                        except Exception:  # best effort: the lease expires anyway
                            pass
        except Exception as exc:  # transport errors, refusals: retry
            log.warning(
                "bridge_registration_failed",
                bridge=f"{host}:{port}",
                error=str(exc) or type(exc).__name__,
            )
        await trio.sleep(backoff)
        backoff = min(backoff * 2, 10.0)
