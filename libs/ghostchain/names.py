"""Static rules for domain names, identity names and records (no chain state needed)."""

from __future__ import annotations

import ipaddress
import re

from ghost.node.v1 import types_pb2

from .errors import TxError, TxErrorCode

__all__ = [
    "DEFAULT_DOMAIN_TTL",
    "DEFAULT_TLDS",
    "MAX_RECORDS_PER_DOMAIN",
    "normalize_query_name",
    "validate_domain_name",
    "validate_identity_name",
    "validate_metadata",
    "validate_record",
]

DEFAULT_TLDS: tuple[str, ...] = ("ghost", "zns", "eth")
# Applied when RegisterDomain gives ttl 0.
DEFAULT_DOMAIN_TTL = 3600
MAX_RECORDS_PER_DOMAIN = 256
MAX_TTL = 7 * 24 * 3600
MAX_METADATA_ENTRIES = 64

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Record hosts may carry service labels such as "_sip._udp".
_HOST_LABEL = re.compile(r"^(?:_[a-z0-9-]{1,62}|(?!-)[a-z0-9-]{1,63}(?<!-)|\*)$")
_IDENTITY = re.compile(r"^[a-z0-9._-]{1,64}$")
_ETH = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _malformed(message: str) -> TxError:
    return TxError(TxErrorCode.MALFORMED, message)


def validate_domain_name(name: str, tlds: tuple[str, ...] = DEFAULT_TLDS) -> None:
    """A registrable name: lowercase labels, at least two, under an accepted top-level name."""
    if not name:
        raise _malformed("domain name is empty")
    if len(name) > 253:
        raise _malformed(f"domain name is {len(name)} characters, the limit is 253")
    if name != name.lower() or name.endswith("."):
        raise _malformed(f"domain name {name!r} must be lowercase without a trailing dot")
    labels = name.split(".")
    if len(labels) < 2:
        raise _malformed(f"domain name {name!r} needs a top-level name, e.g. {name}.ghost")
    if labels[-1] not in tlds:
        raise _malformed(
            f"domain name {name!r} is not under an accepted top-level name ({', '.join(tlds)})"
        )
    for label in labels:
        if not _LABEL.match(label):
            raise _malformed(
                f"domain name {name!r} has an invalid label {label!r}"
                " (a-z, 0-9 and inner '-', 1..63 characters)"
            )


def normalize_query_name(name: str) -> str:
    """Lowercase and strip one trailing dot, as ResolveDomain accepts."""
    name = name.strip().lower()
    return name[:-1] if name.endswith(".") else name


def validate_identity_name(name: str) -> None:
    if not _IDENTITY.match(name or ""):
        raise _malformed(
            f"identity name {name!r} must be 1..64 characters of lowercase a-z, 0-9, '.', '_', '-'"
        )


def validate_metadata(metadata: dict[str, str], *, allow_empty_values: bool) -> None:
    if len(metadata) > MAX_METADATA_ENTRIES:
        raise _malformed(f"metadata has {len(metadata)} entries, the limit is 64")
    for key, value in metadata.items():
        if not key or len(key.encode()) > 64:
            raise _malformed(f"metadata key {key[:70]!r} must be 1..64 bytes")
        if len(value.encode()) > 1024:
            raise _malformed(f"metadata value of {key!r} is longer than 1024 bytes")
        if not value and not allow_empty_values:
            raise _malformed(f"metadata value of {key!r} is empty")


def _check_target(value: str, what: str) -> None:
    target = value[:-1] if value.endswith(".") else value
    labels = target.split(".")
    if not target or len(target) > 253 or not all(_HOST_LABEL.match(lb.lower()) for lb in labels):
        raise _malformed(f"{what} target {value!r} is not a valid host name")


def validate_record(record: types_pb2.DomainRecord) -> None:
    """Check one record's type, host and value; raise TxError(MALFORMED) naming the problem."""
    rtype = record.type
    if rtype == types_pb2.RECORD_TYPE_UNSPECIFIED or rtype not in types_pb2.RecordType.values():
        raise _malformed("record type is missing or unknown")
    tname = types_pb2.RecordType.Name(rtype).removeprefix("RECORD_TYPE_")
    if record.host:
        if record.host != record.host.lower() or not all(
            _HOST_LABEL.match(lb) for lb in record.host.split(".")
        ):
            raise _malformed(f"record host {record.host!r} is not a valid relative host name")
    value = record.value
    if not value:
        raise _malformed(f"{tname} record value is empty")
    if len(value.encode()) > 1024:
        raise _malformed(f"{tname} record value is longer than 1024 bytes")
    if record.ttl > MAX_TTL:
        raise _malformed(f"record ttl {record.ttl} exceeds the limit of {MAX_TTL} seconds")
    try:
        if rtype == types_pb2.RECORD_TYPE_A:
            ipaddress.IPv4Address(value)
        elif rtype == types_pb2.RECORD_TYPE_AAAA:
            ipaddress.IPv6Address(value)
        elif rtype == types_pb2.RECORD_TYPE_GHOST:
            ipaddress.ip_address(value)
    except ValueError:
        raise _malformed(f"{tname} record value {value!r} is not a valid IP address") from None
    if rtype in (types_pb2.RECORD_TYPE_CNAME, types_pb2.RECORD_TYPE_MX, types_pb2.RECORD_TYPE_SRV):
        _check_target(value, tname)
    if rtype == types_pb2.RECORD_TYPE_ETH and not _ETH.match(value):
        raise _malformed(f"ETH record value {value!r} must be 0x followed by 40 hex digits")
    if rtype == types_pb2.RECORD_TYPE_SRV and not 0 < record.port <= 65535:
        raise _malformed("SRV record needs a port between 1 and 65535")
    if rtype not in (types_pb2.RECORD_TYPE_MX, types_pb2.RECORD_TYPE_SRV) and record.priority:
        raise _malformed(f"{tname} record must not set priority")
    if rtype != types_pb2.RECORD_TYPE_SRV and (record.weight or record.port):
        raise _malformed(f"{tname} record must not set weight or port")
    if record.priority > 65535 or record.weight > 65535:
        raise _malformed("record priority and weight must be <= 65535")
