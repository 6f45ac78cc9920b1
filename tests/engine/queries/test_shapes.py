"""Query shapes (engine.queries.shapes): what both parties derive from a spec, with no data."""

from __future__ import annotations

import pytest

from engine.queries import QuerySpec
from engine.queries.shapes import ScopeBlock, shape_of
from foundation.errors import InputError


def _spec(**fields: object) -> QuerySpec:
    base: dict[str, object] = {"start": "2025-08-01", "end": "2025-08-31", "epsilon": 1.0}
    return QuerySpec(**{**base, **fields})  # type: ignore[arg-type]


def test_groups_are_enumerated_from_the_spec() -> None:
    """Arrival groups are the day offsets, East Hokkaido airport × offset, whatever the data."""
    assert shape_of(_spec(kind="visit-map", airport="SHM", days=4)).group_labels == (
        ("0",),
        ("1",),
        ("2",),
        ("3",),
    )
    hokkaido = shape_of(_spec(kind="hokkaido", days=2))
    assert hokkaido.groups == 6 and hokkaido.group_labels[0] == ("MMB", "0")
    assert shape_of(_spec(kind="preboarding", airport="HND")).groups == 2 * 54


def test_scope_is_whole_months_plus_spill_days() -> None:
    """Day offsets past the window's last month add only the days they reach."""
    scope = shape_of(_spec(kind="visit-map", airport="SHM", days=3)).scope
    assert scope == (ScopeBlock("2025-08"), ScopeBlock("2025-09", 1, 2))
    part = shape_of(_spec(kind="visit-map", airport="SHM", end="2025-08-10", days=3)).scope
    assert part == (ScopeBlock("2025-08"),)  # never part of a month
    before = shape_of(_spec(kind="preboarding", airport="HND", start="2025-08-01")).scope
    assert before == (ScopeBlock("2025-07", 31, 31), ScopeBlock("2025-08"))


def test_furusato_scope_covers_the_months_after() -> None:
    """Donations in August with two months after read August to October, whole months."""
    shape = shape_of(_spec(kind="furusato", municipality="30401", months_after=2))
    assert [block.month for block in shape.scope] == ["2025-08", "2025-09", "2025-10"]
    assert shape.groups == 2 * 3  # donor and comparison × month offsets 0–2


def test_bounds_follow_the_blocks_read() -> None:
    """Only the blocks a kind reads count toward its sensitivity (profile: hours + age × gender)."""
    profile = shape_of(_spec(kind="profile", airport="SHM", days=1))
    assert profile.blocks == ("hour", "demographic")
    assert profile.bounds.max_nonzero_per_record == 24 + 1
    visit = shape_of(_spec(kind="visit-map", airport="SHM", days=3, max_trips=2))
    assert (visit.bounds.max_groups, visit.bounds.max_records_per_group) == (3, 2)


def test_a_level_other_than_the_regions_is_refused() -> None:
    """A region released on level-3 cells refuses another level before anything runs."""
    with pytest.raises(InputError, match="level"):
        shape_of(_spec(kind="visit-map", airport="SHM", level=2))
