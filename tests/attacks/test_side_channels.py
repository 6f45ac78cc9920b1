"""Side channels a curious airline sees: the scope size and the per-group match counts.

The airline counts the positions of the carrier's scope (how many records the carrier holds for
the month?) and the positions that matched each of its groups (how many of my travellers does the
carrier hold?). Five visit-map queries of the same month are run; an omniscient referee computes
the true record count and the true matches from the carrier's store and the airline's cohort.

* The scope size is ΣÑ + G·m, Ñ the carrier's cached noisy size of the month: the same in every
  query, drawn and charged once in the carrier's ledger, at least the true count and not equal
  to it.
* Each match count is real + Binomial(m, ½). Over the 15 (query, group) draws the test checks the
  range of every draw, the mean and the variance.
* Each ledger charges the released cells plus its own side channels (the carrier the match counts
  at the plan's ρ, the airline the group sizes).
* A deviating airline that replaces its dummies by random points reads exact counts: nothing
  detects it (xfail, see its reason).

Tolerances (m = 1,200, sd √m/2 ≈ 17.3, n = 15 draws): each draw within m/2 ± 6 sd (< 2e-9 each);
the mean within m/2 ± 4.5 sd/√n (< 7e-6); the sample variance within [0.1, 3.5]·m/4 (χ²₁₄ below
1.4 or above 49: < 2e-5 together); the padding Ñ − N is 0 only if its Gaussian fell below −shift
(≤ delta_tail = 1e-9). Overall false-failure probability < 1e-4.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from engine.dp import PrivacyCost
from engine.parties.dummies import random_points
from engine.parties.policy import SideChannelPolicy, plan_side_channels
from engine.queries.shapes import shape_of
from foundation.errors import CryptoError, ProtocolError

RUNS = 5
MONTH = "2025-08"


@dataclass(frozen=True)
class Seen:
    """The airline's views of the runs, and what the referee and the carrier's ledger know."""

    views: list[Any]
    real: list[int]
    records: int
    noisy_sizes: list[tuple[str, float, int]]  # (summary, ρ charged, Ñ) of every cached size
    charges: dict[str, list[float]]  # per party ledger: ρ charged for each cross release
    expected: dict[str, list[float]]  # per party: released cells + that party's side channels
    groups: int
    m: int


@pytest.fixture(scope="module")
def seen(
    kit: ModuleType, spy: Any, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Seen:
    """Five visit-map queries of SHM arrivals in August (different ε, so none is cached)."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("side"), tiny_dir, transcript)
    views = []
    policy = SideChannelPolicy()
    expected: dict[str, list[float]] = {"airline": [], "carrier": []}
    for run in range(RUNS):
        spec = kit.visit_spec(epsilon=1.0 + run / 10)
        session.release(spec)
        views.append(spy.views[kit.last_query_id(transcript)])
        rho = PrivacyCost.from_epsilon(spec.epsilon, spec.delta, spec.mechanism).rho
        side = plan_side_channels(policy, shape_of(spec))
        expected["airline"].append(rho + policy.group_rho)
        expected["carrier"].append(rho + side.match_rho)
    shape = shape_of(spec)
    charges = {
        party: [r.rho for r in ledger.releases() if not r.summary.startswith("scope size")]
        for party, ledger in (
            ("airline", session.airline.ledger),
            ("carrier", session.carrier.ledger),
        )
    }
    assert [block.key for block in shape.scope] == [MONTH]
    ledger = session.carrier.ledger
    sizes = [
        (r.summary, r.rho, int(json.loads(ledger.release(r.id))["noisy_size"]))
        for r in ledger.releases()
        if r.summary.startswith("scope size")
    ]
    seen = Seen(
        views,
        kit.real_matches(session, spec),
        kit.scope_record_count(session, spec)[MONTH],
        sizes,
        charges,
        expected,
        shape.groups,
        plan_side_channels(SideChannelPolicy(), shape).dummies_per_group,
    )
    session.close()
    return seen


def test_scope_size_is_the_cached_noisy_size(seen: Seen) -> None:
    """A sees ΣÑ + G·m: reused exactly in every query, charged once, ≥ and ≠ the true count."""
    ((summary, rho, noisy),) = seen.noisy_sizes  # one block, one draw, one charge
    assert MONTH in summary and rho == SideChannelPolicy().scope_rho
    lengths = {len(view.scope) for view in seen.views}
    assert lengths == {noisy + seen.groups * seen.m}
    assert noisy > seen.records > 0
    for view in seen.views:  # nor does a repeated point tell records apart
        assert len(set(view.scope)) == len(view.scope)


def test_match_counts_carry_binomial_noise(seen: Seen) -> None:
    """A's match count per group is real + Binomial(m, ½), fresh in every query."""
    assert min(seen.real) > 0
    draws = np.array(
        [
            count - real
            for view in seen.views
            for count, real in zip(view.match_counts(seen.groups), seen.real, strict=True)
        ],
        dtype=np.float64,
    )
    for view in seen.views:  # dummies match one group each; no position matches several here
        assert all(len(groups) <= 1 for groups in view.groups)
    m, sd = seen.m, seen.m**0.5 / 2
    assert draws.min() >= 0 and draws.max() <= m
    assert np.all(np.abs(draws - m / 2) <= 6 * sd), draws
    assert abs(draws.mean() - m / 2) <= 4.5 * sd / np.sqrt(draws.size), draws
    variance = draws.var(ddof=1)
    assert 0.1 * sd**2 <= variance <= 3.5 * sd**2, (variance, sd**2)
    assert len(set(draws.tolist())) > 1, "the dummy noise did not change between queries"


def test_side_channels_are_charged(seen: Seen) -> None:
    """Each ledger charges the cells plus its own side channels (C: match counts, A: sizes)."""
    for party in ("airline", "carrier"):
        assert seen.charges[party] == pytest.approx(seen.expected[party], rel=1e-9, abs=1e-12)


def test_airline_stripping_its_dummies_is_caught(
    kit: ModuleType,
    spy: Any,
    tiny_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An airline that replaces its dummies by random points is refused at the canaries.

    The carrier sends some of each group's dummies as canaries (always matching) and asks the
    airline to open its indicators there; random points in their place never match, so the
    airline's Enc(0) cannot be opened as its group's one-hot.
    """
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("strip"), tiny_dir, transcript)
    monkeypatch.setattr(
        "engine.parties.airline.dummy_points", lambda _group, count: random_points(count)
    )
    spec = kit.visit_spec()
    try:
        session.release(spec)
    except (ProtocolError, CryptoError):
        return  # the carrier noticed
    finally:
        session.close()
    view = spy.views[kit.last_query_id(transcript)]
    real = kit.real_matches(session, spec)
    assert view.match_counts(len(real)) != real, f"the airline learnt the exact counts {real}"
