"""Shaping released values for display: pick rows, add up published values, compare two releases.

Everything here is post-processing of a release frame (:meth:`engine.dp.Release.to_frame`): the
label columns, then ``value`` (missing where suppressed), ``suppressed`` and ``ci95``. Nothing
reads party data, and a suppressed value stays without a number through every function:

* :func:`normalise` — label columns as the app uses them (codes as text, offsets as integers);
* :func:`select` — the rows whose labels equal given values;
* :func:`collapse` — one row per key, adding up the published values of the rows it merges
  (their 95 % half-widths combine as independent noise, √Σw²); a key whose rows are all
  suppressed stays suppressed;
* :func:`coarsen` — mesh cells merged into their parent cells at a coarser level;
* :func:`drawn` — a two-level map's drawn (non-overlapping) cells only;
* :func:`within` — the rows whose label is one of a set (a destination area's cells);
* :func:`share` — one release's values as a percentage of another's, key by key;
* :func:`top_published` — the largest published rows;
* :func:`options` — the distinct values of a label, in order.

Adding published values is a lower bound where some of the merged rows were suppressed; the pages
say so next to every such total.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from geo.mesh import parent

__all__ = [
    "INTEGER_LABELS",
    "VALUE_COLUMNS",
    "coarsen",
    "collapse",
    "drawn",
    "normalise",
    "options",
    "select",
    "share",
    "top_published",
    "within",
]

VALUE_COLUMNS = ("value", "suppressed", "ci95")
INTEGER_LABELS = ("day_offset", "month_offset", "minutes_before", "hour", "cohort_keys")


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer-like labels as ``int``, every other label as text; value columns unchanged."""
    result = frame.copy()
    for column in result.columns:
        if column in VALUE_COLUMNS:
            continue
        if column in INTEGER_LABELS:
            result[column] = pd.to_numeric(result[column]).astype("int64")
        else:
            result[column] = result[column].astype(str)
    result["suppressed"] = result["suppressed"].astype(bool)
    return result


def select(frame: pd.DataFrame, **equals: Any) -> pd.DataFrame:
    """The rows whose label ``column`` equals ``value`` for every ``column=value`` given."""
    keep = pd.Series(True, index=frame.index)
    for column, value in equals.items():
        keep &= frame[column] == value
    return frame[keep].reset_index(drop=True)


def _empty(keys: Sequence[str]) -> pd.DataFrame:
    columns: dict[str, Any] = {key: pd.Series(dtype=object) for key in keys}
    columns["value"] = pd.array([], dtype="Int64")
    columns["suppressed"] = pd.array([], dtype=bool)
    columns["ci95"] = pd.array([], dtype="Int64")
    return pd.DataFrame(columns)


def collapse(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per distinct ``keys``: the sum of published values, suppressed if none is."""
    keys = list(keys)
    if frame.empty:
        return _empty(keys)
    published = frame[~frame["suppressed"]]
    totals = published.groupby(keys, sort=False)["value"].sum().astype("Int64")
    squares = (published["ci95"].astype("float64") ** 2).groupby(
        [published[key] for key in keys], sort=False
    )
    widths = squares.sum().map(lambda total: math.ceil(math.sqrt(total)))
    every = frame[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(every) if len(keys) > 1 else pd.Index(every[keys[0]])
    result = every.copy()
    result["value"] = totals.reindex(index).to_numpy()
    result["value"] = result["value"].astype("Int64")
    result["suppressed"] = result["value"].isna().to_numpy(dtype=bool)
    result["ci95"] = pd.array(widths.reindex(index).to_numpy(), dtype="Int64")
    return result


def share(part: pd.DataFrame, whole: pd.DataFrame, key: str) -> pd.DataFrame:
    """``part`` as a percentage of ``whole`` per ``key``; suppressed unless both are published.

    The share of two noisy values has no simple interval, so ``ci95`` is missing throughout.
    """
    merged = part[[key, "value"]].merge(
        whole[[key, "value"]], on=key, how="left", suffixes=("_part", "_whole")
    )
    ratio = merged["value_part"].astype("Float64") / merged["value_whole"].astype("Float64")
    percent = (ratio * 100).round(1)
    usable = percent.notna() & (merged["value_whole"].fillna(0) > 0)
    result = pd.DataFrame({key: merged[key]})
    result["value"] = percent.where(usable).astype("Float64")
    result["suppressed"] = (~usable).to_numpy(dtype=bool)
    result["ci95"] = pd.array([pd.NA] * len(result), dtype="Int64")
    return result


def coarsen(cells: pd.DataFrame, level: int) -> pd.DataFrame:
    """Mesh cells merged into their parents at a coarser ``level`` (a sum of published values)."""
    if cells.empty:
        return cells
    parents = cells.assign(mesh_code=[parent(code, level) for code in cells["mesh_code"]])
    return collapse(parents, ["mesh_code"])


def drawn(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a map draws: for a two-level release (a ``drawn`` label) only the drawn cells —
    shown children and merged-upward parents, which never overlap — else every row."""
    if "drawn" not in frame:
        return frame
    return frame[frame["drawn"] == "yes"].reset_index(drop=True)


def within(frame: pd.DataFrame, column: str, allowed: Collection[str]) -> pd.DataFrame:
    """The rows whose ``column`` is one of ``allowed``."""
    return frame[frame[column].isin(list(allowed))].reset_index(drop=True)


def top_published(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` published rows with the largest values, largest first."""
    published = frame[~frame["suppressed"]]
    return published.sort_values("value", ascending=False, kind="stable").head(count)


def options(frame: pd.DataFrame, column: str) -> list[Any]:
    """The distinct values of ``column`` in ascending order (empty if there is no such column)."""
    if column not in frame.columns:
        return []
    return sorted(frame[column].dropna().unique().tolist())
