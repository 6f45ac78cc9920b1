"""A curious airline reading the carrier node's answers about its population budget.

The carrier node (``crossmesh carrier serve``, its own OS process) publishes one population
release; then the airline asks the three read-only questions the dashboard needs — the ρ left
for that spec, the list of published population releases, the release again — through a gRPC
stub whose interceptor records every body. What comes back must be what the airline may see
and nothing more:

* the budget answer has exactly three fields — the carrier's scopes, one float ρ each (equal to
  what the carrier's ledger says is left) and the release's id: no field can hold a count;
* the list holds per release an id, a summary, a time, ε, δ and the public spec — no values;
* the reopened release is, byte for byte, the release the Population call already published —
  the noised values, not the exact counts the referee computes from the carrier's own data;
* every body passes the wire scanner (no phone number, ID, mesh or municipality code, label).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.inputs import load_carrier
from engine.ledger import Ledger, Scope
from engine.parties.population import population_counts
from engine.queries import QuerySpec
from engine.wire.certificates import load_identity, write_demo_certificates
from engine.wire.messages import decode_message
from engine.wire.remote_carrier import RemoteCarrier
from geo.areas import DEFAULT_GEO_DIR, load_area_map

pytestmark = pytest.mark.slow

POPULATION = QuerySpec(
    kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03", epsilon=1.0
)
QUESTIONS = ("PopulationBudget", "PopulationReleases", "PopulationReopen")


@pytest.fixture(scope="module")
def recorded(
    kit: ModuleType, node_kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The published release's body, the three questions' bodies, the carrier ledger's view."""
    certs = tmp_path_factory.mktemp("certs")
    prints = write_demo_certificates(certs)
    workspace = tmp_path_factory.mktemp("carrier-ws")
    node = node_kit.start_carrier(tiny_dir, workspace, certs, prints["airline"])
    recorder = kit.MessageRecorder()
    remote = RemoteCarrier(
        node.address, load_identity(certs, "airline"), prints["carrier"], node_kit.LINK,
        interceptors=[recorder],
    )  # fmt: skip
    found: dict[str, Any] = {}
    try:
        remote.population(POPULATION)
        remote.population_standing(POPULATION)
        (entry,) = remote.population_releases()
        remote.population_reopen(entry.release_id)
        ledger = Ledger.in_workspace(workspace, "carrier")
        try:
            found["left"] = ledger.budget(Scope("carrier", "2025-08")).remaining_rho
            (record,) = ledger.releases()
            found["record"] = record
        finally:
            ledger.close()
    finally:
        remote.close()
        node.stop()
    found["bodies"] = recorder.bodies
    yield found


def _answer(recorded: dict[str, Any], method: str) -> Any:
    (body,) = [b for b in recorded["bodies"] if b.method == method and b.direction == "response"]
    return decode_message(body.payload)


def test_the_budget_answer_is_budget_figures_only(recorded: dict[str, Any]) -> None:
    """Three fields: the scopes, the ρ the carrier's ledger has left, the release's id."""
    answer = _answer(recorded, "PopulationBudget")
    assert [f.name for f in fields(answer)] == ["scopes", "remaining_rho", "release_id"]
    assert answer.scopes == ("carrier@2025-08",)
    assert answer.remaining_rho == (pytest.approx(recorded["left"]),)
    assert all(type(rho) is float for rho in answer.remaining_rho)
    assert answer.release_id == recorded["record"].id


def test_the_list_and_the_reopened_release_are_what_was_published(
    recorded: dict[str, Any], tiny_dir: Path
) -> None:
    """The list holds no values; the release reopened is the published one, byte for byte,
    and its values are noised: they are not the exact counts of the carrier's data."""
    listing = _answer(recorded, "PopulationReleases")
    ((number, _summary, _created, epsilon, _delta, spec),) = listing.entries
    assert number == recorded["record"].id and epsilon == POPULATION.epsilon
    assert json.loads(spec) == POPULATION.canonical()
    published = _answer(recorded, "Population").release
    reopened = _answer(recorded, "PopulationReopen")
    assert reopened.release == published
    release = json.loads(reopened.release)
    carrier = load_carrier(tiny_dir / "carrier")  # the referee reads the carrier's own data
    areas = load_area_map(DEFAULT_GEO_DIR if DEFAULT_GEO_DIR.exists() else None)  # as the node
    exact = population_counts(
        carrier.subscribers, carrier.observations, areas, "nanki_shirahama",
        POPULATION.start, POPULATION.end,
    )  # fmt: skip
    assert [list(row) for row in release["row_labels"]] == [list(row) for row in exact.labels]
    assert release["values"] != list(exact.counts)


def test_every_body_of_the_questions_passes_the_wire_scanner(
    recorded: dict[str, Any],
    kit: ModuleType,
    forbidden: tuple[set[bytes], set[bytes]],
    identifiers: set[bytes],
) -> None:
    """Each question and answer is clean, and the questions carry no query stamp of their own."""
    bodies = [b for b in recorded["bodies"] if b.method in QUESTIONS]
    assert [(b.method, b.direction) for b in bodies] == [
        (method, direction) for method in QUESTIONS for direction in ("request", "response")
    ]
    scanner = kit.Scanner(*forbidden)
    for body in bodies:
        kit.assert_clean(decode_message(body.payload), scanner, identifiers, n=0)
