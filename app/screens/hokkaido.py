"""道東 — which East Hokkaido airport's passengers reach which towns, and where catchments overlap.

One ``hokkaido`` release counts arrivals at Memanbetsu (MMB), Kushiro (KUH) and Nakashibetsu
(SHB) by the East Hokkaido municipalities they are present in on the days after arrival. The map
draws one colour of arcs per airport; the table sets the airports side by side and marks the
municipalities where Kushiro's and Memanbetsu's catchments overlap (both published).

Map of the module: :func:`render` · :func:`_spec` · :func:`show` (also used by the ledger) ·
:func:`catchments` · :func:`_map`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import charts, frames, maps
from app.inputs import date_range, epsilon_slider
from app.names import airport_label, municipality_names
from app.state import language, service, tr
from app.ui import (
    draw_map,
    guarded,
    inside_data,
    map_words,
    release_page,
    suppressed_note,
)
from engine.queries import EAST_HOKKAIDO_AIRPORTS, QuerySpec
from geo.places import REGIONS

__all__ = ["catchments", "render", "show", "side_by_side"]

SLOT = "hokkaido"
REGION = REGIONS["east_hokkaido"]
# In the charts' order (alphabetical), so that map and charts give an airport the same colour.
AIRPORT_COLOURS = {"KUH": (34, 94, 168), "MMB": (65, 182, 196), "SHB": (230, 120, 42)}
OVERLAP = ("KUH", "MMB")
CATCHMENT_SHARE = 0.05  # a municipality is in an airport's catchment from 5 % of its person-days
ARCS_PER_AIRPORT = 8
TOP = 8


def _spec(status: Any) -> QuerySpec:
    row = st.columns([1.4, 1, 1])
    start, end = date_range(row[0], "hokkaido", status)
    days = row[1].slider(tr("visit.days"), 1, 7, 3, key="hokkaido:days")
    epsilon = epsilon_slider(row[2], "hokkaido")
    return inside_data(QuerySpec(kind="hokkaido", start=start, end=end, days=days, epsilon=epsilon))


def catchments(frame: pd.DataFrame) -> pd.DataFrame:
    """Person-days per airport and municipality, summed over the days after arrival."""
    return frames.collapse(frame, ["airport", "municipality_code"])


def _map(areas: pd.DataFrame, days: int, release: Any, key: str) -> None:
    """Arcs per airport (its own colour) to the municipalities its passengers reach."""
    names = municipality_names(language())
    layers = []
    text = map_words(tr("map.days_total", n=days - 1))
    for airport in EAST_HOKKAIDO_AIRPORTS:
        targets = maps.municipality_targets(frames.select(areas, airport=airport), names)
        colour = AIRPORT_COLOURS[airport]
        layers.append(
            maps.arc_layer(airport, targets, colour=colour, limit=ARCS_PER_AIRPORT, text=text)
        )
    lang = language()
    legend = [
        ("#{:02x}{:02x}{:02x}".format(*AIRPORT_COLOURS[a]), airport_label(a, lang))
        for a in EAST_HOKKAIDO_AIRPORTS
    ]
    title = f"{tr('hokkaido.title')} · {text.day}"
    draw_map(REGION, layers, airports=EAST_HOKKAIDO_AIRPORTS, key=key, pitch=35,
             title=title, legend=legend, release=release)  # fmt: skip


def side_by_side(areas: pd.DataFrame) -> pd.DataFrame:
    """One row per municipality, one column per airport (published values), overlap flag.

    A municipality is in an airport's catchment when it holds at least :data:`CATCHMENT_SHARE`
    of the published person-days of that airport's passengers; it is an overlap when it is in
    the catchments of both Kushiro and Memanbetsu.
    """
    names = municipality_names(language())
    published = areas[~areas["suppressed"]]
    table = published.pivot_table(
        index="municipality_code", columns="airport", values="value", aggfunc="sum"
    )
    table = table.reindex(columns=list(EAST_HOKKAIDO_AIRPORTS)).astype("Float64")
    shares = table / table.sum()
    table = table.astype("Int64")
    table["overlap"] = (shares[list(OVERLAP)] >= CATCHMENT_SHARE).fillna(False).all(axis=1)
    table.insert(0, "area", [names.get(c, c) for c in table.index])
    order = table[list(OVERLAP)].sum(axis=1)
    table = table.assign(order=order).sort_values(["overlap", "order"], ascending=False)
    return table.drop(columns="order").reset_index()


def _count_text(value: object) -> str:
    """A published count as ``1,234``; a withheld one as a dash."""
    return "—" if pd.isna(value) else f"{int(value):,}"  # type: ignore[call-overload]


@guarded
def render() -> None:
    """The East Hokkaido page."""
    release_page(
        "hokkaido", SLOT, lambda: _spec(service().status()), show,
        lambda spec: f"hokkaido-{spec.start}",
    )  # fmt: skip


def show(release: Any, key: str = "hokkaido:map") -> None:
    """A hokkaido release as this page draws it: arcs per airport, the overlap table, the chart.

    The ledger page reopens past East Hokkaido releases through this function.
    """
    areas = catchments(frames.normalise(release.to_frame()))
    _map(areas, int(release.query_spec.get("days") or 1), release, key)
    suppressed_note(areas)
    st.subheader(tr("hokkaido.overlap"))
    st.caption(tr("hokkaido.overlap_note"))
    # A municipality whose value for an airport is withheld shows a dash, not "None"; every cell
    # of those columns is text (numbers formatted), so the table has one type per column.
    table = side_by_side(areas)
    if table.empty:  # nothing published: say so rather than draw an empty table and chart
        st.info(tr("hokkaido.none_published"), icon=":material/visibility_off:")
        return
    for airport in EAST_HOKKAIDO_AIRPORTS:
        table[airport] = [_count_text(v) for v in table[airport]]
    st.dataframe(
        table,
        hide_index=True,
        column_config={"municipality_code": tr("col.code"), "area": tr("col.area"),
                       "overlap": tr("hokkaido.overlap_col")},
    )  # fmt: skip
    names = municipality_names(language())
    top_codes = frames.top_published(frames.collapse(areas, ["municipality_code"]), TOP)
    chart = frames.within(areas, "municipality_code", list(top_codes["municipality_code"]))
    chart = chart.assign(area=[names.get(c, c) for c in chart["municipality_code"]])
    axes = charts.Axes("area", tr("col.area"), tr("flows.person_days"), "airport",
                       tr("col.airport"))  # fmt: skip
    order = [names.get(c, c) for c in top_codes["municipality_code"]]
    st.altair_chart(charts.bars(chart, axes, sort=order, horizontal=True), width="stretch")
