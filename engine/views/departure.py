"""The departure view: where a person was (home, airport, elsewhere) at each 20-minute slot time.

The carrier cannot know when anyone flies, so it describes every person-day with observations:
for each slot time t of :data:`~engine.views.domains.SLOT_TIMES` (05:00, 05:20, …, 22:40 JST) the
class of the latest observation in [t − 120 min, t] (both ends included) sets the slot
``"HH:MM|class"``; with no observation in that window no slot of t is set ("none"). The airline
groups departures by the slot time at or before "departure − m minutes" and reads the class
distribution at that slot after release.

Classes (computed once in :mod:`engine.views.prepare`): ``home`` if the observation's municipality
is the subscriber's home municipality, else ``airport`` within 5 km of any airport, else
``elsewhere``. When several observations share the latest second, the lowest class code wins
(home, then airport, then elsewhere), so the result never depends on row order.

Map of the module: :func:`departure_pairs`, and :func:`slot_seconds` (the slot times as seconds).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.views.domains import LOCATION_CLASSES, SLOT_TIMES, WINDOW_MINUTES, ViewFamily
from engine.views.prepare import SECONDS_PER_DAY, PreparedObservations, in_periods
from engine.views.presence import ViewPairs
from engine.views.table import distinct

__all__ = ["departure_pairs", "slot_seconds"]


def slot_seconds() -> npt.NDArray[np.int64]:
    """Seconds after midnight of each slot time, in slot order."""
    return np.array(
        [int(time[:2]) * 3600 + int(time[3:]) * 60 for time in SLOT_TIMES], dtype=np.int64
    )


def departure_pairs(
    family: ViewFamily, prepared: PreparedObservations, allowed: npt.NDArray[np.int64] | None
) -> ViewPairs:
    """Records (person-days with ≥1 observation) and their class-per-slot-time slots."""
    keys = prepared.day_keys()
    records = distinct(keys)
    records = records[in_periods(records, allowed)]
    stamps, classes = _ordered_stamps(keys, prepared.second, prepared.location_class)
    times = slot_seconds()
    queries = (records[:, None] * SECONDS_PER_DAY + times[None, :]).ravel()
    latest = np.searchsorted(stamps, queries, side="right") - 1
    found = latest >= 0
    found[found] &= stamps[latest[found]] >= queries[found] - WINDOW_MINUTES * 60
    slot_of_time = np.tile(np.arange(len(times)), len(records)) * len(LOCATION_CLASSES)
    slots = slot_of_time[found] + classes[latest[found]] + family.block_offset("class_at")
    return records, np.repeat(records, len(times))[found], slots


def _ordered_stamps(
    keys: npt.NDArray[np.int64], seconds: npt.NDArray[np.int64], classes: npt.NDArray[np.int8]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Observation times as (record key × day seconds + second), ascending; classes alongside.

    Among observations of the same second the lowest class comes last, so the search for the
    latest one picks it.
    """
    stamps = keys * SECONDS_PER_DAY + seconds
    order = np.lexsort((-classes.astype(np.int64), stamps))
    return stamps[order], classes[order].astype(np.int64)
