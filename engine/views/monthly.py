"""The month view: which study-region municipalities a person visited in a calendar month.

Built for the furusato-nozei follow-up: the airline groups donors by donation month and reads the
months after. A ``month`` record exists for each (subscriber, JST calendar month) with at least one
observation whose municipality (area map) is one of the family's labels, the municipalities of
every study region; each such municipality sets its slot. There is no cap below the number of
municipalities: the bound on non-zero slots is the block size.

Map of the module: :func:`month_pairs`, and :func:`month_label` (a month number as ``YYYY-MM``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.views.domains import ViewFamily
from engine.views.prepare import PreparedObservations, in_periods, label_positions
from engine.views.presence import ViewPairs
from engine.views.table import distinct

__all__ = ["month_label", "month_pairs"]


def month_label(month: int) -> str:
    """``YYYY-MM`` of a month number (year × 12 + month − 1)."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_pairs(
    family: ViewFamily, prepared: PreparedObservations, allowed: npt.NDArray[np.int64] | None
) -> ViewPairs:
    """Records (person-months with a visit) and their visited-municipality slots."""
    block = family.block("visited")
    slots = label_positions(prepared.municipality, block.labels)
    visited = slots >= 0
    keys = prepared.month_keys()[visited]
    chosen = in_periods(keys, allowed)
    pairs = distinct(keys[chosen] * len(block.labels) + slots[visited][chosen])
    pair_keys = pairs // len(block.labels)
    offset = family.block_offset("visited")
    return distinct(pair_keys), pair_keys, pairs % len(block.labels) + offset
