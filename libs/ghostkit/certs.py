"""Development PKI: one dev CA, and a server plus client certificate per daemon.

`ensure_dev_certs()` is idempotent: files that exist and are still valid are kept, so every
daemon started against the same state directory trusts the same CA. Layout of the directory:

    certs/ca.pem  certs/ca.key
    certs/<name>.pem  certs/<name>.key             server certificate (serverAuth)
    certs/<name>-client.pem  certs/<name>-client.key   client certificate (clientAuth)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAEMONS: tuple[str, ...] = ("ghostbridge", "walletd", "ghostd", "cns", "wraith")
# Names a daemon answers to on loopback and inside docker-compose.
LOOPBACK_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)


@attrs.frozen
class CertPair:
    cert: Path
    key: Path


@attrs.frozen
class DevCerts:
    directory: Path
    ca: CertPair
    servers: dict[str, CertPair]
    clients: dict[str, CertPair]

    def server(self, name: str) -> CertPair:
        return self.servers[name]

    def client(self, name: str) -> CertPair:
        return self.clients[name]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_valid(pair: CertPair) -> x509.Certificate | None:
    if not (pair.cert.exists() and pair.key.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    except ValueError:
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return None
    return cert


def _san_entries(names: Iterable[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def _covers(cert: x509.Certificate, names: Iterable[str]) -> bool:
    """True if the certificate already names every requested SAN (else it must be reissued)."""
    try:
        present = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return all(entry in present for entry in _san_entries(names))


def _issue_ca(pair: CertPair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "GhostNet dev CA")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(pair.key, _key_pem(key))
    _write_public(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue_leaf(
    pair: CertPair,
    common_name: str,
    names: Iterable[str],
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    *,
    client: bool,
) -> None:
    """Write a leaf certificate signed by the given CA (also used by tests for rogue CAs)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    sans = _san_entries(names)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_private(pair.key, _key_pem(key))
    _write_public(pair.cert, cert.public_bytes(serialization.Encoding.PEM))


def ensure_dev_certs(
    state_dir: str | os.PathLike[str],
    daemons: Iterable[str] = DAEMONS,
    extra_names: Iterable[str] = (),
) -> DevCerts:
    """Create (or reuse) the dev CA and per-daemon certificates under `state_dir/certs`."""
    directory = Path(state_dir) / "certs"
    directory.mkdir(parents=True, exist_ok=True)
    ca = CertPair(directory / "ca.pem", directory / "ca.key")
    ca_cert = _load_valid(ca)
    reissue_all = ca_cert is None
    if ca_cert is None:
        ca_cert, ca_key = _issue_ca(ca)
    else:
        loaded = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        ca_key = loaded

    servers: dict[str, CertPair] = {}
    clients: dict[str, CertPair] = {}
    extra = tuple(extra_names)
    for name in daemons:
        names = (name, *LOOPBACK_NAMES, *extra)
        for is_client, table, suffix in ((False, servers, ""), (True, clients, "-client")):
            pair = CertPair(directory / f"{name}{suffix}.pem", directory / f"{name}{suffix}.key")
            leaf = None if reissue_all else _load_valid(pair)
            if leaf is None or leaf.issuer != ca_cert.subject or not _covers(leaf, names):
                issue_leaf(pair, f"{name}{suffix}", names, ca_cert, ca_key, client=is_client)
            table[name] = pair
    return DevCerts(directory=directory, ca=ca, servers=servers, clients=clients)
