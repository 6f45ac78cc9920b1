"""Tests of contribution bounds and the sensitivities derived from them (engine.dp.bounds)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from engine.dp.bounds import ContributionBounds, sqrt_rounded_up
from foundation.errors import InputError

RNG_SEED = 20250802


def release_vector(records: list[tuple[int, list[int]]], groups: int, slots: int) -> np.ndarray:
    """The released vector: per group, the slot sums of the 0/1 payloads of the records."""
    vector = np.zeros((groups, slots), dtype=np.int64)
    for group, touched in records:
        vector[group, touched] += 1
    return vector.ravel()


@pytest.mark.parametrize(
    ("groups", "records", "nonzero", "l1", "l2_squared"),
    [(1, 1, 1, 1, 1), (3, 1, 4, 12, 12), (2, 3, 5, 30, 90), (1, 2, 4, 8, 16), (7, 2, 3, 42, 84)],
)
def test_sensitivities_follow_from_the_bounds(
    groups: int, records: int, nonzero: int, l1: int, l2_squared: int
) -> None:
    """L1 = g·r·K and L2² = g·r²·K, computed from the three bounds."""
    bounds = ContributionBounds(groups, records, nonzero)
    assert bounds.l1 == l1
    assert bounds.l2_squared == l2_squared
    assert bounds.l2 == pytest.approx(math.sqrt(l2_squared), rel=1e-15)


def test_the_worst_case_person_reaches_both_sensitivities() -> None:
    """r records in each of g groups, all on the same K slots, move the vector by L1 and L2."""
    bounds = ContributionBounds(max_groups=3, max_records_per_group=4, max_nonzero_per_record=2)
    person = [(group, [5, 9]) for group in range(3) for _ in range(4)]
    change = release_vector(person, groups=5, slots=12)
    assert int(np.abs(change).sum()) == bounds.l1
    assert int((change**2).sum()) == bounds.l2_squared


def test_no_person_within_the_bounds_exceeds_the_sensitivities() -> None:
    """Random contributions obeying the bounds never move the vector further than L1 or L2."""
    bounds = ContributionBounds(max_groups=2, max_records_per_group=3, max_nonzero_per_record=4)
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(500):
        groups = rng.choice(6, size=rng.integers(1, 3), replace=False)
        person = [
            (int(group), list(rng.choice(10, size=rng.integers(0, 5), replace=False)))
            for group in groups
            for _ in range(rng.integers(1, 4))
        ]
        change = release_vector(person, groups=6, slots=10)
        assert int(np.abs(change).sum()) <= bounds.l1
        assert int((change**2).sum()) <= bounds.l2_squared


@pytest.mark.parametrize("value", [1, 2, 3, 16, 60, 10**6 + 1, 2**53 + 1, 10**30 + 7])
def test_l2_is_the_smallest_float_not_below_the_exact_root(value: int) -> None:
    """The float root is an upper bound, and the next float down is not."""
    root = sqrt_rounded_up(value)
    assert Fraction(root) ** 2 >= value
    assert Fraction(math.nextafter(root, 0.0)) ** 2 < value


def test_perfect_squares_give_exact_roots() -> None:
    """g·r²·K a perfect square: the L2 sensitivity is that integer exactly."""
    assert ContributionBounds(1, 2, 4).l2 == 4.0
    assert ContributionBounds(4, 3, 1).l2 == 6.0


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2", None])
@pytest.mark.parametrize("field", ["max_groups", "max_records_per_group", "max_nonzero_per_record"])
def test_bounds_must_be_positive_integers(field: str, bad: object) -> None:
    """Each bound refuses zero, negatives, bools and non-integers, naming the field."""
    values: dict[str, object] = {
        "max_groups": 1,
        "max_records_per_group": 1,
        "max_nonzero_per_record": 1,
    }
    values[field] = bad
    with pytest.raises(InputError, match=field):
        ContributionBounds(**values)  # type: ignore[arg-type]
