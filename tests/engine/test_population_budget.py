"""The carrier's population budget as the airline may see it (engine.population_budget).

A carrier ledger in a temporary folder holds what a real one holds: a population release, the
carrier's copy of a cross release and one of its noisy scope sizes. The view over it gives the ρ
left and the published release's id for a population spec, lists and reopens population
releases only, and refuses a spec or a release of any other kind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.dp.accounting import PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import mechanism_for
from engine.dp.release import Release, build_release
from engine.ledger import Ledger, Scope
from engine.population_budget import (
    LedgerBudgetView,
    PopulationEntry,
    PopulationStanding,
    population_scopes,
)
from engine.queries import QuerySpec
from foundation.errors import InputError

AUGUST = Scope("carrier", "2025-08")
WINDOW = {"start": "2025-08-01", "end": "2025-08-03", "epsilon": 1.0}
POPULATION = QuerySpec(kind="population", region="nanki_shirahama", **WINDOW)  # type: ignore[arg-type]
OTHER_REGION = QuerySpec(kind="population", region="east_hokkaido", **WINDOW)  # type: ignore[arg-type]
CROSS = QuerySpec(kind="visit-map", airport="SHM", **WINDOW)  # type: ignore[arg-type]


def _release(spec: QuerySpec) -> Release:
    cost = PrivacyCost.from_epsilon(1.0)
    return build_release(
        [40, 2], mechanism_for(cost, ContributionBounds(3, 1, 2)), cost,
        row_labels=[("resident", "50353700"), ("visitor", "50353700")],
        label_names=["residency", "mesh_code"], query_spec=spec.canonical(),
    )  # fmt: skip


@dataclass(frozen=True)
class CarrierLedger:
    """The ledger and the ids of what it holds."""

    ledger: Ledger
    population: int
    cross: int
    scope_size: int
    release: Release


def _commit(ledger: Ledger, key: str, rho: float, text: str, summary: str) -> int:
    reservation = ledger.reserve(key, [AUGUST], rho, "carrier")
    return ledger.commit(reservation, text, summary=summary)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[CarrierLedger]:
    """A carrier ledger with a population release, a cross copy and a scope size."""
    with Ledger(tmp_path / "carrier.sqlite") as ledger:
        ledger.set_budget(AUGUST, 5.0, "test")
        release = _release(POPULATION)
        population = _commit(
            ledger, POPULATION.spec_hash, 0.5, release.to_json(), "population nanki_shirahama"
        )
        cross = _commit(ledger, CROSS.spec_hash, 0.25, _release(CROSS).to_json(), "visit-map SHM")
        size = json.dumps({"noisy_size": 1234, "family": "presence", "block": "2025-08"})
        key = hashlib.sha256(b"scope size").hexdigest()
        scope_size = _commit(ledger, key, 0.125, size, "scope size presence 2025-08")
        yield CarrierLedger(ledger, population, cross, scope_size, release)


def test_the_standing_is_the_rho_left_and_the_published_release(held: CarrierLedger) -> None:
    """ρ left is the total less every charge of the month (all kinds); the id is the release's."""
    view = LedgerBudgetView(held.ledger)
    standing = view.standing(POPULATION)
    assert standing.remaining_rho == {"carrier@2025-08": pytest.approx(5.0 - 0.875)}
    assert standing.release_id == held.population and standing.cached
    assert view.standing(OTHER_REGION).release_id is None
    assert not view.standing(OTHER_REGION).cached
    assert view.answers()


def test_only_population_releases_are_listed_and_reopened(held: CarrierLedger) -> None:
    """The cross copy and the scope size are neither listed nor reopened."""
    view = LedgerBudgetView(held.ledger)
    (entry,) = view.releases()
    assert entry.release_id == held.population
    assert entry.summary == "population nanki_shirahama"
    assert dict(entry.spec) == POPULATION.canonical()
    assert (entry.created_at, entry.epsilon) == (held.release.created_at, held.release.epsilon)
    assert view.reopen(held.population).to_json() == held.release.to_json()
    for other in (held.cross, held.scope_size):
        with pytest.raises(InputError, match="not a population release"):
            view.reopen(other)
    with pytest.raises(InputError, match="no release 99"):
        view.reopen(99)


def test_a_spec_of_another_kind_is_refused(held: CarrierLedger) -> None:
    """A cross spec's budget is the airline's ledger: the carrier's view says so."""
    with pytest.raises(InputError, match="population specs only, not for a visit-map spec"):
        LedgerBudgetView(held.ledger).standing(CROSS)
    assert population_scopes(POPULATION) == (AUGUST,)


def test_values_are_checked_when_built() -> None:
    """Only carrier scopes, ρ ≥ 0, positive ids and population specs make a value."""
    with pytest.raises(InputError, match="not a carrier budget scope"):
        PopulationStanding({"airline+carrier@2025-08": 0.5}, None)
    with pytest.raises(InputError, match="≥ 0"):
        PopulationStanding({"carrier@2025-08": -0.1}, None)
    with pytest.raises(InputError, match="positive whole number"):
        PopulationStanding({"carrier@2025-08": 0.5}, 0)
    with pytest.raises(InputError, match="not a population release"):
        PopulationEntry(3, "visit-map SHM", "t", 1.0, 0.0, CROSS.canonical())
