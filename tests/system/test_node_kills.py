"""The carrier node killed (SIGKILL) at three points of a query, restarted each time.

One chain of carrier node processes on one workspace (module fixture): each is started with a
fault point that kills it mid-query — once both parties reserved (at Reblind), inside the
indicator stream (after its first partition), and after the noised sums were sent (at Record,
once the airline published) — and the next one serves the next query. Afterwards:

* the airline reported each kill as a clear PeerError;
* each restarted node settled its predecessor's reservation as *abandoned* in its ledger and
  audit log (none is left pending, none is lost);
* the query after the last kill was released; and
* in both ledgers every ρ spent is a committed release or an abandoned reservation, and what the
  carrier committed the airline committed too (double entry).

A fifth node runs with ``--query-idle-timeout 1``: a query accepted and then left is abandoned.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.ledger import AuditAction, Ledger
from engine.queries import QuerySpec
from engine.wire.certificates import write_demo_certificates
from engine.wire.messages import QueryRequest
from foundation.errors import PeerError

KILLS = ("node.Reblind", "node.indicators-received", "node.Record")
DAYS = {"node.Reblind": "09", "node.indicators-received": "10", "node.Record": "11", "": "12"}


def _spec(point: str) -> QuerySpec:
    return QuerySpec(
        kind="visit-map", airport="FUK", start="2025-08-01", end=f"2025-08-{DAYS[point]}",
        epsilon=1.0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def matrix(
    node_kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Run the chain once: per kill point the airline's error and the node's exit status."""
    certs = tmp_path_factory.mktemp("certs")
    prints = write_demo_certificates(certs)
    carrier_ws, airline_ws = tmp_path_factory.mktemp("carrier-ws"), tmp_path_factory.mktemp("a")
    found: dict[str, Any] = {"errors": {}, "exits": {}}
    prepare = True
    for point in KILLS:
        node = node_kit.start_carrier(
            tiny_dir, carrier_ws, certs, prints["airline"], f"{point}:kill", prepare=prepare
        )
        prepare = False
        try:
            with node_kit.open_session(airline_ws, tiny_dir, certs, node.address) as session:
                try:
                    session.release(_spec(point))
                except PeerError as err:
                    found["errors"][point] = str(err)
                found["exits"][point] = node.process.wait(20)
        finally:
            node.stop()
    node = node_kit.start_carrier(tiny_dir, carrier_ws, certs, prints["airline"], prepare=False)
    try:
        with node_kit.open_session(airline_ws, tiny_dir, certs, node.address) as session:
            found["last"] = session.release(_spec(""))
            found["cached"] = not isinstance(session.airline.open_query(_spec("")), QueryRequest)
    finally:
        node.stop()
    node = node_kit.start_carrier(
        tiny_dir, carrier_ws, certs, prints["airline"], options=("--query-idle-timeout", "1"),
        prepare=False,
    )  # fmt: skip
    found["node"] = node
    with node_kit.open_session(airline_ws, tiny_dir, certs, node.address) as session:
        session.connect()
        idle = session.airline.open_query(
            QuerySpec(kind="flows", airport="FUK", start="2025-08-01", end="2025-08-07",
                      epsilon=1.0)
        )  # fmt: skip
        assert isinstance(idle, QueryRequest)
        session.carrier.accept(idle)
        time.sleep(2.5)  # more than the idle time-out and one check of it
        session.airline.abandon(idle.query_id, "test")
        found["airline_ledger"] = session.airline.ledger.path
    yield found
    node.stop()


def test_each_kill_is_a_clear_peer_error(matrix: dict[str, Any]) -> None:
    """Killed by SIGKILL at each point, the carrier node is reported as gone."""
    assert matrix["exits"] == dict.fromkeys(KILLS, -9)
    assert set(matrix["errors"]) == set(KILLS)
    for message in matrix["errors"].values():
        assert "carrier" in message and (
            "cannot be reached or closed the connection" in message
            or "closed the indicator stream early" in message
        ), message


def test_the_restarted_node_settles_every_dead_reservation_as_abandoned(
    matrix: dict[str, Any],
) -> None:
    """Each killed query's carrier reservation is abandoned, by a later node, in the audit log."""
    with matrix["node"].party() as party:
        audit = party.ledger.audit()
    settled = {
        e.spec_hash
        for e in audit
        if e.action == AuditAction.ABANDON and "settled when the node started" in e.detail
    }
    assert settled == {_spec(point).spec_hash for point in KILLS}


def test_the_query_after_the_kills_is_released(matrix: dict[str, Any]) -> None:
    """The next node serves a release; asked again, the airline serves it from its cache."""
    assert matrix["last"].query_spec == _spec("").canonical()
    assert matrix["cached"]


def test_a_query_left_idle_is_abandoned_by_the_node(matrix: dict[str, Any]) -> None:
    """--query-idle-timeout 1: an accepted query with no further call is given up."""
    with matrix["node"].party() as party:
        details = [e.detail for e in party.ledger.audit() if e.action == AuditAction.ABANDON]
    assert any("the airline sent nothing for 1 s" in detail for detail in details)


def _accounts(ledger: Ledger) -> set[str]:
    """Check that every ρ spent is committed or abandoned; the spec hashes of the cross releases
    (the carrier also commits its own noisy scope sizes, drawn once per scope)."""
    totals = ledger.totals()
    assert totals.pending_rho == 0.0
    spent = sum(status.spent_rho for status in ledger.budgets())
    assert totals.spent_rho == pytest.approx(spent)
    assert totals.spent_rho == pytest.approx(totals.committed_rho + totals.abandoned_rho)
    releases = ledger.releases()
    assert totals.committed_rho == pytest.approx(sum(r.rho * len(r.scopes) for r in releases))
    return {r.spec_hash for r in releases if not r.summary.startswith("scope size")}


def test_both_ledgers_account_for_every_charge(matrix: dict[str, Any]) -> None:
    """Nothing pending on either side; spent = committed releases + abandoned reservations; the
    carrier's releases are the airline's, which also holds the one killed at Record (published
    by the airline, never recorded by the carrier, whose reservation stays spent)."""
    with matrix["node"].party() as party:
        carrier = _accounts(party.ledger)
    with Ledger(matrix["airline_ledger"], create=False) as ledger:
        airline = _accounts(ledger)
    assert carrier == {_spec("").spec_hash}
    assert airline == {_spec("").spec_hash, _spec("node.Record").spec_hash}
