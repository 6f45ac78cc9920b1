"""Multi-group keys: a key sits in one cohort group only, so sharing shows nothing.

A join key could sit in several groups of one query: in a furusato release over July and August
with one month after, every comparison member's key ``(phone, 2025-08)`` belongs to both
``(comparison, 2025-07, +1)`` and ``(comparison, 2025-08, 0)``; a traveller with overlapping trips
(``max_trips`` > 1, or two East Hokkaido airports within the day window) has keys in two groups.
Sent as the same blinded point in both groups, such a key would tell the carrier the exact number
of shared keys (points two groups share) and the airline the exact number of matched records of
them (positions matching several groups, which no single-group dummy imitates).

The airline's cohort therefore never puts a key in two groups: comparison members are grouped by
calendar month (the release reads month ``m + o`` for every ``(m, o)``), a donor counts in the
first donation month of the window, and a repeated key of overlapping trips is kept in its first
group only (``engine.parties.cohorts._aligned``, part of the contribution bound). These tests play
both parties on the query that used to leak and find nothing to count.
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
    return found


def test_carrier_sees_no_point_in_two_groups(seen: Seen) -> None:
    """No point of the blinded cohort appears in two groups: nothing shared to count."""
    assert seen.shared_in_cohort == 0
    assert seen.multi_keys == 0


def test_airline_sees_no_position_matching_two_groups(seen: Seen) -> None:
    """No scope position matches several groups, so every match count carries dummy noise."""
    assert seen.multi_matched == 0


def test_overlapping_trips_keep_each_key_in_one_group(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Up to three trips per person and East Hokkaido's three airports: no key in two groups."""
    session = kit.open_world(tmp_path_factory.mktemp("trips"), tiny_dir)
    for spec in (
        QuerySpec(kind="hokkaido", start="2025-08-01", end="2025-08-14", days=3, epsilon=1.0,
                  max_trips=3),
        QuerySpec(kind="visit-map", airport="FUK", start="2025-08-01", end="2025-08-14",
                  days=3, epsilon=1.0, max_trips=3),
    ):  # fmt: skip
        groups = kit.cohort_points(session, spec)
        seen: dict[bytes, int] = {}
        for group in groups:
            for point in group:
                seen[point] = seen.get(point, 0) + 1
        assert seen and max(seen.values()) == 1
    session.close()
