"""Build payload tables: the carrier's plaintext views (prepared offline), per family or all.

The way through is short: typed input frames → :func:`~engine.views.prepare.prepare_observations`
(opt-outs dropped, geometry computed once) → one view module per family kind, each giving records
and ``(record key, slot)`` pairs → :func:`~engine.views.table.table_from_pairs`. Periods can be
restricted (``periods``), e.g. to build one day's partition; history (prior visit days) still reads
every observation given.

Map of the module: :func:`build_payloads` (one family from frames), :func:`build_all_payloads`
(every family, sharing one preparation), :func:`build_all_payloads_by_people` (the same, a group
of subscribers at a time, so that the preparation's memory is bounded by the group, not the
file), :func:`payloads_from_prepared` (one family from an existing preparation) and
:func:`parse_periods` (period strings to period numbers).

Every view is a function of one subscriber's observations (history included), and records are
ordered by subscriber, so building the tables a group of subscribers at a time and concatenating
them gives exactly the tables built at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.views.departure import departure_pairs
from engine.views.domains import ViewFamily
from engine.views.monthly import month_label, month_pairs
from engine.views.prepare import (
    KEY_SPAN,
    PreparedObservations,
    kept_subscribers,
    prepare_observations,
)
from engine.views.presence import ViewPairs, region_pairs
from engine.views.table import PayloadTable, concatenate, table_from_pairs
from foundation.errors import InputError
from geo.areas import AreaMap

__all__ = [
    "GROUP_OBSERVATIONS",
    "build_all_payloads",
    "build_all_payloads_by_people",
    "build_payloads",
    "parse_periods",
    "payloads_from_prepared",
]

# Observations prepared together: ~2.5 GB at the peak of the preparation (about 500 bytes each).
GROUP_OBSERVATIONS = 4_000_000

PeriodNumbers = npt.NDArray[np.int64] | None
PairBuilder = Callable[[ViewFamily, PreparedObservations, PeriodNumbers], ViewPairs]


def _pair_builder(family: ViewFamily) -> PairBuilder:
    """The view module that fills ``family``."""
    if family.name.startswith("region:"):
        return region_pairs
    if family.name == "depart":
        return departure_pairs
    return month_pairs


def parse_periods(family: ViewFamily, periods: Iterable[str]) -> npt.NDArray[np.int64]:
    """Sorted period numbers of ``YYYY-MM-DD`` days (day families) or ``YYYY-MM`` months."""
    texts = [str(period) for period in periods]
    width = 10 if family.period == "day" else 7
    try:
        if any(len(text) != width for text in texts):
            raise ValueError("wrong length")
        if family.period == "day":
            numbers = np.array(texts, dtype="datetime64[D]").astype(np.int64)
        else:
            numbers = np.array(texts, dtype="datetime64[M]").astype(np.int64) + 1970 * 12
    except ValueError as err:
        shape = "YYYY-MM-DD" if family.period == "day" else "YYYY-MM"
        raise InputError(
            f"periods of view family {family.name} must be {shape} dates", field="periods"
        ) from err
    return np.unique(numbers.astype(np.int64))


def _period_labels(family: ViewFamily, numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """Period strings of period numbers, formatting each distinct number once."""
    seen, inverse = np.unique(numbers, return_inverse=True)
    if family.period == "day":
        texts = np.datetime_as_string(seen.astype("datetime64[D]"), unit="D")
    else:
        texts = np.array([month_label(int(month)) for month in seen])
    return np.asarray(texts, dtype=object)[inverse]


def payloads_from_prepared(
    family: ViewFamily, prepared: PreparedObservations, periods: Sequence[str] | None = None
) -> PayloadTable:
    """The payload table of ``family`` over prepared observations, for ``periods`` (None: all)."""
    allowed = None if periods is None else parse_periods(family, periods)
    records, pair_keys, pair_slots = _pair_builder(family)(family, prepared, allowed)
    return table_from_pairs(
        family,
        records,
        pair_keys,
        pair_slots,
        prepared.subscriber_ids[records // KEY_SPAN],
        _period_labels(family, records % KEY_SPAN),
    )


def build_payloads(
    family: ViewFamily,
    subscribers: pd.DataFrame,
    observations: pd.DataFrame,
    area_map: AreaMap,
    periods: Sequence[str] | None = None,
) -> PayloadTable:
    """The payload table of one family, from the carrier's typed frames (opt-outs dropped)."""
    prepared = prepare_observations(subscribers, observations, area_map)
    return payloads_from_prepared(family, prepared, periods)


def build_all_payloads(
    families: Iterable[ViewFamily],
    subscribers: pd.DataFrame,
    observations: pd.DataFrame,
    area_map: AreaMap,
    periods: Sequence[str] | None = None,
) -> dict[str, PayloadTable]:
    """Payload tables of several families keyed by name, preparing the observations once.

    ``periods`` applies to the day families as days and to ``month`` as the months they fall in.
    """
    prepared = prepare_observations(subscribers, observations, area_map)
    tables = {}
    for family in families:
        chosen = periods
        if periods is not None and family.period == "month":
            chosen = sorted({str(period)[:7] for period in periods})
        tables[family.name] = payloads_from_prepared(family, prepared, chosen)
    return tables


def build_all_payloads_by_people(
    families: Sequence[ViewFamily],
    subscribers: pd.DataFrame,
    observations: pd.DataFrame,
    area_map: AreaMap,
    *,
    group_observations: int = GROUP_OBSERVATIONS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, PayloadTable]:
    """:func:`build_all_payloads`, a group of subscribers (≤ ``group_observations``) at a time.

    Equal to building at once (see the module notes); the memory the preparation needs grows with
    the group, not the file. ``progress(done, groups)`` follows the groups.
    """
    kept = kept_subscribers(subscribers)
    person = _person_codes(observations, kept)
    groups = _groups_of(np.bincount(person[person >= 0], minlength=len(kept)), group_observations)
    group_of = np.searchsorted(groups, person, side="right")  # 0: no kept subscriber
    order = np.argsort(group_of, kind="stable")
    ends = group_of[order]
    parts: dict[str, list[PayloadTable]] = {family.name: [] for family in families}
    for number in range(len(groups) - 1):
        first, last = np.searchsorted(ends, [number + 1, number + 2])
        tables = build_all_payloads(
            families,
            kept.iloc[groups[number] : groups[number + 1]],
            observations.iloc[order[first:last]],
            area_map,
        )
        for name, table in tables.items():
            parts[name].append(table)
        if progress is not None:
            progress(number + 1, len(groups) - 1)
    return {family.name: concatenate(family, parts[family.name]) for family in families}


def _person_codes(observations: pd.DataFrame, kept: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Each observation's position among the kept subscribers (−1: none, e.g. opted out)."""
    ids = pa.array(kept["subscriber_id"].astype(str).to_numpy(dtype=object), type=pa.string())
    values = pa.array(observations["subscriber_id"].astype(str), type=pa.string())
    positions = pc.index_in(values, value_set=ids).fill_null(-1)
    return np.asarray(positions.to_numpy(zero_copy_only=False), dtype=np.int64)


def _groups_of(counts: npt.NDArray[np.int64], limit: int) -> npt.NDArray[np.int64]:
    """Subscriber boundaries ``[0, …, len(counts)]`` of groups of ≤ ``limit`` observations.

    A subscriber with more observations than ``limit`` forms a group alone. Groups are never
    empty of subscribers, and at least one group exists (so every family gets a table).
    """
    bounds = [0]
    cumulative = np.cumsum(counts)
    while bounds[-1] < len(counts):
        start = bounds[-1]
        before = int(cumulative[start - 1]) if start else 0
        end = int(np.searchsorted(cumulative, before + limit, side="right"))
        bounds.append(max(end, start + 1))
    if len(bounds) == 1:
        bounds.append(0)
    return np.asarray(bounds, dtype=np.int64)
