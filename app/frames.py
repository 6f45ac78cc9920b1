"""Shaping released values for display: pick rows, add up published values, compare two releases.

Everything here is post-processing of a release frame (:meth:`engine.dp.Release.to_frame`): the
label columns, then ``value`` (missing where suppressed), ``suppressed``, ``ci95`` and ``draws``
(the noise draws a value carries; ``attrs["noise"]`` names the mechanism and scale). Nothing
reads party data, and a suppressed value stays without a number through every function:

* :func:`normalise` — label columns as the app uses them (codes as text, offsets as integers);
* :func:`select` — the rows whose labels equal given values;
* :func:`collapse` — one row per key, adding up the published values of the rows it merges, with
  the exact 95 % half-width of the sum of their draws (:func:`engine.dp.noise_law`; √Σw² only
  for a frame that does not say its noise); a key whose rows are all suppressed stays suppressed;
* :func:`interval` — the exact half-width of a sum of rows at any level;
* :func:`coarsen` — mesh cells merged into their parent cells at a coarser level;
* :func:`drawn` — a two-level map's drawn (non-overlapping) cells only;
* :func:`within` — the rows whose label is one of a set (a destination area's cells);
* :func:`share` — one release's values as a percentage of another's, key by key, with an
  interval inside 0–100 % (each side's interval at √0.95, so both hold together with 95 %);
* :func:`compare` — two releases key by key: the difference with the exact interval of the two
  noises and a verdict (``higher``, ``lower``, ``no_difference`` when the interval includes 0,
  ``not_comparable`` when either side is withheld);
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

from engine.dp import CI_LEVEL, difference_half_width, noise_law
from geo.mesh import parent

__all__ = [
    "INTEGER_LABELS",
    "VALUE_COLUMNS",
    "coarsen",
    "collapse",
    "compare",
    "drawn",
    "interval",
    "normalise",
    "options",
    "select",
    "share",
    "top_published",
    "within",
]

VALUE_COLUMNS = ("value", "suppressed", "ci95", "draws")
JOINT_LEVEL = math.sqrt(CI_LEVEL)  # two independent intervals at this level hold together w.p. 95 %
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


def interval(frame: pd.DataFrame, draws: int, level: float = CI_LEVEL) -> int | None:
    """The exact half-width of a sum of rows carrying ``draws`` draws of the frame's noise.

    ``None`` if the frame does not say its noise (``attrs["noise"]``); 0 for no draws.
    """
    noise = frame.attrs.get("noise")
    if not noise:
        return None
    if draws <= 0:
        return 0
    return noise_law(noise["mechanism"], float(noise["scale"]), int(draws)).half_width(level)


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
    columns["draws"] = pd.array([], dtype="int64")
    return pd.DataFrame(columns)


def collapse(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per distinct ``keys``: the sum of published values, suppressed if none is."""
    keys = list(keys)
    if frame.empty:
        empty = _empty(keys)
        empty.attrs = dict(frame.attrs)
        return empty
    published = frame[~frame["suppressed"]]
    groups = [published[key] for key in keys]
    totals = published.groupby(groups, sort=False)["value"].sum().astype("Int64")
    if "draws" in published and frame.attrs.get("noise"):
        summed = published["draws"].astype("int64").groupby(groups, sort=False).sum()
        widths = summed.map(lambda draws: interval(frame, int(draws)))
    else:
        summed = None
        squares = (published["ci95"].astype("float64") ** 2).groupby(groups, sort=False)
        widths = squares.sum().map(lambda total: math.ceil(math.sqrt(total)))
    every = frame[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(every) if len(keys) > 1 else pd.Index(every[keys[0]])
    result = every.copy()
    result["value"] = totals.reindex(index).to_numpy()
    result["value"] = result["value"].astype("Int64")
    result["suppressed"] = result["value"].isna().to_numpy(dtype=bool)
    result["ci95"] = pd.array(widths.reindex(index).to_numpy(), dtype="Int64")
    if summed is not None:
        result["draws"] = summed.reindex(index).fillna(0).to_numpy(dtype="int64")
    result.attrs = dict(frame.attrs)
    return result


def share(part: pd.DataFrame, whole: pd.DataFrame, key: str) -> pd.DataFrame:
    """``part`` as a percentage of ``whole`` per ``key``; suppressed unless both are published.

    The interval (``low``, ``high``, in percent) stays inside 0–100 %: each side's exact interval
    is taken at √0.95, so both hold together with 95 % (the noises are independent), and the
    ratio's interval is the smallest over those two ranges, clipped to 0–100. ``ci95`` is
    missing: a ratio's interval is not symmetric.
    """
    merged = part[[key, "value", *_draws(part)]].merge(
        whole[[key, "value", *_draws(whole)]], on=key, how="left", suffixes=("_part", "_whole")
    )
    ratio = merged["value_part"].astype("Float64") / merged["value_whole"].astype("Float64")
    percent = (ratio * 100).round(1)
    usable = percent.notna() & (merged["value_whole"].fillna(0) > 0)
    result = pd.DataFrame({key: merged[key]})
    result["value"] = percent.where(usable).clip(upper=100.0).astype("Float64")
    result["suppressed"] = (~usable).to_numpy(dtype=bool)
    result["ci95"] = pd.array([pd.NA] * len(result), dtype="Int64")
    lows, highs = [], []
    for row, ok in zip(merged.itertuples(index=False), usable, strict=True):
        bounds = _ratio_bounds(row, part, whole) if ok else None
        lows.append(None if bounds is None else bounds[0])
        highs.append(None if bounds is None else bounds[1])
    result["low"] = pd.array(lows, dtype="Float64")
    result["high"] = pd.array(highs, dtype="Float64")
    return result


def _draws(frame: pd.DataFrame) -> list[str]:
    return ["draws"] if "draws" in frame.columns and frame.attrs.get("noise") else []


def _ratio_bounds(row: Any, part: pd.DataFrame, whole: pd.DataFrame) -> tuple[float, float] | None:
    """The percentage range of part/whole when both lie in their √0.95 intervals."""
    values = row._asdict()
    if "draws_part" not in values or "draws_whole" not in values:
        return None
    p, w = float(values["value_part"]), float(values["value_whole"])
    kp = interval(part, int(values["draws_part"]), JOINT_LEVEL) or 0
    kw = interval(whole, int(values["draws_whole"]), JOINT_LEVEL) or 0
    low_part, high_part = max(0.0, p - kp), p + kp
    low_whole, high_whole = max(1.0, w - kw), w + kw
    low = min(100.0, 100 * low_part / high_whole)
    high = min(100.0, 100 * high_part / max(low_whole, low_part, 1.0))
    return round(low, 1), round(max(high, low), 1)


def compare(first: pd.DataFrame, second: pd.DataFrame, key: str) -> pd.DataFrame:
    """``first`` against ``second`` per ``key`` (e.g. two periods or two airports).

    Columns: ``key``, ``value_a``, ``ci95_a``, ``value_b``, ``ci95_b``, ``difference`` (a − b),
    ``ci95`` (the exact 95 % half-width of the difference of the two sides' noises, from each
    frame's draws and scale) and ``verdict``. Both sides must be shown to be compared: a withheld
    value has no number, so its key is ``not_comparable``. The comparison is of shown values only;
    it says nothing about places neither release could tell from noise.
    """
    left = first[[key, "value", "ci95", *_draws(first)]]
    right = second[[key, "value", "ci95", *_draws(second)]]
    merged = left.merge(right, on=key, how="outer", suffixes=("_a", "_b"))
    records = []
    for row in merged.to_dict("records"):
        a, b = row["value_a"], row["value_b"]
        record = {key: row[key], "value_a": a, "ci95_a": row["ci95_a"], "value_b": b}
        record["ci95_b"] = row["ci95_b"]
        if pd.isna(a) or pd.isna(b):
            record.update(difference=None, ci95=None, verdict="not_comparable")
        else:
            width = _difference_width(first, second, row)
            difference = int(a) - int(b)
            verdict = (
                "no_difference"
                if abs(difference) <= width
                else ("higher" if difference > 0 else "lower")
            )
            record.update(difference=difference, ci95=width, verdict=verdict)
        records.append(record)
    result = pd.DataFrame.from_records(records)
    for column in ("value_a", "ci95_a", "value_b", "ci95_b", "difference", "ci95"):
        result[column] = pd.array(result[column].tolist(), dtype="Int64")
    return result


def _difference_width(first: pd.DataFrame, second: pd.DataFrame, row: Any) -> int:
    """The half-width of a − b: the exact one of the two noises' difference, and never less than
    √(w_a² + w_b²) of the stated intervals (wider than the law's near the cut-off, where
    selection biases shown values; see engine/dp/publication.py)."""
    stated = math.ceil(math.hypot(float(row["ci95_a"]), float(row["ci95_b"])))
    laws = []
    for frame, side in ((first, "a"), (second, "b")):
        noise, draws = frame.attrs.get("noise"), row.get(f"draws_{side}")
        if not noise or draws is None or pd.isna(draws) or int(draws) <= 0:
            break
        laws.append(noise_law(noise["mechanism"], float(noise["scale"]), int(draws)))
    if len(laws) == 2:
        return max(stated, difference_half_width(laws[0], laws[1]))
    return stated


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
