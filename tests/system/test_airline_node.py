"""The airline node as its own OS process, called by the dashboard's client over mutual TLS.

Both nodes run as separate processes on 127.0.0.1 with their own folders and ledger homes
(:mod:`tests.two_nodes_kit`): releases of every cross kind (five of them marked slow) go through the
airline node's API end to end and are recorded in both ledgers; the API refuses a wrong
certificate and another version; an airline node that cannot reach, or does not trust, its
carrier says so at start; and an airline node killed (``SIGKILL``) at three points of a query
leaves both ledgers consistent — every reservation committed or abandoned, what each spent
equal to the reservations it settled — and serves the same query once restarted.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.queries import QuerySpec
from engine.queries.spec import KINDS
from engine.wire.certificates import NodeIdentity, load_identity, read_fingerprints
from foundation.errors import PeerError, ProtocolError
from tests.two_nodes_kit import (
    ROOT,
    PartyFolders,
    TwoNodes,
    dashboard_client,
    ledger_of,
    settlement,
    start_airline,
    start_carrier,
    start_two_nodes,
)

WINDOW = {"start": "2025-08-01", "end": "2025-08-14", "epsilon": 1.0}
SHORT = {**WINDOW, "end": "2025-08-03"}  # the two slowest kinds, on three days


def _furusato(data: Path) -> QuerySpec:
    truth = pd.read_csv(data / "truth" / "furusato.csv", dtype=str)
    municipality = truth.loc[truth["cohort"] == "donor", "municipality_code"].iloc[0]
    return QuerySpec(kind="furusato", municipality=municipality, months_after=1, **WINDOW)  # type: ignore[arg-type]


def _assert_consistent(folders: PartyFolders, party: str) -> None:
    """Nothing pending; what every scope spent is what its settled reservations charged, and
    the ledger's releases are its committed reservations."""
    ledger = ledger_of(folders, party)
    try:
        books = settlement(ledger)
        assert books.pending == frozenset(), f"{party}: reservations left pending"
        for status in ledger.budgets():
            assert status.spent_rho == pytest.approx(books.settled_rho.get(str(status.scope), 0))
        assert len(ledger.releases()) >= len(books.committed) > 0
    finally:
        ledger.close()


def _other_kinds() -> list[QuerySpec]:
    return [
        QuerySpec(kind="profile", airport="SHM", days=1, **WINDOW),  # type: ignore[arg-type]
        QuerySpec(kind="hourly", airport="SHM", days=2, **WINDOW),  # type: ignore[arg-type]
        QuerySpec(kind="repeat", airport="FUK", **WINDOW),  # type: ignore[arg-type]
        QuerySpec(kind="preboarding", airport="FUK", **SHORT),  # type: ignore[arg-type]
        QuerySpec(kind="hokkaido", days=1, **SHORT),  # type: ignore[arg-type]
    ]


def _release_through_the_node(two_nodes: TwoNodes, asked: list[QuerySpec]) -> None:
    """Release ``asked`` through the airline node's API; each is listed, reopened at no cost
    and recorded in the carrier node's ledger too."""
    client = dashboard_client(two_nodes.certs, two_nodes.airline)
    try:
        specs = [client.fit(spec) for spec in asked]
        assert client.estimate(specs[0]).affordable
        steps: list[str] = []
        releases = [client.release(spec, lambda step, _f: steps.append(step)) for spec in specs]
        assert "sums" in steps and steps[-1] == "done"
        assert [r.query_spec for r in releases] == [s.canonical() for s in specs]
        assert all(len(r.values) > 0 for r in releases)
        listed = {s.kind: s for s in client.releases()}
        assert {spec.kind for spec in asked} <= set(listed)
        reopened = client.reopen(listed[asked[0].kind].release_id)
        assert reopened.to_json() == releases[0].to_json()
        assert client.cached_release(specs[-1]) is not None
        assert client.estimate(specs[-1]).cached
        assert any(row.spent_rho > 0 for row in client.budgets())
        assert {e.action for e in client.audit(50)} >= {"reserve", "commit"}
    finally:
        client.close()
    carrier = ledger_of(two_nodes.carrier.folders, "carrier")
    try:
        recorded = {r.spec_hash for r in carrier.releases()}
    finally:
        carrier.close()
    assert {s.spec_hash for s in specs} <= recorded


def test_three_kinds_through_the_airline_node_are_recorded_by_both_ledgers(
    two_nodes: TwoNodes,
) -> None:
    """Visit map, flows and furusato: released through the airline node's API, listed and
    reopened by it, and recorded in both nodes' ledgers."""
    _release_through_the_node(
        two_nodes,
        [
            QuerySpec(kind="visit-map", airport="FUK", **WINDOW),  # type: ignore[arg-type]
            QuerySpec(kind="flows", airport="FUK", **WINDOW),  # type: ignore[arg-type]
            _furusato(two_nodes.data),
        ],
    )


@pytest.mark.slow
def test_the_other_cross_kinds_through_the_airline_node(two_nodes: TwoNodes) -> None:
    """Profile, hourly, repeat, pre-boarding and Hokkaido the same way: with the three above,
    every kind both parties answer (all but the carrier's own population)."""
    asked = _other_kinds()
    covered = {spec.kind for spec in asked} | {"visit-map", "flows", "furusato"}
    assert covered == set(KINDS) - {"population"}
    _release_through_the_node(two_nodes, asked)


def test_the_api_refuses_another_certificate_and_another_version(two_nodes: TwoNodes) -> None:
    """A client with the carrier's certificate, or of API version 2, is refused clearly; a
    client pinning another fingerprint refuses the node."""
    ours = load_identity(two_nodes.certs, "carrier")
    impostor = NodeIdentity("dashboard", ours.certificate_pem, ours.key_pem, ours.authority_pem)
    pinned = read_fingerprints(two_nodes.certs)
    client = type(dashboard_client(two_nodes.certs, two_nodes.airline))
    address = two_nodes.airline.address
    wrong = client(address, impostor, pinned["airline"])
    with pytest.raises(PeerError, match="pins the dashboard certificate"):
        wrong.status()
    wrong.close()
    older = dashboard_client(two_nodes.certs, two_nodes.airline, api_version=2)
    with pytest.raises(ProtocolError, match="API version 1, the dashboard 2"):
        older.status()
    older.close()
    mistaken = client(address, load_identity(two_nodes.certs, "dashboard"), pinned["carrier"])
    with pytest.raises(PeerError, match="presents certificate"):
        mistaken.status()
    mistaken.close()


def _serve_airline(data: Path, certs: Path, workspace: Path, carrier: str, pinned: str) -> str:
    """Run ``crossmesh airline serve`` expecting it to fail at start; its stderr."""
    argv = [
        sys.executable, "-m", "cli", "airline", "serve", "--data", str(data),
        "--workspace", str(workspace), "--certs", str(certs), "--carrier", carrier,
        "--carrier-fingerprint", pinned,
        "--dashboard-fingerprint", read_fingerprints(certs)["dashboard"], "--listen", "127.0.0.1:0",
    ]  # fmt: skip
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    return done.stderr


def test_an_airline_node_that_cannot_reach_its_carrier_says_so_at_start(
    tiny_dir: Path, node_certs: Path, tmp_path: Path
) -> None:
    """Started against a port where nothing listens, the node exits with a clear error."""
    with socket.socket() as probe:  # a free port, closed again
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    carrier = read_fingerprints(node_certs)["carrier"]
    stderr = _serve_airline(tiny_dir, node_certs, tmp_path / "ws", f"127.0.0.1:{port}", carrier)
    assert "cannot be reached" in stderr


def test_an_airline_node_pinning_another_carrier_refuses_it_at_start(
    two_nodes: TwoNodes, tmp_path: Path
) -> None:
    """The carrier node presents a certificate other than the pinned one: a clear refusal."""
    other = read_fingerprints(two_nodes.certs)["dashboard"]
    stderr = _serve_airline(
        two_nodes.data, two_nodes.certs, tmp_path / "ws", two_nodes.carrier.address, other
    )
    assert "pins the carrier's" in stderr


KILL_POINTS = {"query.reserved": 0.5, "query.indicators": 0.6, "query.published": 0.7}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_an_airline_node_killed_mid_query_leaves_both_ledgers_consistent(
    two_nodes: TwoNodes, tmp_path: Path, point: str
) -> None:
    """``kill -9`` of the airline node once both reserved, mid-stream, and after it published:
    the dashboard gets a clear error; restarted on the same folders the node serves the same
    query; neither ledger keeps a pending reservation and each spent what it settled."""
    folders = PartyFolders(tmp_path / "airline")
    window = {**WINDOW, "epsilon": KILL_POINTS[point]}  # a spec the carrier never released
    spec = QuerySpec(kind="visit-map", airport="FUK", **window)  # type: ignore[arg-type]
    node = start_airline(
        two_nodes.data, folders, two_nodes.certs, two_nodes.carrier.address, f"{point}:kill"
    )
    client = dashboard_client(two_nodes.certs, node)
    try:
        spec = client.fit(spec)
        with pytest.raises(PeerError, match="cannot be reached or closed the connection"):
            client.release(spec)
        assert node.process.wait(20) == -9
    finally:
        client.close()
        node.stop()
    node = start_airline(two_nodes.data, folders, two_nodes.certs, two_nodes.carrier.address)
    client = dashboard_client(two_nodes.certs, node)
    try:
        assert client.release(spec).query_spec == spec.canonical()
        assert [s.kind for s in client.releases()] == ["visit-map"]
    finally:
        client.close()
        assert node.stop() == 0
    _assert_consistent(folders, "airline")
    _assert_consistent(two_nodes.carrier.folders, "carrier")


@pytest.mark.slow
def test_after_the_carrier_node_restarts_the_airline_node_hands_its_key_over_again(
    tiny_dir: Path, node_certs: Path, tmp_path: Path
) -> None:
    """A restarted carrier node has forgotten the airline's key: the next query fails clearly,
    the one after it works, and the airline node never needed a restart."""
    nodes = start_two_nodes(tiny_dir, node_certs, tmp_path)
    client = dashboard_client(node_certs, nodes.airline)
    first, second, third = (
        QuerySpec(kind="visit-map", airport="FUK", **{**WINDOW, "epsilon": e})  # type: ignore[arg-type]
        for e in (0.8, 0.9, 1.1)
    )
    try:
        client.release(client.fit(first))
        assert nodes.carrier.stop() == 0
        nodes.carrier = start_carrier(
            tiny_dir, nodes.carrier.folders, node_certs, listen=nodes.carrier.address
        )
        with pytest.raises(ProtocolError, match="has not sent its public key"):
            client.release(client.fit(second))
        assert client.release(client.fit(third)).query_spec == client.fit(third).canonical()
    finally:
        client.close()
        assert nodes.airline.stop() == 0
        assert nodes.carrier.stop() == 0
