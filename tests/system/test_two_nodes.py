"""Two nodes on 127.0.0.1: the carrier as its own OS process, the airline calling it over mTLS.

The carrier node is started with ``crossmesh carrier serve`` on its own workspace (prepared
first, carrier folder only) and reads ``DATA/carrier`` only; the airline runs a
:class:`~engine.nodes.NodeSession` on its own workspace. A release through the two nodes has the
embedded session's structure and is charged to both ledgers; a wrong certificate and another
protocol version are refused with clear errors; a carrier killed mid-query gives the airline a
clear error and the airline's reservation is recorded as abandoned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.ledger import LEDGER_HOME_ENV
from engine.ledger.values import AuditAction
from engine.parties.carrier import CarrierParty
from engine.queries import QuerySpec
from engine.session import SecureSession
from engine.wire.certificates import NodeIdentity, load_identity, write_demo_certificates
from engine.wire.grpc_link import LinkSettings
from engine.wire.messages import AirlineKey
from engine.wire.remote_carrier import RemoteCarrier
from engine.workspace import PartyFolder
from foundation.errors import PeerError, ProtocolError

SPEC = QuerySpec(kind="visit-map", airport="FUK", start="2025-08-01", end="2025-08-14", epsilon=1.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throw-away certificates for both nodes (``crossmesh certs``)."""
    folder = tmp_path_factory.mktemp("certs")
    write_demo_certificates(folder)
    return folder


@pytest.fixture(scope="module")
def carrier(
    node_kit: ModuleType, tiny_dir: Path, certs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A carrier node on the tiny world, in its own process and workspace (``tests/node_kit``)."""
    airline = load_identity(certs, "airline")
    node = node_kit.start_carrier(
        tiny_dir, tmp_path_factory.mktemp("carrier-ws"), certs, airline.fingerprint
    )
    yield node
    node.stop()
    assert node.process.returncode == 0  # SIGTERM: a clean stop


def test_a_release_through_two_nodes_has_the_embedded_structure(
    carrier: Any,
    node_kit: ModuleType,
    tiny_dir: Path,
    certs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A visit map through the carrier node: the embedded session's labels, both ledgers charged."""
    airline_ws = tmp_path / "airline-ws"
    with node_kit.open_session(airline_ws, tiny_dir, certs, carrier.address) as session:
        remote = session.release(SPEC)
        airline_releases = session.airline.ledger.releases()
    monkeypatch.setenv(LEDGER_HOME_ENV, str(tmp_path / "embedded-ledgers"))  # its own budgets
    with SecureSession(tmp_path / "embedded-ws", tiny_dir) as embedded:
        embedded.prepare()
        local = embedded.release(SPEC)
    assert remote.label_names == local.label_names
    assert remote.row_labels == local.row_labels
    assert len(remote.values) == len(local.values)
    assert remote.query_spec == local.query_spec
    assert [r.spec_hash for r in airline_releases] == [SPEC.spec_hash]
    workspace = Path(carrier.process.args[carrier.process.args.index("--workspace") + 1])
    party = CarrierParty(tiny_dir / "carrier", PartyFolder(workspace / "carrier"))
    try:
        assert SPEC.spec_hash in [r.spec_hash for r in party.ledger.releases()]
    finally:
        party.close()


def test_another_protocol_version_is_refused(carrier: Any, certs: Path) -> None:
    """An airline speaking protocol 3 is refused by the carrier node with a ProtocolError."""
    remote = RemoteCarrier(
        carrier.address, load_identity(certs, "airline"),
        load_identity(certs, "carrier").fingerprint, LinkSettings(version=3),
    )  # fmt: skip
    with pytest.raises(ProtocolError, match="protocol version 2, the caller 3"):
        remote.receive_key(AirlineKey(b"\x01" * 256))
    remote.close()


def test_a_certificate_of_another_authority_is_refused(
    carrier: Any, certs: Path, tmp_path: Path
) -> None:
    """An airline certificate the deployment's authority did not issue is refused at connect."""
    write_demo_certificates(tmp_path)
    stranger = load_identity(tmp_path, "airline")
    ours = load_identity(certs, "airline")
    identity = NodeIdentity(
        "airline", stranger.certificate_pem, stranger.key_pem, ours.authority_pem
    )
    remote = RemoteCarrier(carrier.address, identity, load_identity(certs, "carrier").fingerprint)
    with pytest.raises(PeerError, match="refused this airline's certificate"):
        remote.receive_key(AirlineKey(b"\x01" * 256))
    remote.close()


def test_a_killed_carrier_is_a_clear_error_and_the_next_query_works_after_a_restart(
    node_kit: ModuleType, tiny_dir: Path, certs: Path, tmp_path: Path
) -> None:
    """The carrier node is killed (SIGKILL) once both sides reserved: the airline reports it and
    records its reservation as abandoned; restarted, the node serves the same query."""
    airline = load_identity(certs, "airline")
    carrier_ws, airline_ws = tmp_path / "carrier-ws", tmp_path / "airline-ws"
    node = node_kit.start_carrier(
        tiny_dir, carrier_ws, certs, airline.fingerprint, "node.Reblind:kill"
    )
    try:
        with node_kit.open_session(airline_ws, tiny_dir, certs, node.address) as session:
            with pytest.raises(PeerError, match="cannot be reached or closed the connection"):
                session.release(SPEC)
            assert node.process.wait(20) == -9
            actions = [entry.action for entry in session.airline.ledger.audit()]
            assert AuditAction.ABANDON in actions
            assert session.airline.ledger.releases() == []
    finally:
        node.stop()
    node = node_kit.start_carrier(tiny_dir, carrier_ws, certs, airline.fingerprint)
    try:
        with node_kit.open_session(airline_ws, tiny_dir, certs, node.address) as session:
            assert session.release(SPEC).query_spec == SPEC.canonical()
            assert [r.spec_hash for r in session.airline.ledger.releases()] == [SPEC.spec_hash]
    finally:
        node.stop()
