"""The carrier's own population releases through the airline node, as the dashboard asks for them.

Both nodes run as separate OS processes on 127.0.0.1 with their own folders and ledger homes
(:mod:`tests.two_nodes_kit`). The dashboard's client offers population releases in node mode as
the embedded dashboard does: its estimate shows the ρ the carrier's ledger has left, the release
spends the carrier's ledger only (the airline's budgets and audit log do not move), it is listed
with a ``c`` id and reopened at no cost. The carrier node answers for population specs and
releases only: a cross spec, and its copy of a cross release, are refused. While the carrier node
is down, the airline node still lists its own releases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ledger import Scope
from engine.queries import QuerySpec
from engine.wire.certificates import load_identity, read_fingerprints
from engine.wire.remote_carrier import RemoteCarrier
from foundation.errors import InputError, PeerError, ProtocolError
from tests.two_nodes_kit import TwoNodes, dashboard_client, ledger_of, start_two_nodes

pytestmark = pytest.mark.slow

WINDOW = {"start": "2025-08-01", "end": "2025-08-03", "epsilon": 1.0}
POPULATION = QuerySpec(kind="population", region="nanki_shirahama", **WINDOW)  # type: ignore[arg-type]
CROSS = QuerySpec(kind="visit-map", airport="FUK", days=1, **WINDOW)  # type: ignore[arg-type]
AUGUST = "carrier@2025-08"


def _carrier_link(two_nodes: TwoNodes) -> RemoteCarrier:
    """The link to the carrier node as the airline node holds it (its certificate, the pin)."""
    certs = two_nodes.certs
    return RemoteCarrier(
        two_nodes.carrier.address, load_identity(certs, "airline"),
        read_fingerprints(certs)["carrier"],
    )  # fmt: skip


def _carrier_remaining(two_nodes: TwoNodes) -> float:
    ledger = ledger_of(two_nodes.carrier.folders, "carrier")
    try:
        return ledger.budget(Scope("carrier", "2025-08")).remaining_rho
    finally:
        ledger.close()


def test_a_population_release_through_the_airline_node_spends_the_carriers_ledger_only(
    two_nodes: TwoNodes,
) -> None:
    """The estimate shows the carrier's ρ left; the release lowers it by its cost and leaves the
    airline's budgets and audit log as they were; it is listed as ``c…``, reopened and cached."""
    client = dashboard_client(two_nodes.certs, two_nodes.airline)
    try:
        assert client.serves_population
        spec = client.fit(POPULATION)
        before = client.estimate(spec)
        assert before.scopes == (AUGUST,) and not before.cached and before.affordable
        assert before.remaining_rho[AUGUST] == pytest.approx(_carrier_remaining(two_nodes))
        assert client.cached_release(spec) is None
        airline_budgets, airline_audit = client.budgets(), client.audit(10_000)
        release = client.release(spec)
        assert release.query_spec == spec.canonical() and len(release.values) > 0
        after = client.estimate(spec)
        assert after.cached
        assert after.remaining_rho[AUGUST] == pytest.approx(
            before.remaining_rho[AUGUST] - spec.cost.rho
        )
        assert after.remaining_rho[AUGUST] == pytest.approx(_carrier_remaining(two_nodes))
        assert client.budgets() == airline_budgets and client.audit(10_000) == airline_audit
        (listed,) = [s for s in client.releases() if s.kind == "population"]
        assert listed.release_id.startswith("c") and listed.spec == spec.canonical()
        assert client.reopen(listed.release_id).to_json() == release.to_json()
        cached = client.cached_release(spec)
        assert cached is not None and cached.to_json() == release.to_json()
        assert client.release(spec).to_json() == release.to_json()  # served again, for free
        assert client.estimate(spec).remaining_rho == after.remaining_rho
    finally:
        client.close()


def test_the_carrier_node_answers_for_population_only(two_nodes: TwoNodes) -> None:
    """A cross spec's budget question is refused with a clear error; after a cross release the
    carrier's copy of it is neither listed nor reopened, though its ledger holds it."""
    client = dashboard_client(two_nodes.certs, two_nodes.airline)
    try:
        cross = client.fit(CROSS)
        client.release(cross)
        assert {s.kind for s in client.releases()} >= {"visit-map"}
    finally:
        client.close()
    carrier = ledger_of(two_nodes.carrier.folders, "carrier")
    try:
        (copy,) = [r.id for r in carrier.releases() if r.spec_hash == cross.spec_hash]
    finally:
        carrier.close()
    link = _carrier_link(two_nodes)
    try:
        with pytest.raises(ProtocolError, match="answers for its own population releases only"):
            link.population_standing(cross)
        assert copy not in {entry.release_id for entry in link.population_releases()}
        with pytest.raises(InputError, match=f"carrier release {copy} is not a population"):
            link.population_reopen(copy)
    finally:
        link.close()


def test_while_the_carrier_node_is_down_the_airline_lists_its_own_releases(
    tiny_dir: Path, node_certs: Path, tmp_path: Path
) -> None:
    """The carrier's population releases are left out of the list (not the airline's), and a
    population estimate says the carrier node cannot be reached."""
    nodes = start_two_nodes(tiny_dir, node_certs, tmp_path)
    client = dashboard_client(node_certs, nodes.airline)
    try:
        cross, population = client.fit(CROSS), client.fit(POPULATION)
        client.release(cross)
        client.release(population)
        assert {s.kind for s in client.releases()} == {"visit-map", "population"}
        assert nodes.carrier.stop() == 0
        assert [s.kind for s in client.releases()] == ["visit-map"]
        with pytest.raises(PeerError, match="cannot be reached"):
            client.estimate(population)
        assert client.reopen(client.releases()[0].release_id).query_spec == cross.canonical()
    finally:
        client.close()
        assert nodes.airline.stop() == 0
        nodes.carrier.stop()
