"""Throw-away certificates: what ``crossmesh certs`` writes, and how a node's identity is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509

from engine.wire.certificates import (
    fingerprint,
    load_identity,
    read_fingerprints,
    write_demo_certificates,
)
from foundation.errors import ConfigError


def test_demo_certificates_pin_each_node(tmp_path: Path) -> None:
    """Both nodes' and the dashboard's certificates, keys 0600, their fingerprints recorded,
    no authority key kept."""
    prints = write_demo_certificates(tmp_path)
    assert read_fingerprints(tmp_path) == prints
    assert json.loads((tmp_path / "fingerprints.json").read_text()) == prints
    assert len(set(prints.values())) == 3
    for party in ("airline", "carrier", "dashboard"):
        assert fingerprint((tmp_path / f"{party}.pem").read_bytes()) == prints[party]
        assert (tmp_path / f"{party}.key").stat().st_mode & 0o777 == 0o600
        assert load_identity(tmp_path, party).fingerprint == prints[party]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "airline.key", "airline.pem", "ca.pem", "carrier.key", "carrier.pem", "dashboard.key",
        "dashboard.pem", "fingerprints.json",
    ]  # fmt: skip


def test_node_certificates_name_the_loopback_address(tmp_path: Path) -> None:
    """Each node's certificate carries 127.0.0.1 and localhost, for TLS server and client use."""
    write_demo_certificates(tmp_path)
    certificate = x509.load_pem_x509_certificate((tmp_path / "carrier.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]


def test_a_missing_certificate_is_a_config_error_naming_it(tmp_path: Path) -> None:
    """A certificates folder without the node's files says which are missing and what to run."""
    with pytest.raises(ConfigError, match=r"carrier\.pem.*crossmesh certs"):
        load_identity(tmp_path, "carrier")


def test_a_file_that_is_not_a_certificate_is_refused(tmp_path: Path) -> None:
    """Garbage in a .pem file is a ConfigError, not a crash."""
    with pytest.raises(ConfigError, match="not a PEM certificate"):
        fingerprint(b"not a certificate")
