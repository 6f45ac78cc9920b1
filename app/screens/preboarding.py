"""搭乗前 — where departing passengers are 24 hours, 60, 40 and 20 minutes before departure.

A ``preboarding`` release counts departures from Haneda or Itami by morning or afternoon flight,
minutes before departure and location class (home area, airport area, elsewhere). The page shows
the mix of classes at each time, morning against afternoon flights, as in the 2022 trial.

Map of the module: :func:`render` · :func:`show` (also used by the ledger) · :func:`_spec` ·
:func:`_half`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import charts, frames
from app.inputs import airport_select, date_range, epsilon_slider
from app.names import category
from app.reports import report_frame
from app.state import language, service, tr
from app.ui import (
    guarded,
    inside_data,
    published_chart,
    release_page,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.places import ORIGIN_AIRPORTS

if TYPE_CHECKING:
    from engine.dp import Release

__all__ = ["render", "show"]

SLOT = "preboarding"
MINUTES = (1440, 60, 40, 20)
CLASSES = ("home", "airport", "elsewhere")


def _spec(status: Any) -> QuerySpec:
    row = st.columns([1.2, 1.4, 1])
    airport = airport_select(row[0], "preboarding", ORIGIN_AIRPORTS, "HND", "preboarding.airport")
    start, end = date_range(row[1], "preboarding", status, "preboarding.dates")
    epsilon = epsilon_slider(row[2], "preboarding")
    spec = QuerySpec(kind="preboarding", airport=airport, start=start, end=end, epsilon=epsilon)
    return inside_data(spec)


def _when(minutes: int) -> str:
    return (
        tr("preboarding.hours", n=minutes // 60)
        if minutes >= 120
        else tr("preboarding.minutes", n=minutes)
    )


def _half(column: Any, rows: pd.DataFrame, half: str) -> None:
    """One chart: the class mix at each time before departure, for one half of the day."""
    lang = language()
    rows = rows.assign(
        when=[_when(m) for m in rows["minutes_before"]],
        place=[category("location_class", c, lang) for c in rows["location_class"]],
    )
    axes = charts.Axes("when", tr("preboarding.when"), tr("preboarding.share"), "place",
                       tr("preboarding.place"))  # fmt: skip
    order = [_when(m) for m in MINUTES]
    column.markdown(f"**{category('half', half, lang)}**")
    published_chart(rows, lambda: charts.stacked_shares(rows, axes, order=order), column)


def show(release: Release) -> None:
    """A pre-boarding release as this page draws it: morning and afternoon charts side by side.

    The ledger page reopens past pre-boarding releases through this function.
    """
    frame = frames.normalise(release.to_frame())
    frame = frames.within(frame, "location_class", CLASSES)
    for column, half in zip(st.columns(2), ("am", "pm"), strict=True):
        _half(column, frames.select(frame, half=half), half)
    suppressed_note(frame)


@guarded
def render() -> None:
    """The pre-boarding page."""
    release_page(
        "preboarding", SLOT, lambda: _spec(service().status()), _show_with_table,
        lambda spec: f"preboarding-{spec.airport}-{spec.start}",
    )  # fmt: skip


def _show_with_table(release: Any) -> None:
    """The page's drawing of a release, and the table of its values under it."""
    show(release)
    with st.expander(tr("preboarding.table")):
        st.dataframe(report_frame(release, tr, language()), hide_index=True)
