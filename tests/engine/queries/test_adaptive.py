"""Tests of the two-level visit map's public shape (engine.queries.adaptive)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.queries import QuerySpec
from engine.queries.shapes import shape_of
from foundation.errors import InputError
from geo.mesh import code_level, parent

WINDOW = {"start": "2025-08-01", "end": "2025-08-14", "epsilon": 1.0}


def _spec(airport: str = "SHM", **changes: object) -> QuerySpec:
    arguments: dict[str, object] = {"airport": airport, "resolution": "adaptive", **WINDOW}
    arguments.update(changes)
    return QuerySpec(kind="visit-map", **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(("airport", "levels"), [("SHM", (3, 2)), ("CTS", (2, 1))])
def test_parents_are_one_level_up_and_partition_the_region(
    airport: str, levels: tuple[int, int]
) -> None:
    """Every region cell lies under exactly one parent one JIS level up, from the spec alone."""
    shape = shape_of(_spec(airport))
    hierarchy = shape.hierarchy
    assert hierarchy is not None and hierarchy == shape_of(_spec(airport)).hierarchy
    assert (hierarchy.child_level, hierarchy.parent_level) == levels
    assert hierarchy.child_codes == shape.family.block("mesh").labels
    assert {code_level(code) for code in hierarchy.parent_codes} == {levels[1]}
    members = sorted(i for m in hierarchy.members for i in m)
    assert members == list(range(len(hierarchy.child_codes)))
    for code, children in zip(hierarchy.parent_codes, hierarchy.members, strict=True):
        assert {parent(hierarchy.child_codes[i], levels[1]) for i in children} == {code}


def test_the_vector_holds_children_then_parents_with_their_own_noise() -> None:
    """Vector length, lane reach and noise columns follow the two levels."""
    shape = shape_of(_spec())
    hierarchy = shape.hierarchy
    assert hierarchy is not None
    children, parents = len(hierarchy.child_codes), len(hierarchy.parent_codes)
    assert shape.vector_length() == children + parents
    k = shape.bounds.max_nonzero_per_record
    assert shape.slot_reach().tolist() == [1] * children + [k] * parents
    assert shape.lane_bounds(1000) == (1000 * k, hierarchy.tail_bound)
    noise = shape.sample_noise()
    assert noise.shape == (shape.groups, children + parents)
    # parent noise is ~√6·2 ≈ 4.9 times the children's; the two columns differ in spread
    assert noise[:, children:].std() > 2.5 * noise[:, :children].std()
    assert shape.mechanism == hierarchy.levels.child


def test_projected_rows_are_consistent_and_labelled_with_their_level() -> None:
    """Rows per day offset: children (level 3) then parents (level 2), children sum to parents."""
    shape = shape_of(_spec())
    hierarchy = shape.hierarchy
    assert hierarchy is not None
    rng = np.random.default_rng(3)
    vectors = [rng.integers(-40, 80, shape.vector_length()) for _ in range(shape.groups)]
    rows = shape.project(shape.group_labels, vectors, [0] * shape.groups)
    assert rows.label_names == ("day_offset", "mesh_code", "level")
    assert len(rows.values) == len(rows.noise_sd) == len(rows.parent_of)
    for row, up in enumerate(rows.parent_of):
        if up >= 0:
            assert rows.labels[up][2] == "2" and rows.labels[row][2] == "3"
            assert rows.labels[up][1] == parent(rows.labels[row][1], 2)
    for up in (row for row, p in enumerate(rows.parent_of) if p < 0):
        children = [row for row, p in enumerate(rows.parent_of) if p == up]
        assert sum(rows.values[row] for row in children) == rows.values[up]


def test_single_resolution_keeps_its_shape_and_hash() -> None:
    """Without ``resolution`` a visit map is the one-level map it always was (same hash)."""
    plain = QuerySpec(kind="visit-map", airport="SHM", **WINDOW)
    assert "resolution" not in plain.canonical()
    assert shape_of(plain).hierarchy is None
    assert _spec().spec_hash != plain.spec_hash
    assert QuerySpec.from_canonical(_spec().canonical()) == _spec()


@pytest.mark.parametrize(
    "changes",
    [{"mechanism": "laplace"}, {"resolution": "fine"}],
)
def test_adaptive_resolution_refuses_what_it_cannot_do(changes: dict[str, object]) -> None:
    """Laplace noise (normal intervals would under-cover) and unknown resolutions are refused."""
    with pytest.raises(InputError, match=r"resolution|adaptive"):
        _spec(**changes)


def test_adaptive_resolution_is_for_visit_maps_only() -> None:
    """A flows release has no mesh hierarchy."""
    with pytest.raises(InputError, match="visit-map only"):
        QuerySpec(kind="flows", airport="SHM", resolution="adaptive", **WINDOW)  # type: ignore[arg-type]
