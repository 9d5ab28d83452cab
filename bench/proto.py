"""The bench service, built as a descriptor at import time (no protoc step, no temp files).

    package ghostbench;
    message Payload { bytes data = 1; }
    service Bench { rpc Unary(Payload) returns (Payload); }

A private descriptor pool keeps it apart from the project's generated contracts.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import ServiceDescriptor

PACKAGE = "ghostbench"
SERVICE = f"{PACKAGE}.Bench"
UNARY_PATH = f"/{SERVICE}/Unary"


def _build() -> tuple[type[Any], ServiceDescriptor]:
    fdp = descriptor_pb2.FileDescriptorProto(
        name="ghostbench/bench.proto", package=PACKAGE, syntax="proto3"
    )
    msg = fdp.message_type.add(name="Payload")
    msg.field.add(
        name="data",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    svc = fdp.service.add(name="Bench")
    svc.method.add(
        name="Unary", input_type=f".{PACKAGE}.Payload", output_type=f".{PACKAGE}.Payload"
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    payload = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.Payload"))
    return payload, pool.FindServiceByName(SERVICE)


Payload, BENCH_SERVICE = _build()
