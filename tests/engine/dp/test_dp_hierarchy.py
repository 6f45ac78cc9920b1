"""Tests of adaptive resolution (engine.dp.hierarchy): sensitivity, ρ split, estimator, coverage."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine.dp import (
    PARENT_SHARE,
    ContributionBounds,
    PrivacyCost,
    build_release,
    drawn_partition,
    level_mechanisms,
    mark_drawn,
    mechanism_for,
    normal_law,
    parent_bounds,
    reconcile,
    round_consistently,
)
from foundation.errors import InputError

RNG = np.random.default_rng(12)  # random trees and values for the estimator (not DP noise)


def _tree(sizes: list[int]) -> list[list[int]]:
    """Children numbered in order, ``sizes[p]`` of them under parent ``p``."""
    edges = np.cumsum([0, *sizes])
    return [list(range(edges[p], edges[p + 1])) for p in range(len(sizes))]


def _worst_parent_vector(bounds: ContributionBounds, sizes: list[int]) -> tuple[int, int]:
    """Brute force: the largest L1 and squared L2 one person moves the parent vector by.

    Every record sets at most K child cells (0/1); the parent vector sums them per parent. The
    person's r records in each of g groups may all be the same record (the L2 worst case).
    """
    cells = [p for p, size in enumerate(sizes) for _ in range(size)]
    best_l1 = best_l2 = 0
    for chosen in itertools.combinations(range(len(cells)), bounds.max_nonzero_per_record):
        per_parent = np.bincount([cells[c] for c in chosen], minlength=len(sizes))
        r, g = bounds.max_records_per_group, bounds.max_groups
        best_l1 = max(best_l1, g * r * int(per_parent.sum()))
        best_l2 = max(best_l2, g * int(((r * per_parent) ** 2).sum()))
    return best_l1, best_l2


@pytest.mark.parametrize(
    ("k", "sizes"), [(3, [2, 2, 1]), (2, [1, 1, 1, 1]), (4, [6, 1]), (3, [1, 2, 3]), (1, [5, 2])]
)
def test_parent_sensitivity_is_the_brute_force_maximum(k: int, sizes: list[int]) -> None:
    """The parents' L1 and L2 bounds are reached by the worst person, and never exceeded."""
    bounds = ContributionBounds(2, 3, k)
    parents = parent_bounds(bounds, sizes)
    assert (parents.l1, parents.l2_squared) == _worst_parent_vector(bounds, sizes)


def test_parent_l2_is_k_times_the_children_when_one_parent_holds_k_cells() -> None:
    """A person-day's K cells all under one parent move it by K: L2² = g·r²·K², L1 = g·r·K."""
    bounds = ContributionBounds(3, 2, 6)
    parents = parent_bounds(bounds, [100, 80, 48])
    assert parents.l1 == bounds.l1 == 3 * 2 * 6
    assert parents.l2_squared == 3 * 2**2 * 6**2 == 6 * bounds.l2_squared


@pytest.mark.parametrize("mechanism", ["gaussian", "laplace"])
def test_the_levels_share_the_spec_cost(mechanism: str) -> None:
    """ρ (or ε) splits 0.8 / 0.2; the two levels together spend the spec's cost, no more."""
    cost = PrivacyCost.from_epsilon(1.0, 1e-6, mechanism)  # type: ignore[arg-type]
    bounds = ContributionBounds(3, 1, 6)
    levels = level_mechanisms(cost, bounds, parent_bounds(bounds, [100, 80, 48]))
    assert levels.child.cost == pytest.approx((1 - PARENT_SHARE) * cost.budget, rel=1e-6)
    assert levels.parent.cost == pytest.approx(PARENT_SHARE * cost.budget, rel=1e-6)
    assert levels.spent <= cost.budget * (1 + 1e-12)
    assert levels.spent == pytest.approx(cost.budget, rel=1e-6)
    # each level calibrated to its own vector: parents reach K² in L2, the same L1
    if mechanism == "gaussian":
        assert levels.parent.sensitivity == pytest.approx(6**0.5 * levels.child.sensitivity)
    else:
        assert levels.parent.sensitivity == levels.child.sensitivity


def _gls(y_c: np.ndarray, y_p: np.ndarray, tree: list[list[int]], v_c: np.ndarray,
         v_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Generalised least squares on the tree: estimates of the children and their covariance."""
    n = len(y_c)
    design = np.vstack([np.eye(n), np.array([[i in m for i in range(n)] for m in tree], float)])
    weights = np.diag(1 / np.concatenate([v_c, v_p]))
    covariance = np.linalg.inv(design.T @ weights @ design)
    return covariance @ design.T @ weights @ np.concatenate([y_c, y_p]), covariance


@pytest.mark.parametrize("trial", range(25))
def test_reconciled_estimates_are_the_weighted_least_squares_fit(trial: int) -> None:
    """On random trees: the closed form equals GLS, with GLS's exact variances."""
    sizes = RNG.integers(1, 7, size=RNG.integers(1, 5)).tolist()
    tree = _tree(sizes)
    n = sum(sizes)
    y_c, y_p = RNG.normal(20, 30, n), RNG.normal(60, 90, len(sizes))
    v_c, v_p = RNG.uniform(1, 50, n), RNG.uniform(1, 400, len(sizes))
    fit = reconcile(y_c, y_p, tree, v_c, v_p)
    expected, covariance = _gls(y_c, y_p, tree, v_c, v_p)
    np.testing.assert_allclose(fit.children, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fit.child_variances, np.diag(covariance), rtol=1e-9)
    for p, members in enumerate(tree):
        assert fit.parents[p] == pytest.approx(fit.children[members].sum(), abs=1e-9)
        block = covariance[np.ix_(members, members)]
        assert fit.parent_variances[p] == pytest.approx(block.sum(), rel=1e-9)


@pytest.mark.parametrize("trial", range(200))
def test_rounded_children_sum_exactly_to_their_rounded_parent(trial: int) -> None:
    """Property: whatever the values, integer children sum to the integer parent, each within 1
    of its real estimate, and the parent is the nearest integer."""
    sizes = RNG.integers(1, 30, size=RNG.integers(1, 6)).tolist()
    tree = _tree(sizes)
    n = sum(sizes)
    fit = reconcile(
        RNG.integers(-50, 200, n), RNG.integers(-50, 2000, len(sizes)), tree,
        np.full(n, RNG.uniform(1, 900)), RNG.uniform(1, 20000, len(sizes)),
    )  # fmt: skip
    children, parents = round_consistently(fit.children, fit.parents, tree)
    for p, members in enumerate(tree):
        assert sum(children[i] for i in members) == parents[p]
        assert abs(parents[p] - fit.parents[p]) <= 0.5
    assert np.abs(np.asarray(children) - fit.children).max() < 1


def test_reconcile_refuses_a_child_under_two_parents() -> None:
    """A tree must be a partition of the children."""
    with pytest.raises(InputError, match="exactly one parent"):
        reconcile([1, 2], [3, 3], [[0, 1], [1]], [1, 1], [1, 1])


def test_coverage_of_the_two_level_intervals_with_opendp_noise() -> None:
    """Over 300 releases with real noise of both parties, 95 % intervals cover 94–96 %."""
    cost = PrivacyCost.from_epsilon(1.0)
    bounds = ContributionBounds(3, 1, 6)
    sizes = [25, 16, 9, 30]
    tree = _tree(sizes)
    levels = level_mechanisms(cost, bounds, parent_bounds(bounds, sizes))
    truth_c = RNG.integers(0, 40, sum(sizes))
    truth_p = np.array([truth_c[m].sum() for m in tree])
    v_c = np.full(len(truth_c), levels.child_variance)
    v_p = np.full(len(tree), levels.parent_variance)
    draws, covered, total = 300, 0, 0
    for _ in range(draws):
        noisy_c = truth_c + levels.child.sample(len(truth_c)) + levels.child.sample(len(truth_c))
        noisy_p = truth_p + levels.parent.sample(len(tree)) + levels.parent.sample(len(tree))
        fit = reconcile(noisy_c, noisy_p, tree, v_c, v_p)
        children, parents = round_consistently(fit.children, fit.parents, tree)
        estimates = np.concatenate([children, parents])
        variances = np.concatenate([fit.child_variances, fit.parent_variances])
        widths = np.array(
            [normal_law("gaussian", float(np.sqrt(v))).half_width() for v in variances]
        )
        covered += int((np.abs(estimates - np.concatenate([truth_c, truth_p])) <= widths).sum())
        total += len(estimates)
    assert 0.94 <= covered / total <= 0.96


def test_the_drawn_partition_never_overlaps() -> None:
    """Shown children are drawn; a shown parent only when none of its children is shown."""
    tree = [[0, 1], [2, 3], [4]]
    child, parent = drawn_partition(tree, [True, False, False, False, False], [True, True, False])
    assert child == (True, False, False, False, False)
    assert parent == (False, True, False)


def test_mark_drawn_labels_a_published_release() -> None:
    """Rows get ``drawn``: the shown child, and the shown parent whose children are all withheld."""
    cost = PrivacyCost.from_epsilon(1.0)
    mechanism = mechanism_for(cost, ContributionBounds(1, 1, 1))
    labels = [("a1", "3"), ("a2", "3"), ("b1", "3"), ("a", "2"), ("b", "2")]
    release = build_release(
        [900, 0, 3, 905, 700], mechanism, cost, row_labels=labels,
        label_names=["mesh_code", "level"], query_spec={}, noise_sd=[5.0] * 5,
    )  # fmt: skip
    marked = mark_drawn(release, [3, 3, 4, -1, -1])
    assert marked.label_names == ("mesh_code", "level", "drawn")
    assert [row[2] for row in marked.row_labels] == ["yes", "no", "no", "no", "yes"]
    with pytest.raises(InputError, match="one entry per value"):
        mark_drawn(release, [3, -1])
