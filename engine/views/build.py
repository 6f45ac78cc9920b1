"""Build payload tables: the carrier's plaintext views (prepared offline), per family or all.

The way through is short: typed input frames → :func:`~engine.views.prepare.prepare_observations`
(opt-outs dropped, geometry computed once) → one view module per family kind, each giving records
and ``(record key, slot)`` pairs → :func:`~engine.views.table.table_from_pairs`. Periods can be
restricted (``periods``), e.g. to build one day's partition; history (prior visit days) still reads
every observation given.

Map of the module: :func:`build_payloads` (one family from frames), :func:`build_all_payloads`
(every family, sharing one preparation), :func:`payloads_from_prepared` (one family from an
existing preparation) and :func:`parse_periods` (period strings to period numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.views.departure import departure_pairs
from engine.views.domains import ViewFamily
from engine.views.monthly import month_label, month_pairs
from engine.views.prepare import (
    KEY_SPAN,
    PreparedObservations,
    prepare_observations,
)
from engine.views.presence import ViewPairs, region_pairs
from engine.views.table import PayloadTable, table_from_pairs
from foundation.errors import InputError
from geo.areas import AreaMap

__all__ = ["build_all_payloads", "build_payloads", "parse_periods", "payloads_from_prepared"]

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
