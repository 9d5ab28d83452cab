"""`ghostnet call`: call any GhostNet RPC over QUIC with JSON in and JSON out.

Methods are looked up in the generated contracts (`libs/ghost`), so every service in `proto/`
is callable without per-service code; requests and responses use protobuf's JSON mapping.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import pkgutil
import sys
from pathlib import Path
from typing import Any, TextIO

import ghost
import trio
from google.protobuf import descriptor_pool, json_format
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message_factory import GetMessageClass


class CallUsageError(Exception):
    """A bad target, method name or request body: reported on stderr, exit 2."""


def load_contracts() -> None:
    """Import every generated module so the default descriptor pool knows all services."""
    for info in pkgutil.walk_packages(ghost.__path__, prefix="ghost."):
        if info.name.endswith("_pb2"):
            importlib.import_module(info.name)


def list_methods() -> list[str]:
    load_contracts()
    names: list[str] = []
    for info in pkgutil.walk_packages(ghost.__path__, prefix="ghost."):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            names.extend(f"/{service.full_name}/{m.name}" for m in service.methods)
    return sorted(names)


def resolve_method(path: str) -> tuple[ServiceDescriptor, MethodDescriptor]:
    """`/pkg.Service/Method` or `pkg.Service.Method` -> descriptors, with a clear error."""
    load_contracts()
    text = path.strip("/")
    service_name, sep, method_name = text.replace("/", ".").rpartition(".")
    if not sep or not service_name:
        raise CallUsageError(f"method {path!r}: expected /package.Service/Method")
    try:
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except KeyError:
        raise CallUsageError(f"unknown service {service_name!r} (try --list)") from None
    method = service.methods_by_name.get(method_name)
    if method is None:
        raise CallUsageError(f"service {service_name} has no method {method_name!r} (try --list)")
    return service, method


def parse_target(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()):
        raise CallUsageError(f"target {target!r}: expected HOST:PORT, e.g. 127.0.0.1:8081")
    if not 1 <= int(port) <= 65535:
        raise CallUsageError(f"target {target!r}: port {int(port)} is not in 1-65535")
    return host.strip("[]") or "127.0.0.1", int(port)


def find_cafile(cafile: str | None, state_dir: Path) -> str:
    """The CA to verify the server with: --cafile, else the dev CA of the state directory.

    Never creates a CA: a new one could not verify the running daemons anyway."""
    if cafile:
        if not Path(cafile).is_file():
            raise CallUsageError(f"--cafile {cafile}: no such file")
        return cafile
    dev_ca = state_dir / "certs" / "ca.pem"
    if not dev_ca.is_file():
        raise CallUsageError(
            f"no dev CA at {dev_ca}: pass --state-dir of the running daemons (or --cafile)"
        )
    return str(dev_ca)


# TLS alerts (RFC 8446 §6) that mean the peer's certificate was refused; QUIC carries them as
# CRYPTO_ERROR 0x100 + alert.
_CERT_ALERTS = {42, 43, 44, 45, 46, 48, 116}


def certificate_refused(exc: BaseException) -> bool:
    """True when a QUIC connection failed because a certificate did not verify."""
    code = getattr(exc, "error_code", None)
    reason = str(getattr(exc, "reason", "") or exc).lower()
    by_alert = isinstance(code, int) and 0x100 <= code <= 0x1FF and code - 0x100 in _CERT_ALERTS
    return by_alert or "certificate" in reason


def parse_requests(method: MethodDescriptor, body: str) -> list[Any]:
    cls = GetMessageClass(method.input_type)
    try:
        data = json.loads(body) if body.strip() else {}
    except json.JSONDecodeError as exc:
        raise CallUsageError(f"request is not JSON: {exc}") from None
    items = data if method.client_streaming and isinstance(data, list) else [data]
    try:
        return [json_format.ParseDict(item, cls()) for item in items]
    except json_format.ParseError as exc:
        raise CallUsageError(f"request does not fit {method.input_type.full_name}: {exc}") from None


def to_json(message: Any) -> str:
    return json.dumps(json_format.MessageToDict(message), sort_keys=True)


async def _invoke(
    channel: Any,
    service: ServiceDescriptor,
    method: MethodDescriptor,
    requests: list[Any],
    args: argparse.Namespace,
    out: TextIO,
) -> None:
    from zquic.rpc import Stub

    call = getattr(Stub(channel, service), method.name)
    if not method.server_streaming:
        arg = requests if method.client_streaming else requests[0]
        print(to_json(await call(arg, timeout=args.timeout)), file=out)
        return
    count = 0
    if method.client_streaming:
        cm = call(timeout=args.timeout)
    else:
        cm = call(requests[0], timeout=args.timeout)
    async with cm as stream:
        if method.client_streaming:
            for request in requests:
                await stream.send(request)
            await stream.done_writing()
        async for event in stream:
            print(to_json(event), file=out, flush=True)
            count += 1
            if args.max and count >= args.max:
                break


async def run_call(args: argparse.Namespace, out: TextIO) -> int:
    from zquic.errors import ZquicError
    from zquic.rpc import RpcError, connect_rpc
    from zquic.tls import TLSConfig

    service, method = resolve_method(args.method)
    requests = parse_requests(method, args.data)
    host, port = parse_target(args.target)
    cafile = find_cafile(args.cafile, Path(args.state_dir))
    tls = TLSConfig(cafile=cafile, server_name=args.server_name)
    try:
        # QUIC to a closed port gets no answer at all: bound the handshake ourselves, then
        # lift the bound (the call has its own deadline; a stream may run for long).
        with trio.CancelScope(deadline=trio.current_time() + args.connect_timeout) as scope:
            async with connect_rpc(host, port, tls=tls) as channel:
                scope.deadline = math.inf
                await _invoke(channel, service, method, requests, args, out)
        if scope.cancelled_caught:
            print(
                f"ghostnet call: no QUIC answer from {host}:{port} "
                f"within {args.connect_timeout:g} s",
                file=sys.stderr,
            )
            return 1
    except RpcError as err:
        print(f"ghostnet call: {err.code.name}: {err.message}", file=sys.stderr)
        return 1
    except (OSError, ZquicError) as exc:
        print(f"ghostnet call: {host}:{port}: {exc}", file=sys.stderr)
        if certificate_refused(exc):
            source = f"--cafile {cafile}" if args.cafile else f"the dev CA {cafile}"
            print(
                f"ghostnet call: hint: the server's certificate is not signed by {source} or "
                f"not valid for TLS name {args.server_name!r}: pass --state-dir of the running "
                "daemons (or --cafile / --server-name)",
                file=sys.stderr,
            )
        return 1
    return 0


def add_parser(sub: Any, state_help: str) -> None:
    call = sub.add_parser(
        "call",
        help="call an RPC over QUIC with a JSON request, print JSON responses",
        description=(
            "Call any service in proto/ over ghostbridge/1. Example: ghostnet call "
            "127.0.0.1:8081 /ghost.node.v1.GhostDService/GetAccount "
            '\'{"address": "gh1..."}\'. Server streams print one JSON object per line.'
        ),
    )
    call.add_argument("target", nargs="?", help="HOST:PORT of the daemon (QUIC)")
    call.add_argument("method", nargs="?", help="/package.Service/Method")
    call.add_argument("data", nargs="?", default="{}", help="request as JSON (default {})")
    call.add_argument("--list", action="store_true", help="list every callable method and exit")
    call.add_argument("--state-dir", help=state_help + "; its dev CA verifies the server")
    call.add_argument("--cafile", help="CA bundle to verify the server (overrides the dev CA)")
    call.add_argument(
        "--server-name", default="localhost", help="TLS server name (default localhost)"
    )
    call.add_argument("--timeout", type=float, default=10.0, help="call deadline, seconds")
    call.add_argument("--connect-timeout", type=float, default=5.0, help="handshake limit, seconds")
    call.add_argument("--log-level", default="warning", help="library log level (stderr)")
    call.add_argument("--max", type=int, default=0, help="stop a stream after N events")
    call.set_defaults(func=cmd_call)


def cmd_call(args: argparse.Namespace) -> int:
    from ghostkit.cli import _state_dir
    from ghostkit.logging import setup_logging

    if args.list:
        print("\n".join(list_methods()))
        return 0
    if not args.target or not args.method:
        print("ghostnet call: need TARGET and METHOD (or --list)", file=sys.stderr)
        return 2
    args.state_dir = _state_dir(args.state_dir)
    # Library logs go to stderr and only when they matter: stdout carries the JSON answers.
    setup_logging(args.log_level, "console", "ghostnet")
    try:
        return trio.run(run_call, args, sys.stdout)
    except CallUsageError as exc:
        print(f"ghostnet call: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
