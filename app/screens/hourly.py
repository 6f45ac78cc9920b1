"""時間帯の動き — hour by hour, which municipalities arriving passengers are in (with playback).

Like Mobile Spatial Statistics' hourly population or kepler.gl's time slider, for the people of
one airport's arrivals: an ``hourly`` release counts, per day after arrival and hour 00–23, the
municipality each passenger was in that hour (one per hour, the one with most of their
observations). The page plays the hours back on the map — a slider, and a play toggle that
advances it once a second — with an hour × municipality heat map beneath. Only values the
publication rule shows are drawn; the rest are grey.

Map of the module: :func:`render` · :func:`_spec` · :func:`show` (also used by the ledger) ·
:func:`hour_frame` · :func:`_player`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import frames, maps
from app.inputs import airport_select, date_range, epsilon_slider
from app.names import municipality_names
from app.state import language, service, tr
from app.ui import (
    draw_map,
    guarded,
    inside_data,
    map_words,
    release_page,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.places import STUDY_AIRPORTS, region_of_airport

__all__ = ["hour_frame", "render", "show"]

SLOT = "hourly"
PAGE_KEY = "hourly"  # the prefix of the page's widget keys (the ledger uses its own)
DAYS = 2  # the arrival day and the day after


def _spec(status: Any) -> QuerySpec:
    row = st.columns([1.2, 1.4, 1])
    airport = airport_select(row[0], "hourly", STUDY_AIRPORTS, "SHM")
    start, end = date_range(row[1], "hourly", status)
    epsilon = epsilon_slider(row[2], "hourly")
    return inside_data(
        QuerySpec(kind="hourly", airport=airport, start=start, end=end, epsilon=epsilon, days=DAYS)
    )


def hour_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A release frame with ``hour`` (int) and ``municipality_code`` split from ``hour_area``."""
    split = frame["hour_area"].astype(str).str.split("|", n=1, expand=True)
    return frame.assign(hour=split[0].astype(int), municipality_code=split[1])


def _heat(frame: pd.DataFrame, names: dict[str, str]) -> alt.Chart:
    """Hour × municipality: shown values coloured, withheld ones left blank."""
    shown = frame[~frame["suppressed"]].assign(
        area=lambda f: [names.get(c, c) for c in f["municipality_code"]],
        value=lambda f: f["value"].astype("float64"),
    )
    return (
        alt.Chart(shown)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=tr("flows.hour_axis")),
            y=alt.Y("area:N", title=tr("col.area")),
            color=alt.Color("value:Q", title=tr("flows.people"), scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("area:N", title=tr("col.area")),
                alt.Tooltip("hour:O", title=tr("flows.hour_axis")),
                alt.Tooltip("value:Q", title=tr("flows.people"), format=",.0f"),
                alt.Tooltip("ci95:Q", title="± 95%", format=",.0f"),
            ],
        )
        .properties(height=max(160, 18 * shown["area"].nunique()))
    )


def _player(day: pd.DataFrame, release: Any, prefix: str) -> None:
    """The map at the chosen hour; while playing, the hour advances once a second."""
    hour_key, play_key = f"{prefix}:hour", f"{prefix}:play"
    airport = str(release.query_spec["airport"])
    playing = bool(st.session_state.get(play_key, False))

    @st.fragment(run_every=1.0 if playing else None)
    def frame_of_the_hour() -> None:
        if st.session_state.get(play_key, False):
            st.session_state[hour_key] = (int(st.session_state.get(hour_key, 8)) + 1) % 24
        hour = st.slider(tr("hourly.hour"), 0, 23, value=8, key=hour_key, format="%d:00")
        names = municipality_names(language())
        areas = frames.select(day, hour=hour)
        targets = maps.municipality_targets(areas, names)
        text = map_words(tr("hourly.at", hour=hour))
        region = region_of_airport(airport)
        title = f"{tr('hourly.title')} · {airport} · {text.day}"
        draw_map(region, maps.area_layers(targets, text), airports=[airport],
                 key=f"{prefix}:map", title=title, release=release)  # fmt: skip

    st.toggle(tr("hourly.play"), key=play_key)
    frame_of_the_hour()


@guarded
def render() -> None:
    """The hourly page."""
    release_page(
        "hourly", SLOT, lambda: _spec(service().status()), show,
        lambda spec: f"hourly-{spec.airport}-{spec.start}", not_run_key="flows.not_run",
    )  # fmt: skip


def show(release: Any, prefix: str = PAGE_KEY) -> None:
    """An hourly release as this page draws it: a day, its hours played back, the heat map.

    The ledger page reopens past hourly releases through this function (``prefix``: of the
    widget keys, so that the two pages' players do not share their state).
    """
    frame = hour_frame(frames.normalise(release.to_frame()))
    days = frames.options(frame, "day_offset") or [0]
    offset = st.segmented_control(
        tr("visit.show_day"), days, default=days[-1], required=True, key=f"{prefix}:day",
        format_func=lambda o: tr("visit.arrival_day") if o == 0 else tr("visit.day_after", n=o),
    )  # fmt: skip
    day = frames.select(frame, day_offset=int(offset or 0))
    _player(day, release, prefix)
    suppressed_note(day)
    st.subheader(tr("hourly.heat"))
    if bool((~day["suppressed"]).any()):
        st.altair_chart(_heat(day, municipality_names(language())), width="stretch")
    else:
        st.info(tr("release.empty"))
