"""Differencing: two overlapping cohorts must not tell the airline whether extra travellers matched.

A curious airline asks for SHM arrivals Aug 1–12 and then Aug 1–13; the second cohort holds the
first plus the Aug 13 arrivals. From what it sees — the scope points, the points that matched, the
per-group match counts — it tries to learn whether the carrier holds those extra travellers.

* Fresh scalars: no point of one query (scope, matched, cohort, re-blinded) appears in the other,
  so the airline cannot line up positions across queries and subtract — also when, as in the
  product, both parties raised their own points of the second query to its scalar ahead, while
  idle after the first (:mod:`engine.crypto.preblind`).
* The scope size is the cached noisy size of August, the same in both queries: no difference.
* Per group, count − real = Binomial(m, ½), independently per query: the airline's difference of
  counts misses the true difference by B₂ − B₁ (standard deviation √(m/2) ≈ 24.5 at m = 1,200).

Tolerances: every Binomial(m, ½) draw within m/2 ± 6·√m/2 (two-sided tail < 2e-9 each, 6 draws);
the three B₂ − B₁ all zero has probability < 5e-6 (P[B₂ = B₁] ≈ 1/(√(π m)) ≈ 0.016 per group).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.parties.policy import SideChannelPolicy, plan_side_channels
from engine.queries.shapes import shape_of


@dataclass(frozen=True)
class Run:
    """One query as the airline saw it, and the truth."""

    view: Any  # the airline's AirlineView
    entries: list[Any]
    real: list[int]
    m: int


@pytest.fixture(scope="module")
def runs(
    kit: ModuleType, spy: Any, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, Run]:
    """Aug 1–12 and Aug 1–13 visit maps of SHM arrivals in one session."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("diff"), tiny_dir, transcript)
    found = []
    with kit.lookups() as looked_up:
        for end in ("2025-08-12", "2025-08-13"):
            spec = kit.visit_spec(end=end)
            session.release(spec)
            query_id = kit.last_query_id(transcript)
            m = plan_side_channels(SideChannelPolicy(), shape_of(spec)).dummies_per_group
            found.append(
                Run(
                    spy.views[query_id],
                    kit.query_entries(transcript, query_id),
                    kit.real_matches(session, spec),
                    m,
                )
            )
            kit.wait_preblinded(session)  # the second query blinds its own points ahead
    # The first query found nothing ahead; the second took both parties' own points from it.
    assert looked_up[:2] == [0, 0] and min(looked_up[2:]) > 0, looked_up
    session.close()
    return found[0], found[1]


def _all_points(kit: ModuleType, run: Run) -> set[bytes]:
    points: set[bytes] = set()
    for kind in ("blinded_cohort", "reblinded_cohort"):
        for message in kit.messages_of(run.entries, kind):
            for group in message.groups:
                points |= set(kit.split_points(group))
    for message in kit.messages_of(run.entries, "scope_partition"):
        points |= set(kit.split_points(message.points))
    return points | set(run.view.raised)


def test_overlapping_cohorts_cannot_be_differenced(kit: ModuleType, runs: tuple[Run, Run]) -> None:
    """No shared point, equal scope sizes, and match-count differences off by binomial noise."""
    first, second = runs
    assert second.real != first.real, "the extra day must add matched travellers (test setup)"
    # Nothing of one query appears in the other: positions cannot be aligned.
    assert first.view.matched_points() and second.view.matched_points()
    assert not first.view.matched_points() & second.view.matched_points()
    assert not set(first.view.scope) & set(second.view.scope)
    assert not _all_points(kit, first) & _all_points(kit, second)
    # The scope length is the same cached noisy size: it does not move with the cohort.
    assert len(first.view.scope) == len(second.view.scope)
    # The match counts carry fresh dummy-coin noise in each query.
    groups = len(first.real)
    m, sd = first.m, first.m**0.5 / 2
    noises = []
    for run in runs:
        counts = run.view.match_counts(groups)
        for count, real in zip(counts, run.real, strict=True):
            noise = count - real
            assert 0 <= noise <= m
            assert abs(noise - m / 2) <= 6 * sd, (noise, m)
        noises.append([c - r for c, r in zip(counts, run.real, strict=True)])
    seen = [run.view.match_counts(groups) for run in runs]
    guessed = [b - a for a, b in zip(seen[0], seen[1], strict=True)]
    truth = [b - a for a, b in zip(first.real, second.real, strict=True)]
    errors = [g - t for g, t in zip(guessed, truth, strict=True)]
    assert errors == [b - a for a, b in zip(noises[0], noises[1], strict=True)]
    assert any(errors), "the difference of counts revealed the true difference exactly"
    assert all(abs(e) <= 6 * (m / 2) ** 0.5 for e in errors)
