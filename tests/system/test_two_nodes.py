"""Two nodes on 127.0.0.1: the carrier as its own OS process, the airline calling it over mTLS.

The carrier node is started with ``crossmesh carrier serve`` on its own workspace (prepared
first, carrier folder only) and reads ``DATA/carrier`` only; the airline runs a
:class:`~engine.nodes.NodeSession` on its own workspace. A release through the two nodes has the
embedded session's structure and is charged to both ledgers; a wrong certificate and another
protocol version are refused with clear errors; a carrier killed mid-query gives the airline a
clear error and the airline's reservation is recorded as abandoned.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.ledger import LEDGER_HOME_ENV
from engine.ledger.values import AuditAction
from engine.nodes import CarrierNode, NodeSession
from engine.parties.carrier import CarrierParty
from engine.queries import QuerySpec
from engine.session import SecureSession
from engine.wire.certificates import NodeIdentity, load_identity, write_demo_certificates
from engine.wire.grpc_link import LinkSettings
from engine.wire.messages import AirlineKey
from engine.wire.remote_carrier import RemoteCarrier
from engine.workspace import PartyFolder
from foundation.errors import PeerError, ProtocolError
from foundation.faults import FAULT_ENV

ROOT = Path(__file__).resolve().parents[2]
SPEC = QuerySpec(kind="visit-map", airport="FUK", start="2025-08-01", end="2025-08-14", epsilon=1.0)
STARTUP = 60.0
LINK = LinkSettings(call_timeout=120, stream_timeout=300)


@dataclass
class Node:
    """A carrier node process and the address it listens on."""

    process: subprocess.Popen[str]
    address: str

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) if it still runs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_carrier(
    data: Path, workspace: Path, certs: Path, airline_fingerprint: str, fault: str = ""
) -> Node:
    """Prepare the carrier's folder, then start ``crossmesh carrier serve`` on a free port."""
    node = CarrierNode(data, workspace)
    node.prepare()
    node.close()
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    argv = [
        sys.executable, "-m", "cli", "carrier", "serve", "--data", str(data),
        "--workspace", str(workspace), "--certs", str(certs),
        "--peer-fingerprint", airline_fingerprint, "--listen", "127.0.0.1:0",
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=STARTUP)
    except queue.Empty:
        process.kill()
        raise AssertionError("the carrier node did not start in time") from None
    assert line.startswith("carrier node listening on "), line
    return Node(process, line.split()[-1])


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throw-away certificates for both nodes (``crossmesh certs``)."""
    folder = tmp_path_factory.mktemp("certs")
    write_demo_certificates(folder)
    return folder


@pytest.fixture(scope="module")
def carrier(
    tiny_dir: Path, certs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Node]:
    """A carrier node on the tiny world, in its own process and workspace."""
    airline = load_identity(certs, "airline")
    node = start_carrier(
        tiny_dir, tmp_path_factory.mktemp("carrier-ws"), certs, airline.fingerprint
    )
    yield node
    node.stop()
    assert node.process.returncode == 0  # SIGTERM: a clean stop


def _session(root: Path, data: Path, certs: Path, address: str) -> NodeSession:
    carrier = load_identity(certs, "carrier")
    session = NodeSession(
        root, data, address, load_identity(certs, "airline"), carrier.fingerprint, link=LINK
    )
    session.prepare()
    return session


def test_a_release_through_two_nodes_has_the_embedded_structure(
    carrier: Node, tiny_dir: Path, certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visit map through the carrier node: the embedded session's labels, both ledgers charged."""
    with _session(tmp_path / "airline-ws", tiny_dir, certs, carrier.address) as session:
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


def test_another_protocol_version_is_refused(carrier: Node, certs: Path) -> None:
    """An airline speaking protocol 3 is refused by the carrier node with a ProtocolError."""
    remote = RemoteCarrier(
        carrier.address, load_identity(certs, "airline"),
        load_identity(certs, "carrier").fingerprint, LinkSettings(version=3),
    )  # fmt: skip
    with pytest.raises(ProtocolError, match="protocol version 2, the caller 3"):
        remote.receive_key(AirlineKey(b"\x01" * 256))
    remote.close()


def test_a_certificate_of_another_authority_is_refused(
    carrier: Node, certs: Path, tmp_path: Path
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
    tiny_dir: Path, certs: Path, tmp_path: Path
) -> None:
    """The carrier node is killed (SIGKILL) once both sides reserved: the airline reports it and
    records its reservation as abandoned; restarted, the node serves the same query."""
    airline = load_identity(certs, "airline")
    carrier_ws, airline_ws = tmp_path / "carrier-ws", tmp_path / "airline-ws"
    node = start_carrier(tiny_dir, carrier_ws, certs, airline.fingerprint, "node.Reblind:kill")
    try:
        with _session(airline_ws, tiny_dir, certs, node.address) as session:
            with pytest.raises(PeerError, match="cannot be reached or closed the connection"):
                session.release(SPEC)
            assert node.process.wait(20) == -9
            actions = [entry.action for entry in session.airline.ledger.audit()]
            assert AuditAction.ABANDON in actions
            assert session.airline.ledger.releases() == []
    finally:
        node.stop()
    node = start_carrier(tiny_dir, carrier_ws, certs, airline.fingerprint)
    try:
        with _session(airline_ws, tiny_dir, certs, node.address) as session:
            assert session.release(SPEC).query_spec == SPEC.canonical()
            assert [r.spec_hash for r in session.airline.ledger.releases()] == [SPEC.spec_hash]
    finally:
        node.stop()
