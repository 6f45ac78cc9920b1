"""関係人口 — repeat visitors: how often arriving passengers had visited the region before.

One ``repeat`` release per chosen airport (prior-year visit days, bucketed 0, 1, 2, 3–5, 6–10,
11+), run together; the page shows the distributions side by side and, per airport, first-time
visitors against repeaters (the sum of the published buckets above zero).

Map of the module: :func:`render` · :func:`_specs` · :func:`_compare`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from app import charts, frames
from app.inputs import date_range, epsilon_slider
from app.names import airport_label
from app.state import language, service, tr
from app.ui import (
    cost_panel,
    downloads,
    guarded,
    inside_data,
    published_chart,
    release_caption,
    run_release,
    shown_release,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.places import STUDY_AIRPORTS

__all__ = ["render", "show"]

BUCKETS = ["0", "1", "2", "3-5", "6-10", "11+"]
MAX_AIRPORTS = 3


def _specs(status: Any) -> list[QuerySpec]:
    """One repeat release per chosen airport, same dates and ε."""
    lang = language()
    row = st.columns([1.6, 1.4, 1])
    airports = row[0].multiselect(
        tr("repeat.airports"), STUDY_AIRPORTS, default=["SHM", "TAK"],
        max_selections=MAX_AIRPORTS, format_func=lambda c: airport_label(c, lang),
        key="repeat:airports",
    )  # fmt: skip
    start, end = date_range(row[1], "repeat", status)
    epsilon = epsilon_slider(row[2], "repeat")
    if not airports:
        return []
    first = inside_data(
        QuerySpec(kind="repeat", airport=airports[0], start=start, end=end, epsilon=epsilon)
    )
    return [replace(first, airport=airport) for airport in airports]


def _distribution(releases: list[tuple[str, Any]]) -> pd.DataFrame:
    """Prior-visit buckets of every airport in one frame (airport, bucket, value, …)."""
    parts = []
    for airport, release in releases:
        frame = frames.collapse(frames.normalise(release.to_frame()), ["prior_bucket"])
        parts.append(frame.assign(airport=airport))
    return pd.concat(parts, ignore_index=True) if parts else frames.collapse(pd.DataFrame(), [])


def _compare(distribution: pd.DataFrame) -> None:
    """First-timers against repeaters, one column per airport."""
    lang = language()
    airports = list(dict.fromkeys(distribution["airport"]))
    for column, airport in zip(st.columns(len(airports)), airports, strict=True):
        rows = frames.select(distribution, airport=airport)
        first = rows[rows["prior_bucket"] == "0"]
        again = rows[(rows["prior_bucket"] != "0") & ~rows["suppressed"]]
        column.markdown(f"**{airport_label(airport, lang)}**")
        first_text = tr("map.suppressed") if first["suppressed"].all() else _count(first)
        column.metric(tr("repeat.first"), first_text)
        column.metric(tr("repeat.again"), _count(again) if len(again) else tr("map.suppressed"))


def _count(rows: pd.DataFrame) -> str:
    published = rows[~rows["suppressed"]]
    return f"{int(published['value'].sum()):,}"


def show(releases: list[tuple[str, Any]]) -> None:
    """``(airport, release)`` pairs as this page draws them: metrics per airport, then the chart.

    The ledger page reopens a past repeat release through this function.
    """
    distribution = _distribution(releases)
    distribution["airport_name"] = [airport_label(a, language()) for a in distribution["airport"]]
    _compare(distribution)
    st.subheader(tr("repeat.distribution"))
    axes = charts.Axes(
        "prior_bucket", tr("repeat.bucket"), tr("repeat.people"), "airport_name", tr("col.airport")
    )
    published_chart(distribution, lambda: charts.bars(distribution, axes, sort=BUCKETS))
    suppressed_note(distribution)


@guarded
def render() -> None:
    """The repeat visitors page."""
    st.title(tr("repeat.title"))
    st.caption(tr("repeat.lead"))
    specs = _specs(service().status())
    if not specs:
        st.info(tr("repeat.pick"))
        return
    with st.container(border=True):
        jobs = [(f"repeat:{spec.airport}", spec) for spec in specs]
        run_release(jobs, cost_panel(specs))
    shown = [(str(s.airport), shown_release(f"repeat:{s.airport}", s)) for s in specs]
    releases = [(airport, release) for airport, release in shown if release is not None]
    if not releases:
        st.info(tr("repeat.not_run"), icon=":material/lock:")
        return
    show(releases)
    for airport, release in releases:
        release_caption(release)
        downloads(release, f"repeat-{airport}-{release.query_spec['start']}", airport)
