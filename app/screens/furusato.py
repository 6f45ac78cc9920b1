"""ふるさと納税 — do donors to a municipality visit it afterwards, more than other members?

A ``furusato`` release counts, for the donors to one municipality in the chosen months and for a
comparison cohort of members who never donated to it, how many were present in the municipality
0…N months after the donation month. The page turns counts into visit rates per cohort (the
released count over the cohort's size, with the interval scaled the same way).

Map of the module: :func:`render` · :func:`_spec` · :func:`visit_rates`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from app import charts, frames
from app.inputs import date_range, epsilon_slider
from app.names import category, municipality_names
from app.state import language, service, tr
from app.ui import (
    guarded,
    inside_data,
    published_chart,
    release_page,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.places import REGIONS

__all__ = ["render", "show", "verdicts", "visit_rates"]

SLOT = "furusato"
DEFAULT_MUNICIPALITY = "30401"  # 白浜町, the town of the 2023 trial
WIDE_INTERVAL = 50.0  # percentage points from low to high: too uncertain to compare


def _spec(status: Any) -> QuerySpec:
    """The furusato release the user asks for."""
    names = municipality_names(language())
    codes = [code for region in REGIONS.values() for code in region.municipality_codes]
    row = st.columns([1.4, 1.4, 1, 1])
    municipality = row[0].selectbox(
        tr("furusato.municipality"), codes, index=codes.index(DEFAULT_MUNICIPALITY),
        format_func=lambda c: f"{names.get(c, c)} ({c})", key="furusato:municipality",
    )  # fmt: skip
    start, end = date_range(row[1], "furusato", status, "furusato.dates", default_days=31)
    months = row[2].slider(tr("furusato.months"), 1, 12, 2, key="furusato:months")
    epsilon = epsilon_slider(row[3], "furusato")
    return inside_data(
        QuerySpec(
            kind="furusato", municipality=municipality, start=start, end=end,
            months_after=months, epsilon=epsilon,
        )
    )  # fmt: skip


def visit_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Visit rate (%) per cohort and month offset, over the published rows of every month.

    A row's rate is its released count over its cohort size (``cohort_keys``); rows of several
    donation months are pooled by adding counts and sizes of the published rows. The interval
    (``low``–``high``) is the exact 95 % interval of the pooled count (its draws' law), kept
    within 0 and the cohort's size, over the size: it never leaves 0–100 %.
    """
    published = frame[~frame["suppressed"]]
    records = []
    for (cohort, offset), rows in frame.groupby(["cohort", "month_offset"], sort=True):
        shown = published.loc[published.index.intersection(rows.index)]
        size = int(shown["cohort_keys"].sum()) if len(shown) else 0
        record: dict[str, Any] = {"cohort": cohort, "month_offset": int(str(offset))}
        if size:
            count = float(shown["value"].sum())
            width = _pooled_width(frame, shown)
            record.update(value=min(100.0, 100 * count / size), suppressed=False)
            record["low"] = 100 * min(float(size), max(0.0, count - width)) / size
            record["high"] = 100 * min(float(size), count + width) / size
            record["ci95"] = (record["high"] - record["low"]) / 2
        else:
            record.update(value=None, suppressed=True, ci95=None, low=None, high=None)
        records.append(record)
    columns = ["cohort", "month_offset", "value", "suppressed", "ci95", "low", "high"]
    return pd.DataFrame.from_records(records, columns=columns)


def _pooled_width(frame: pd.DataFrame, shown: pd.DataFrame) -> float:
    """The exact 95 % half-width of the pooled count (√Σw² if the frame does not say its noise)."""
    if "draws" in shown.columns:
        exact = frames.interval(frame, int(shown["draws"].sum()))
        if exact is not None:
            return float(exact)
    return math.sqrt(float((shown["ci95"].astype("float64") ** 2).sum()))


def verdicts(rates: pd.DataFrame) -> list[str]:
    """Per month offset, donors against non-donors in plain words: a difference is claimed only
    when the two 95 % intervals do not overlap (conservative), else 差があるとは言えない."""
    lines = []
    for offset, rows in rates.groupby("month_offset", sort=True):  # one row per cohort
        by = rows.set_index("cohort")
        if not {"donor", "comparison"} <= set(by.index) or bool(by["suppressed"].any()):
            key = "furusato.verdict_missing"
        elif _bound(by, "donor", "low") > _bound(by, "comparison", "high"):
            key = "furusato.verdict_higher"
        elif _bound(by, "donor", "high") < _bound(by, "comparison", "low"):
            key = "furusato.verdict_lower"
        else:
            key = "furusato.verdict_same"
        lines.append(f"- {tr('furusato.offset')} {int(str(offset))}: {tr(key)}")
    return lines


def _bound(rows: pd.DataFrame, cohort: str, column: str) -> float:
    return float(rows[column].astype("float64")[cohort])


def _table(rates: pd.DataFrame) -> pd.DataFrame:
    """Rates as text, with the word for suppressed where there is no number."""
    hidden = tr("map.suppressed")
    return pd.DataFrame(
        {
            tr("furusato.cohort"): rates["cohort_name"],
            tr("furusato.offset"): rates["month_offset"],
            tr("furusato.rate"): [
                hidden if s else f"{v:.1f}"
                for v, s in zip(rates["value"], rates["suppressed"], strict=True)
            ],
            tr("col.interval"): [
                "" if s else f"{low:.1f} – {high:.1f}"
                for low, high, s in zip(
                    rates["low"], rates["high"], rates["suppressed"], strict=True
                )
            ],
        }
    )


@guarded
def render() -> None:
    """The furusato cohorts page."""
    release_page(
        "furusato", SLOT, lambda: _spec(service().status()), show,
        lambda spec: f"furusato-{spec.municipality}-{spec.start}",
    )  # fmt: skip


def show(release: Any) -> None:
    """A furusato release as this page draws it: visit rates with intervals, table, verdicts.

    The ledger page reopens past furusato releases through this function.
    """
    lang = language()
    rates = visit_rates(frames.normalise(release.to_frame()))
    rates["cohort_name"] = [category("cohort", c, lang) for c in rates["cohort"]]
    axes = charts.Axes(
        "month_offset", tr("furusato.offset"), tr("furusato.rate"), "cohort_name",
        tr("furusato.cohort"),
    )  # fmt: skip
    published_chart(rates, lambda: charts.lines(rates, axes, ceiling=100))
    suppressed_note(rates)
    if bool((rates["ci95"].astype("Float64") > WIDE_INTERVAL / 2).fillna(False).any()):
        st.warning(tr("furusato.small_cohort"), icon=":material/info:")
    st.dataframe(_table(rates), hide_index=True)
    for line in verdicts(rates):
        st.markdown(line)
