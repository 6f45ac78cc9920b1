"""Random draws shared by the simulation modules.

Everything random in the world comes from ``numpy.random.Generator`` objects handed down from
:func:`sample_data.generate`, never from global state, so a seed fixes the world. Two helpers:
:func:`pick_by_share` draws labels with given probabilities (vectorised), and :class:`Draws`
serves scalar uniforms from pre-drawn blocks, for the few loops that plan one itinerary at a time
(calling the generator once per scalar would dominate their run time).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

__all__ = ["Draws", "pick_by_share"]

_BLOCK = 65_536


def pick_by_share(
    rng: np.random.Generator, shares: Mapping[str, float], count: int
) -> npt.NDArray[np.str_]:
    """``count`` keys of ``shares`` drawn with probabilities proportional to the values."""
    keys = np.asarray(list(shares), dtype="<U16")
    weights = np.asarray(list(shares.values()), dtype=np.float64)
    return keys[rng.choice(len(keys), count, p=weights / weights.sum())]


class Draws:
    """A stream of uniform numbers from one generator, drawn in blocks."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._block: list[float] = []
        self._next = 0

    def uniform(self, low: float = 0.0, high: float = 1.0) -> float:
        """One uniform number in [low, high)."""
        if self._next == len(self._block):
            self._block = self._rng.random(_BLOCK).tolist()
            self._next = 0
        value = self._block[self._next]
        self._next += 1
        return low + (high - low) * value

    def index(self, cumulative: list[float]) -> int:
        """An index drawn with weights given as a cumulative list (last entry = total)."""
        target = self.uniform(0.0, cumulative[-1])
        for position, bound in enumerate(cumulative):
            if target < bound:
                return position
        return len(cumulative) - 1
