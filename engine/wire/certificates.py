"""Throw-away certificates for two nodes, and the fingerprints that pin them.

Two companies that run Crossmesh authenticate each other by certificate (mutual TLS, DESIGN §2),
and each pins the other's certificate by its SHA-256 fingerprint, so that a certificate the
authority might issue to anyone else is still refused. A real deployment brings its own
certificates (any PEM pair whose certificate carries the node's address as a subject alternative
name); for the demo and the tests :func:`write_demo_certificates` makes a fresh authority, one
certificate per party for ``127.0.0.1``/``localhost``, and **throws the authority's key away**, so
that nothing else can ever be issued under it.

Folder layout (``crossmesh certs --out DIR``)::

    DIR/ca.pem                    the authority both nodes trust (certificate only)
    DIR/airline.pem, airline.key  the airline node's certificate and key (key mode 0600)
    DIR/carrier.pem, carrier.key  the carrier node's certificate and key (key mode 0600)
    DIR/dashboard.pem, .key       the airline's dashboard, the one client of the airline node's
                                  local API (:mod:`engine.wire.airline_api`)
    DIR/fingerprints.json         {"airline": HEX, "carrier": HEX, "dashboard": HEX}: what each
                                  side pins
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from foundation.errors import ConfigError

__all__ = [
    "NODES",
    "Authority",
    "NodeIdentity",
    "create_authority",
    "fingerprint",
    "issue_node",
    "load_identity",
    "read_fingerprints",
    "write_demo_certificates",
]

NODES = ("airline", "carrier", "dashboard")
VALID_DAYS = 30
DEMO_HOSTS = ("127.0.0.1", "localhost")
FINGERPRINTS_FILE = "fingerprints.json"


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its certificate and (while it issues) its private key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        """The authority's certificate, PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class NodeIdentity:
    """What one node presents and trusts: its certificate and key, and the authority (PEM)."""

    party: str
    certificate_pem: bytes
    key_pem: bytes
    authority_pem: bytes

    def __post_init__(self) -> None:
        if self.party not in NODES:
            raise ConfigError(f"a node is one of {NODES}, not {self.party!r}")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of this node's certificate (DER), hex: what the other node pins."""
        return fingerprint(self.certificate_pem)


def fingerprint(certificate_pem: bytes) -> str:
    """SHA-256 fingerprint (hex, lower case) of a PEM certificate's DER encoding."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as err:
        raise ConfigError("not a PEM certificate; check the certificate file") from err
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Crossmesh demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


_CA_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def create_authority(name: str = "Crossmesh throw-away CA") -> Authority:
    """A fresh self-signed authority (P-256), valid for :data:`VALID_DAYS` days."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(certificate, key)


def _alternative_names(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue_node(
    authority: Authority, party: str, hosts: tuple[str, ...] = DEMO_HOSTS
) -> NodeIdentity:
    """A certificate for ``party``'s node at ``hosts``, usable as TLS server and client."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(f"crossmesh-{party}"))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_alternative_names(hosts), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return NodeIdentity(
        party, certificate.public_bytes(serialization.Encoding.PEM), key_pem, authority.pem
    )


def write_demo_certificates(out: Path, hosts: tuple[str, ...] = DEMO_HOSTS) -> dict[str, str]:
    """Write a fresh authority, both nodes' and the dashboard's certificates into ``out``.

    Returns the fingerprints (one per entry of :data:`NODES`).

    The authority's key is never written: once the certificates exist, nothing else can be
    issued under it. Keys are written with mode 0600.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    authority = create_authority()
    (out / "ca.pem").write_bytes(authority.pem)
    prints: dict[str, str] = {}
    for party in NODES:
        identity = issue_node(authority, party, hosts)
        (out / f"{party}.pem").write_bytes(identity.certificate_pem)
        key_path = out / f"{party}.key"
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(identity.key_pem)
        os.chmod(key_path, 0o600)
        prints[party] = identity.fingerprint
    (out / FINGERPRINTS_FILE).write_text(json.dumps(prints, indent=2) + "\n", encoding="utf-8")
    return prints


def load_identity(folder: Path, party: str) -> NodeIdentity:
    """``party``'s certificate, key and the authority from a certificates folder."""
    folder = Path(folder)
    paths = (folder / f"{party}.pem", folder / f"{party}.key", folder / "ca.pem")
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise ConfigError(
            f"the certificates folder {folder} lacks {', '.join(missing)}; "
            "create it with 'crossmesh certs --out DIR' or bring the deployment's own"
        )
    certificate, key, authority = (path.read_bytes() for path in paths)
    identity = NodeIdentity(party, certificate, key, authority)
    fingerprint(certificate)  # a readable certificate, or a clear error now
    return identity


def read_fingerprints(folder: Path) -> dict[str, str]:
    """The fingerprints :func:`write_demo_certificates` recorded (empty if there is no file)."""
    path = Path(folder) / FINGERPRINTS_FILE
    if not path.is_file():
        return {}
    return {str(k): str(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
