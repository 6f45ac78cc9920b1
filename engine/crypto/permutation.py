"""Secret shuffles: a uniformly random permutation drawn from the operating system's CSPRNG.

Every list one party sends the other in a shuffled order (blinded cohort groups, re-blinded groups,
the scope) hides which position is which record, dummy or padding point only if the order is
unpredictable to the receiver. ``random.SystemRandom().shuffle`` gives that but asks the kernel
for bytes once per element (0.3 s for the 70,000 positions of a month of departures); here each
element gets a 128-bit key from one ``os.urandom`` call and the order is the keys' sort order.
Two keys tie with probability below ``n² / 2¹²⁹`` (under 10⁻²⁹ for a million elements), so the
permutation is uniform up to that distance.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["secret_permutation", "shuffled"]

_T = TypeVar("_T")


def secret_permutation(count: int) -> npt.NDArray[np.int64]:
    """A uniformly random ordering of ``range(count)`` that nobody can predict."""
    if count <= 1:
        return np.arange(max(count, 0), dtype=np.int64)
    keys = np.frombuffer(os.urandom(16 * count), dtype=np.uint64).reshape(count, 2)
    return np.lexsort((keys[:, 1], keys[:, 0])).astype(np.int64)


def shuffled(items: Sequence[_T]) -> list[_T]:
    """``items`` in a secret random order (a new list)."""
    return [items[i] for i in secret_permutation(len(items))]
