"""Region day views: where in the region a person was, when, who they are and how often they came.

A ``region:<id>`` record exists for each (subscriber, JST day) with at least one observation in the
region's mesh domain. Its blocks (``docs/views.md`` is the spec; the sample world's truth tables
implement the same definitions):

* ``mesh`` — domain cells holding ≥1 of the day's observations; above K_MESH the cells with most
  observations are kept, ties going to the smaller code (= smaller slot: the domain is sorted);
* ``area`` — the region's municipalities holding ≥1 of the day's observations (area map), capped
  at K_AREA the same way;
* ``hour`` — hours 00–23 with ≥1 observation inside the domain;
* ``demographic`` — exactly one ``"<age_band>|<gender>"`` slot from the subscriber's attributes;
* ``prior_visits`` — exactly one bucket of earlier visit days (see :mod:`engine.views.history`);
* ``hour_area`` — per hour 00–23, the one municipality of the region holding most of that hour's
  observations (ties: the smaller code), so at most 24 slots: where the person was, hour by hour.

Map of the module: :func:`top_k_pairs` (the cap with its tie-break, shared with other views) and
:func:`region_pairs` (the records and their ``(record key, slot)`` pairs).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.views.domains import ViewFamily
from engine.views.history import prior_visit_buckets
from engine.views.prepare import KEY_SPAN, PreparedObservations, in_periods, label_positions
from engine.views.table import distinct, distinct_counts
from foundation.errors import InputError

__all__ = ["ViewPairs", "region_pairs", "top_k_pairs"]

SECONDS_PER_HOUR = 3_600
# (record keys, pair keys, pair slots): sorted unique records and the family slots they set.
ViewPairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def top_k_pairs(
    keys: npt.NDArray[np.int64], slots: npt.NDArray[np.int64], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per key, the ≤ k distinct slots seen most often (ties: smaller slot), as (keys, slots)."""
    if len(keys) == 0:
        return keys.astype(np.int64), slots.astype(np.int64)
    width = int(slots.max()) + 1
    pairs, counts = distinct_counts(keys * width + slots)
    pair_keys, pair_slots = pairs // width, pairs % width
    order = np.lexsort((pair_slots, -counts, pair_keys))
    pair_keys, pair_slots = pair_keys[order], pair_slots[order]
    position = np.arange(len(pair_keys))
    first = np.r_[True, pair_keys[1:] != pair_keys[:-1]]
    rank = position - np.maximum.accumulate(np.where(first, position, 0))
    return pair_keys[rank < k], pair_slots[rank < k]


def region_pairs(
    family: ViewFamily, prepared: PreparedObservations, allowed: npt.NDArray[np.int64] | None
) -> ViewPairs:
    """Records and slots of a ``region:<id>`` family for the allowed days (None: all days)."""
    region_id = family.name.removeprefix("region:")
    if region_id not in prepared.cells:
        raise InputError(f"view family {family.name}: no such study region")
    keys = prepared.day_keys()
    cells = prepared.cells[region_id]
    in_domain = cells >= 0
    records = distinct(keys[in_domain])
    visit_days = records
    records = records[in_periods(records, allowed)]
    chosen = in_domain & np.isin(keys, records)
    parts = [
        _mesh_pairs(family, keys[chosen], cells[chosen]),
        _area_pairs(family, prepared, keys, records),
        _hour_pairs(family, keys[chosen], prepared.second[chosen]),
        _demographic_pairs(family, prepared, records),
        _prior_pairs(family, records, visit_days),
        _hour_area_pairs(family, prepared, keys, records),
    ]
    return records, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _mesh_pairs(
    family: ViewFamily, keys: npt.NDArray[np.int64], cells: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    block = family.block("mesh")
    pair_keys, pair_slots = top_k_pairs(keys, cells, block.cap)
    return pair_keys, pair_slots + family.block_offset("mesh")


def _area_pairs(
    family: ViewFamily,
    prepared: PreparedObservations,
    keys: npt.NDArray[np.int64],
    records: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Municipality slots of the records' observations anywhere in the region's municipalities."""
    if "area" not in {block.name for block in family.blocks}:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    block = family.block("area")
    slots = label_positions(prepared.municipality, block.labels)
    chosen = (slots >= 0) & np.isin(keys, records)
    pair_keys, pair_slots = top_k_pairs(keys[chosen], slots[chosen], block.cap)
    return pair_keys, pair_slots + family.block_offset("area")


def _hour_pairs(
    family: ViewFamily, keys: npt.NDArray[np.int64], seconds: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    hours = seconds // SECONDS_PER_HOUR
    pairs = distinct(keys * 24 + hours)
    return pairs // 24, pairs % 24 + family.block_offset("hour")


def _hour_area_pairs(
    family: ViewFamily,
    prepared: PreparedObservations,
    keys: npt.NDArray[np.int64],
    records: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per record and hour, the municipality with most observations (one slot per hour)."""
    if "hour_area" not in {block.name for block in family.blocks}:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    areas = family.block("area").labels
    slots = label_positions(prepared.municipality, areas)
    chosen = (slots >= 0) & np.isin(keys, records)
    hours = prepared.second[chosen] // SECONDS_PER_HOUR
    per_hour = keys[chosen] * 24 + hours
    hour_keys, area_slots = top_k_pairs(per_hour, slots[chosen], 1)
    hour_of = hour_keys % 24
    return hour_keys // 24, hour_of * len(areas) + area_slots + family.block_offset("hour_area")


def _demographic_pairs(
    family: ViewFamily, prepared: PreparedObservations, records: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    slots = prepared.demographic[records // KEY_SPAN]
    return records, slots + family.block_offset("demographic")


def _prior_pairs(
    family: ViewFamily, records: npt.NDArray[np.int64], visit_days: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    buckets = prior_visit_buckets(records, visit_days)
    return records, buckets + family.block_offset("prior_visits")
