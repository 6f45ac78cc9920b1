"""Adaptive resolution: a map released on two mesh levels, made consistent, drawn at the finest
reliable level.

Why two levels. At ε = 1 a 1 km cell carries ±40 or more of noise, so a thinly visited area shows
nothing at all; the 10 km cell around it adds up a hundred such areas and may well be reliable.
So a map release also publishes its *parent* cells (one mesh level up), and every place is drawn
at the finest level whose value is shown.

How the parents are counted (no extra ciphertext). A parent slot's sum is the product, at the
carrier, of its children's slot sums: its truth is exactly the sum of its children's truths (the
children being the region's cells under that parent). Each party adds to parent slots its own draw
of the *parent* mechanism, as to child slots its draw of the child mechanism.

The budget split (zCDP adds): the children get ``1 − PARENT_SHARE`` of the release's ρ and the
parents ``PARENT_SHARE`` (ε for the pure-ε Laplace, where ε adds), so the total is the spec's cost
and nothing more is charged. Each mechanism is calibrated to its own vector's sensitivity:

* children — the usual bounds (g groups, r records per group, K cells per record): L1 = g·r·K,
  L2² = g·r²·K;
* parents — one record's K cells fall in at most K parents and move them by K in all (L1 = g·r·K
  again), but they may all lie under one parent, which then moves by K: its squared L2 reach is
  ``S = max Σ_p x_p²`` over ``Σ x_p ≤ K``, ``x_p ≤ c_p`` (``c_p`` the region's cells under parent
  ``p``), reached by filling the largest parents first — K² as soon as one parent holds K cells.
  :func:`parent_bounds` computes it; L2² = g·r²·S.

The estimator (post-processing; Hay et al. 2010, the US Census TopDown's two-level step). For a
parent with direct estimate ``y_p`` (variance ``v_p``) and children ``y_i`` (variances ``v_i``,
sum ``Y``, variance ``V = Σ v_i``), weighted least squares gives the inverse-variance combination
``p̂ = (y_p/v_p + Y/V) / (1/v_p + 1/V)`` and children ``ĉ_i = y_i + (v_i/V)(p̂ − Y)``: the
difference is shared in proportion to the children's variances, and ``Σ ĉ_i = p̂`` exactly. Every
estimate is a linear combination of independent noises, so its exact variance is ``Σ a_j² v_j``
(:func:`reconcile`). Integers: ``p̂`` is rounded to the nearest integer and the children are
rounded by largest remainder so that they still sum to it (:func:`round_consistently`); the
intervals use the normal law of the exact variance (its coverage is tested with OpenDP noise).

What is drawn (:func:`drawn_partition`): every shown child; a shown parent none of whose children
is shown ("merged upward"). The drawn cells never overlap, so a map adds nothing twice.
:func:`mark_drawn` adds that as the label ``drawn`` ("yes"/"no") to a published release.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from engine.dp.accounting import MechanismKind, PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import NoiseMechanism, calibrate
from engine.dp.release import Release
from engine.dp.sums import one_draw_variance
from foundation.errors import ConfigError, InputError

__all__ = [
    "PARENT_SHARE",
    "LevelMechanisms",
    "Reconciled",
    "drawn_partition",
    "level_mechanisms",
    "mark_drawn",
    "parent_bounds",
    "reach_per_record",
    "reconcile",
    "round_consistently",
]

PARENT_SHARE = 0.2  # of ρ (or of ε for the Laplace) spent on the parent level
FloatArray = npt.NDArray[np.float64]
Tree = Sequence[Sequence[int]]  # per parent, the indices of its children
Values = npt.ArrayLike  # a sequence or array of numbers


def parent_bounds(
    bounds: ContributionBounds, children_per_parent: Sequence[int]
) -> ContributionBounds:
    """The bounds of the parent vector: L1 as the children's, squared L2 reach ``S`` per record.

    ``S`` is the largest ``Σ x_p²`` with ``Σ x_p ≤ K`` and ``0 ≤ x_p ≤ c_p``: by convexity the K
    cells go to the parents with most cells first.
    """
    if not children_per_parent or min(children_per_parent) < 1:
        raise InputError("every parent cell needs at least one child cell", field="parents")
    left, square = bounds.max_nonzero_per_record, 0
    for cells in sorted(children_per_parent, reverse=True):
        taken = min(cells, left)
        square, left = square + taken * taken, left - taken
        if not left:
            break
    k = bounds.max_nonzero_per_record - left  # fewer cells than K in the region: L1 is smaller
    return ContributionBounds(bounds.max_groups, bounds.max_records_per_group, k, square)


def reach_per_record(bounds: ContributionBounds, children_per_parent: Sequence[int]) -> int:
    """How much one record can add to one parent slot: min(K, most cells under a parent)."""
    return min(bounds.max_nonzero_per_record, max(children_per_parent))


@dataclass(frozen=True)
class LevelMechanisms:
    """The two mechanisms of a two-level release and what one value of each level carries."""

    child: NoiseMechanism
    parent: NoiseMechanism
    parties: int = 2  # independent draws per value: the carrier's and the airline's

    @property
    def child_variance(self) -> float:
        """Variance of one child value's noise (every party's draw)."""
        return self.parties * one_draw_variance(self.child.kind, self.child.scale)

    @property
    def parent_variance(self) -> float:
        """Variance of one parent value's noise (every party's draw)."""
        return self.parties * one_draw_variance(self.parent.kind, self.parent.scale)

    @property
    def spent(self) -> float:
        """ρ (gaussian) or ε (laplace) of both levels together: zCDP and pure ε add."""
        return self.child.cost + self.parent.cost


def level_mechanisms(
    cost: PrivacyCost,
    child_bounds: ContributionBounds,
    parents: ContributionBounds,
    share: float = PARENT_SHARE,
) -> LevelMechanisms:
    """Split ``cost`` between the levels (``share`` to the parents) and calibrate each."""
    if not 0 < share < 1:
        raise InputError(f"the parent share must lie strictly between 0 and 1, not {share!r}")
    kind: MechanismKind = cost.mechanism
    budget = cost.budget
    child = calibrate(kind, child_bounds, budget * (1 - share))
    parent = calibrate(kind, parents, budget * share)
    levels = LevelMechanisms(child, parent)
    if levels.spent > budget * (1 + 1e-12):
        raise ConfigError("the two levels spend more than the release's cost; report this bug")
    return levels


@dataclass(frozen=True)
class Reconciled:
    """Consistent real estimates and their exact variances, children then parents."""

    children: FloatArray
    parents: FloatArray
    child_variances: FloatArray
    parent_variances: FloatArray


def reconcile(
    children: Values,
    parents: Values,
    tree: Tree,
    child_variances: Values,
    parent_variances: Values,
) -> Reconciled:
    """Weighted least squares on the two-level tree (module docstring); children sum to parents."""
    y_c, y_p = np.asarray(children, dtype=np.float64), np.asarray(parents, dtype=np.float64)
    v_c = np.asarray(child_variances, dtype=np.float64)
    v_p = np.asarray(parent_variances, dtype=np.float64)
    _check_tree(tree, len(y_c), len(y_p), v_c, v_p)
    out_c, out_p = y_c.copy(), y_p.copy()
    var_c, var_p = np.zeros_like(v_c), np.zeros_like(v_p)
    for p, members in enumerate(tree):
        index = np.asarray(members, dtype=np.int64)
        share = v_c[index] / v_c[index].sum()
        # Coefficients on the inputs (y_p, y_children): the estimates are linear in them.
        total = v_c[index].sum()
        w = total / (total + v_p[p])  # weight of the direct parent estimate
        a_parent = np.concatenate(([w], np.full(len(index), 1 - w)))
        inputs = np.concatenate(([y_p[p]], y_c[index]))
        variances = np.concatenate(([v_p[p]], v_c[index]))
        out_p[p] = a_parent @ inputs
        var_p[p] = (a_parent**2) @ variances
        # ĉ_i = y_i + share_i (p̂ − Y) = y_i + share_i·w·(y_p − Y)
        a_child = np.zeros((len(index), len(index) + 1))
        a_child[:, 0] = share * w
        a_child[:, 1:] = np.eye(len(index)) - np.outer(share * w, np.ones(len(index)))
        out_c[index] = a_child @ inputs
        var_c[index] = (a_child**2) @ variances
    return Reconciled(out_c, out_p, var_c, var_p)


def _check_tree(tree: Tree, children: int, parents: int, v_c: FloatArray, v_p: FloatArray) -> None:
    """Every child under exactly one parent; one variance per value, all positive."""
    if len(tree) != parents or len(v_c) != children or len(v_p) != parents:
        raise InputError("the tree, the values and their variances must align", field="parents")
    seen = sorted(i for members in tree for i in members)
    if seen != list(range(children)) or any(not members for members in tree):
        raise InputError("every child cell lies under exactly one parent", field="parents")
    if (v_c <= 0).any() or (v_p <= 0).any():
        raise InputError("noise variances must be positive", field="variances")


def round_consistently(
    children: Values, parents: Values, tree: Tree
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Integers: each parent rounded to nearest, its children by largest remainder to sum to it."""
    real_c = np.asarray(children, dtype=np.float64)
    real_p = np.asarray(parents, dtype=np.float64)
    out_c = np.floor(real_c).astype(np.int64)
    out_p = []
    for p, members in enumerate(tree):
        index = np.asarray(members, dtype=np.int64)
        target = math.floor(float(real_p[p]) + 0.5)
        remainder = target - int(out_c[index].sum())
        fractions = real_c[index] - out_c[index]
        order = index[np.argsort(-fractions, kind="stable")]
        if not 0 <= remainder <= len(index):  # only if the children did not sum to the parent
            raise InputError(f"children of parent {p} do not sum to it; reconcile them first")
        out_c[order[:remainder]] += 1
        out_p.append(target)
    return tuple(int(v) for v in out_c), tuple(out_p)


def drawn_partition(
    tree: Tree, child_shown: Sequence[bool], parent_shown: Sequence[bool]
) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Which shown cells a map draws: shown children, and shown parents with no child shown."""
    child_drawn = tuple(bool(shown) for shown in child_shown)
    parent_drawn = tuple(
        bool(parent_shown[p]) and not any(child_drawn[i] for i in members)
        for p, members in enumerate(tree)
    )
    return child_drawn, parent_drawn


def mark_drawn(release: Release, parent_of: Sequence[int]) -> Release:
    """``release`` with the label ``drawn`` ("yes"/"no") after its others (the drawn partition).

    ``parent_of[i]`` is the row of value ``i``'s parent cell, or −1 when value ``i`` is a parent.
    """
    if len(parent_of) != len(release.values):
        raise InputError("parent_of needs one entry per value", field="parent_of")
    shown = [not hidden for hidden in release.suppressed]
    parents = [row for row, up in enumerate(parent_of) if up < 0]
    child_rows = [row for row, up in enumerate(parent_of) if up >= 0]
    slot = {row: p for p, row in enumerate(parents)}
    tree: list[list[int]] = [[] for _ in parents]
    for position, row in enumerate(child_rows):
        tree[slot[parent_of[row]]].append(position)
    child_drawn, parent_drawn = drawn_partition(
        tree, [shown[row] for row in child_rows], [shown[row] for row in parents]
    )
    drawn = dict(zip(child_rows, child_drawn, strict=True))
    drawn.update(zip(parents, parent_drawn, strict=True))
    labels = tuple((*row, "yes" if drawn[i] else "no") for i, row in enumerate(release.row_labels))
    return replace(release, row_labels=labels, label_names=(*release.label_names, "drawn"))
