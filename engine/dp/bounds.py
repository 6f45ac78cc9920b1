"""Contribution bounds and the sensitivities that follow from them.

Differential privacy protects one person: the noise must hide the largest change one person can
make to the released vector. That change is fixed by the contribution bounds each party enforces
where its data lives, so the sensitivities are *derived* here from the bounds, never typed in.

The released vector is the concatenation, over cohort groups, of the per-slot sums of the matched
payloads; every slot of one record's payload is 0 or 1. One person can appear in at most ``g``
groups (:attr:`ContributionBounds.max_groups`), with at most ``r`` records in each group
(:attr:`~ContributionBounds.max_records_per_group`), and every record sets at most ``K`` slots
(:attr:`~ContributionBounds.max_nonzero_per_record`). The worst case for adding or removing that
person:

* L1 — every record touches ``K`` slots, each by one, so the vector moves by ``g·r·K`` in L1,
  however the slots overlap;
* L2 — the ``r`` records of one group may all set the *same* ``K`` slots, so each of those slots
  moves by ``r``: ``K·r²`` per group and ``g·K·r²`` in all; the L2 sensitivity is its square root.

The L2 sensitivity is irrational in general. OpenDP's Gaussian takes it as a float distance
(``l2_distance(T=float)``) on an integer vector domain, so :attr:`ContributionBounds.l2` is the
smallest float not below the exact root: rounding up can only overstate the privacy cost, never
understate it. :attr:`~ContributionBounds.l2_squared` keeps the exact integer.

A vector whose entries are *sums of slots* (the parent cells of an adaptive-resolution map,
:mod:`engine.dp.hierarchy`) is not 0/1 per record: one record moves it by at most ``K`` in L1 but
by up to ``K²`` in squared L2 (all ``K`` cells under one parent). ``record_l2_squared`` states
that per-record squared L2 bound ``S`` (default ``K``, the 0/1 case); the L2 sensitivity is then
``√(g·r²·S)`` by the triangle inequality over a group's ``r`` records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from foundation.errors import InputError

__all__ = ["ContributionBounds", "sqrt_rounded_up"]


@dataclass(frozen=True)
class ContributionBounds:
    """How much one person may contribute to one release; validated when built."""

    max_groups: int
    max_records_per_group: int
    max_nonzero_per_record: int
    record_l2_squared: int | None = None  # one record's squared L2 reach; None: K (0/1 slots)

    def __post_init__(self) -> None:
        for name in ("max_groups", "max_records_per_group", "max_nonzero_per_record"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(
                    f"contribution bound {name} must be a positive integer, not {value!r}",
                    field=name,
                )
        square, k = self.record_l2_squared, self.max_nonzero_per_record
        if square is not None and (
            isinstance(square, bool) or not isinstance(square, int) or not k <= square <= k * k
        ):
            raise InputError(
                f"record_l2_squared must be an integer between K = {k} and K² = {k * k}, "
                f"not {square!r}",
                field="record_l2_squared",
            )

    @property
    def l1(self) -> int:
        """L1 sensitivity: g·r·K, every slot one record touches moving by one."""
        return self.max_groups * self.max_records_per_group * self.max_nonzero_per_record

    @property
    def l2_squared(self) -> int:
        """Exact squared L2 sensitivity: g·r²·S (S = K for 0/1 slots), all records of a group
        on the same slots."""
        per_record = self.record_l2_squared or self.max_nonzero_per_record
        return self.max_groups * self.max_records_per_group**2 * per_record

    @property
    def l2(self) -> float:
        """L2 sensitivity as the smallest float not below √(g·r²·K), for OpenDP's float metric."""
        return sqrt_rounded_up(self.l2_squared)


def sqrt_rounded_up(value: int | float) -> float:
    """Return the smallest float whose exact square is at least ``value`` (≥ 0)."""
    exact = Fraction(value)
    root = math.sqrt(value)
    # math.sqrt rounds to nearest, which may land just below the true root.
    while Fraction(root) ** 2 < exact:
        root = math.nextafter(root, math.inf)
    while root > 0 and Fraction(math.nextafter(root, 0.0)) ** 2 >= exact:
        root = math.nextafter(root, 0.0)
    return root
