"""TLS settings for zquic endpoints: certificates, peer verification, mTLS, session tickets."""

from __future__ import annotations

import datetime as dt
import ssl
from collections import OrderedDict
from pathlib import Path
from typing import Any

import attrs
import structlog
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from .errors import ConfigurationError

log = structlog.get_logger("zquic.tls")

PathLike = str | Path


def _opt_path(value: PathLike | None) -> Path | None:
    return None if value is None else Path(value)


@attrs.frozen
class TLSConfig:
    """TLS material and policy of one endpoint (client or server).

    Client: `cafile` holds the trust anchors the server certificate is verified against
    (with `server_name`, default: the host passed to `connect`); `certfile`/`keyfile` are the
    client certificate presented when the server asks for one.
    Server: `certfile`/`keyfile` are required; `require_client_cert=True` with `client_cafile`
    turns on mTLS (the server verifies the client chain itself).
    """

    certfile: Path | None = attrs.field(default=None, converter=_opt_path)
    keyfile: Path | None = attrs.field(default=None, converter=_opt_path)
    cafile: Path | None = attrs.field(default=None, converter=_opt_path)
    verify_peer: bool = True
    server_name: str | None = None
    client_cafile: Path | None = attrs.field(default=None, converter=_opt_path)
    require_client_cert: bool = False
    # Server: issue session tickets (resumption + 0-RTT), kept in memory (newest N).
    session_tickets: bool = True
    ticket_store_size: int = 4096

    @classmethod
    def from_dev_certs(
        cls,
        certs: Any,
        name: str,
        *,
        server: bool,
        mtls: bool = False,
        **overrides: Any,
    ) -> TLSConfig:
        """Build a config from `ghostkit.certs.ensure_dev_certs()` output for daemon `name`."""
        if server:
            pair = certs.server(name)
            return cls(
                certfile=pair.cert,
                keyfile=pair.key,
                cafile=certs.ca.cert,
                client_cafile=certs.ca.cert if mtls else None,
                require_client_cert=mtls,
                **overrides,
            )
        pair = certs.client(name)
        return cls(certfile=pair.cert, keyfile=pair.key, cafile=certs.ca.cert, **overrides)

    def check_server(self) -> None:
        if self.certfile is None:
            raise ConfigurationError("a server needs certfile (and keyfile)")
        if self.require_client_cert and self.client_cafile is None:
            raise ConfigurationError("require_client_cert needs client_cafile")


def apply_client(config: TLSConfig, qconf: Any, server_name: str) -> None:
    """Fill a client QuicConfiguration."""
    qconf.server_name = server_name
    if config.verify_peer:
        qconf.verify_mode = ssl.CERT_REQUIRED
        if config.cafile is not None:
            qconf.load_verify_locations(cafile=str(config.cafile))
    else:
        qconf.verify_mode = ssl.CERT_NONE
        if hasattr(qconf, "verify_hostname"):
            qconf.verify_hostname = False
    if config.certfile is not None:
        qconf.load_cert_chain(
            str(config.certfile), None if config.keyfile is None else str(config.keyfile)
        )


def apply_server(config: TLSConfig, qconf: Any) -> None:
    config.check_server()
    qconf.load_cert_chain(
        str(config.certfile), None if config.keyfile is None else str(config.keyfile)
    )


class ClientCertificateVerifier:
    """Verify a client chain against `client_cafile`: signatures, validity, clientAuth EKU."""

    def __init__(self, client_cafile: Path) -> None:
        anchors = x509.load_pem_x509_certificates(Path(client_cafile).read_bytes())
        if not anchors:
            raise ConfigurationError(f"no certificates in {client_cafile}")
        self._store = Store(anchors)

    def __call__(self, leaf: x509.Certificate, intermediates: list[x509.Certificate]) -> None:
        verifier = (
            PolicyBuilder().store(self._store).time(dt.datetime.now(dt.UTC)).build_client_verifier()
        )
        # Raises cryptography.x509.verification.VerificationError when untrusted.
        verifier.verify(leaf, intermediates)


class TicketStore:
    """In-memory server ticket store (bounded; a ticket is usable once, as RFC 8446 advises)."""

    def __init__(self, max_size: int = 4096) -> None:
        self._tickets: OrderedDict[bytes, Any] = OrderedDict()
        self._max = max_size
        self.issued = 0
        self.resumed = 0

    def add(self, ticket: Any) -> None:
        self._tickets[ticket.ticket] = ticket
        self.issued += 1
        while len(self._tickets) > self._max:
            self._tickets.popitem(last=False)

    def pop(self, label: bytes) -> Any:
        ticket = self._tickets.pop(label, None)
        if ticket is not None:
            self.resumed += 1
        return ticket
