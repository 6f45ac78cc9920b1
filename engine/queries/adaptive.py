"""The public shape of a two-level (adaptive-resolution) visit map: parents, noise, rows.

A visit map asked with ``resolution="adaptive"`` releases, per day offset, the region's mesh cells
*and* their parent cells one JIS level up (1 km → 10 km for the level-3 regions, 10 km → 80 km
for the level-2 ones). Everything here follows from the region's fixed cell domain, never from
data, so the airline and the carrier derive the same :class:`MeshHierarchy`:

* the parent slots come after the child slots of every group's vector; parent ``p`` sums the
  children ``members[p]`` (indices into the mesh block). The carrier multiplies those children's
  ciphertexts (:meth:`engine.crypto.slot_sums.SlotSums.add_parents`), so no indicator is added;
* :meth:`MeshHierarchy.sample_noise` gives child columns the child mechanism's draws and parent
  columns the parent mechanism's (both parties call it; :mod:`engine.dp.hierarchy` splits ρ);
* :meth:`MeshHierarchy.lane_reach` is what one record can add to one slot (K cells under one
  parent), for the lane width and the airline's range check;
* :func:`two_level_projector` reconciles the decrypted vectors (weighted least squares), rounds
  them consistently and labels every row with its ``level``; the airline then marks the drawn
  partition after the publication rule (:func:`engine.dp.hierarchy.drawn_partition`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from engine.dp import (
    ContributionBounds,
    LevelMechanisms,
    PrivacyCost,
    level_mechanisms,
    parent_bounds,
    reach_per_record,
    reconcile,
    round_consistently,
)
from geo.mesh import code_level, parent

__all__ = ["LEVEL_NAMES", "MeshHierarchy", "mesh_hierarchy", "two_level_projector"]

IntArray = npt.NDArray[np.int64]
LEVEL_NAMES = ("day_offset", "mesh_code", "level")  # then "drawn", added after publication


@dataclass(frozen=True)
class MeshHierarchy:
    """Child cells of the mesh block, their parents one level up, and the two mechanisms."""

    child_codes: tuple[str, ...]
    parent_codes: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]  # per parent, indices of its children in child_codes
    child_bounds: ContributionBounds
    cost: PrivacyCost

    @property
    def child_level(self) -> int:
        """Mesh level of the children (the region's)."""
        return code_level(self.child_codes[0])

    @property
    def parent_level(self) -> int:
        """Mesh level of the parents."""
        return self.child_level - 1

    @cached_property
    def parent_bounds(self) -> ContributionBounds:
        """The parent vector's bounds (:func:`engine.dp.hierarchy.parent_bounds`)."""
        return parent_bounds(self.child_bounds, [len(m) for m in self.members])

    @cached_property
    def levels(self) -> LevelMechanisms:
        """The child and parent mechanisms, ρ split between them."""
        return level_mechanisms(self.cost, self.child_bounds, self.parent_bounds)

    @property
    def width(self) -> int:
        """Values per group: children then parents."""
        return len(self.child_codes) + len(self.parent_codes)

    def lane_reach(self) -> int:
        """The most one record adds to one slot: 1 for a child, min(K, cells) for a parent."""
        return reach_per_record(self.child_bounds, [len(m) for m in self.members])

    def slot_reach(self) -> IntArray:
        """Per column of a group's vector, the most one record adds to it."""
        reach = np.ones(self.width, dtype=np.int64)
        reach[len(self.child_codes) :] = self.lane_reach()
        return reach

    @property
    def tail_bound(self) -> int:
        """A bound on any one noise draw, child or parent."""
        return max(self.levels.child.tail_bound, self.levels.parent.tail_bound)

    def sample_noise(self, groups: int) -> IntArray:
        """One party's noise, groups × width: child mechanism, then parent mechanism."""
        children = len(self.child_codes)
        noise = np.empty((groups, self.width), dtype=np.int64)
        noise[:, :children] = self.levels.child.sample(groups * children).reshape(groups, -1)
        rest = self.width - children
        noise[:, children:] = self.levels.parent.sample(groups * rest).reshape(groups, -1)
        return noise


def mesh_hierarchy(
    child_codes: Sequence[str], bounds: ContributionBounds, cost: PrivacyCost
) -> MeshHierarchy:
    """The parents (one level up) of a region's cells, in code order, with their children."""
    level = code_level(child_codes[0]) - 1
    grouped: dict[str, list[int]] = {}
    for index, code in enumerate(child_codes):
        grouped.setdefault(parent(code, level), []).append(index)
    codes = tuple(sorted(grouped))
    return MeshHierarchy(
        tuple(child_codes), codes, tuple(tuple(grouped[c]) for c in codes), bounds, cost
    )


@dataclass(frozen=True)
class TwoLevelRows:
    """Rows of a two-level map before publication (ProjectedRows plus the tree of rows)."""

    labels: tuple[tuple[str, ...], ...]
    values: tuple[int, ...]
    noise_sd: tuple[float, ...]
    parent_of: tuple[int, ...]  # per row: its parent's row, or −1 for a parent row


Label = tuple[str, ...]


def two_level_projector(
    hierarchy: MeshHierarchy,
) -> Callable[[Sequence[Label], Sequence[IntArray]], TwoLevelRows]:
    """Reconcile each group's noisy children and parents; rows with exact standard deviations."""
    levels = hierarchy.levels
    children = len(hierarchy.child_codes)
    child_var = np.full(children, levels.child_variance)
    parent_var = np.full(len(hierarchy.parent_codes), levels.parent_variance)
    child_level, parent_level = str(hierarchy.child_level), str(hierarchy.parent_level)

    def project(labels: Sequence[Label], vectors: Sequence[IntArray]) -> TwoLevelRows:
        rows: list[tuple[str, ...]] = []
        values: list[int] = []
        sds: list[float] = []
        parent_of: list[int] = []
        for label, vector in zip(labels, vectors, strict=True):
            vector = np.asarray(vector, dtype=np.int64)
            fit = reconcile(
                vector[:children], vector[children:], hierarchy.members, child_var, parent_var
            )
            ints_c, ints_p = round_consistently(fit.children, fit.parents, hierarchy.members)
            first_parent = len(rows) + children
            row_parent = np.empty(children, dtype=np.int64)
            for p, members in enumerate(hierarchy.members):
                row_parent[list(members)] = first_parent + p
            for i, code in enumerate(hierarchy.child_codes):
                rows.append((*label, code, child_level))
                values.append(ints_c[i])
                sds.append(math.sqrt(float(fit.child_variances[i])))
                parent_of.append(int(row_parent[i]))
            for p, code in enumerate(hierarchy.parent_codes):
                rows.append((*label, code, parent_level))
                values.append(ints_p[p])
                sds.append(math.sqrt(float(fit.parent_variances[p])))
                parent_of.append(-1)
        return TwoLevelRows(tuple(rows), tuple(values), tuple(sds), tuple(parent_of))

    return project
