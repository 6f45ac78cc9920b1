"""Multi-group keys: a key in several cohort groups is one point in each, and that shows.

A join key can sit in several groups of one query: in a furusato release over July and August
with one month after, every comparison member's key ``(phone, 2025-08)`` is in both
``(comparison, 2025-07, +1)`` and ``(comparison, 2025-08, 0)``; a traveller landing at two East
Hokkaido airports within the day-offset window, or one with several trips (``max_trips`` > 1),
has keys in two groups too. The protocol sends such a key as the *same* blinded point in every
group it is in, and the dummies (DESIGN §3 step 2: "disjoint subsets") are each in one group only:

* the **carrier** sees which points two groups share in the blinded cohort — the exact number of
  multi-group keys, an exact count of the airline's people, with no padding noise;
* the **airline** sees, per matched scope position, the *set* of groups it matched; dummy coins
  only ever match one group, so the number of positions matching several groups is the exact
  number of such keys the carrier holds records of — an exact cross count (ε = ∞ for the people
  who have such keys), bypassing the dummy-coin noise that protects per-group counts.

Both tests state the protection and are expected to fail until the engine gives multi-group keys
noise of their own (e.g. dummies in the same multi-group patterns, or one group per point).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.queries import QuerySpec

SPEC = QuerySpec(
    kind="furusato", municipality="30401", start="2025-07-01", end="2025-08-31", months_after=1,
    epsilon=1.0,
)  # fmt: skip


@dataclass(frozen=True)
class Seen:
    """What each party saw of the query, and the truth about multi-group keys."""

    shared_in_cohort: int  # carrier: points that appear in more than one group it received
    multi_matched: int  # airline: scope positions that matched more than one group
    multi_keys: int  # truth: keys of the cohort in more than one group
    multi_held: int  # truth: of those, the keys the carrier holds a scope record of


@pytest.fixture(scope="module")
def seen(
    kit: ModuleType, spy: Any, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Seen:
    """One furusato release whose cohort has multi-group keys."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("multi"), tiny_dir, transcript)
    session.release(SPEC)
    query_id = kit.last_query_id(transcript)
    (cohort,) = kit.messages_of(kit.query_entries(transcript, query_id), "blinded_cohort")
    counts: dict[bytes, int] = {}
    for blob in cohort.groups:
        for point in kit.split_points(blob):
            counts[point] = counts.get(point, 0) + 1
    view = spy.views[query_id]
    groups_of: dict[bytes, int] = {}
    for group in kit.cohort_points(session, SPEC):
        for point in group:
            groups_of[point] = groups_of.get(point, 0) + 1
    records = kit.scope_records(session, SPEC)
    multi = [point for point, count in groups_of.items() if count > 1]
    found = Seen(
        shared_in_cohort=sum(count > 1 for count in counts.values()),
        multi_matched=sum(len(groups) > 1 for groups in view.groups),
        multi_keys=len(multi),
        multi_held=sum(point in records for point in multi),
    )
    session.close()
    assert found.multi_keys > 100 and found.multi_held > 0, "test setup: multi-group keys exist"
    return found


@pytest.mark.xfail(
    strict=True,
    reason=(
        "LEAK to the carrier: a key in several groups is sent as the same point H(k)^a in each "
        "group (AirlineParty.blinded_cohort blinds each group's keys with one scalar), while "
        "padding points are fresh and dummies are per group; the carrier counts the points two "
        "groups share and gets the exact number of multi-group keys — here every comparison "
        "member of a two-month furusato query, an exact count of the airline's people."
    ),
)
def test_carrier_cannot_count_multi_group_keys(seen: Seen) -> None:
    """The points groups share must not tell the carrier an exact count of the airline's people."""
    assert seen.shared_in_cohort != seen.multi_keys, (
        f"the carrier counted exactly {seen.multi_keys} multi-group keys"
    )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "LEAK to the airline: AirlineParty.indicators looks each raised scope point up in the "
        "re-blinded cohort and gets the *set* of groups it is in; dummies (engine.parties.dummies) "
        "are each in one group, so positions matching two or more groups are never dummies and "
        "their number is the exact count of multi-group keys the carrier holds records of — "
        "an exact cross count (no dummy-coin noise; ε = ∞ for those people)."
    ),
)
def test_airline_cannot_count_multi_group_matches(seen: Seen) -> None:
    """The positions matching several groups must carry dummy noise, not the exact cross count."""
    assert seen.multi_matched != seen.multi_held, (
        f"the airline counted exactly {seen.multi_held} carrier records of multi-group keys"
    )
