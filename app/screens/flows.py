"""移動・時間帯 — where arriving passengers go (municipalities) and when they are there.

Two releases over the same arrivals, each with its own cost and button:

* **flows** (``flows``: day after arrival × municipality) — arcs from the airport to the
  municipalities, a bar chart of the most visited ones, and the day-after-arrival profile of each;
* **time** (``profile``: day after arrival × hour of day, and age band × gender) — when in the
  day passengers are in the region, and who they are.

Map of the module: :func:`render` · :func:`_flows` · :func:`_time` · :func:`show_flows` and
:func:`show_profile` (also used by the ledger) · small drawing helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import charts, frames, maps
from app.inputs import airport_select, date_range, epsilon_slider
from app.names import category, municipality_names
from app.state import language, service, tr
from app.ui import (
    cost_panel,
    downloads,
    draw_map,
    guarded,
    inside_data,
    map_words,
    published_chart,
    release_caption,
    run_release,
    shown_release,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.places import STUDY_AIRPORTS, region_of_airport

if TYPE_CHECKING:
    from engine.dp import Release

__all__ = ["render", "show_flows", "show_profile"]

FLOWS_SLOT, TIME_SLOT = "flows", "profile"
TOP = 12


def _specs(status: Any) -> tuple[QuerySpec, QuerySpec]:
    """The flows and profile releases of the arrivals the user picked."""
    row = st.columns([1.2, 1.4, 1, 1])
    airport = airport_select(row[0], "flows", STUDY_AIRPORTS, "SHM")
    start, end = date_range(row[1], "flows", status)
    days = row[2].slider(tr("visit.days"), 1, 7, 3, key="flows:days")
    epsilon = epsilon_slider(row[3], "flows")
    common: dict[str, Any] = {"start": start, "end": end, "epsilon": epsilon, "days": days}
    flows = inside_data(QuerySpec(kind="flows", airport=airport, **common))
    common.update(start=flows.start, end=flows.end)  # the profile reads the same days
    return flows, QuerySpec(kind="profile", airport=airport, **common)


def _with_names(frame: pd.DataFrame) -> pd.DataFrame:
    names = municipality_names(language())
    return frame.assign(area=[names.get(c, c) for c in frame["municipality_code"]])


def _flow_map(areas: pd.DataFrame, release: Release, key: str) -> None:
    """Arcs from the airport to every published municipality, dots for all of them."""
    names = municipality_names(language())
    targets = maps.municipality_targets(areas, names)
    spec = release.query_spec
    text = map_words(tr("map.days_total", n=int(spec.get("days") or 1) - 1))
    airport = str(spec["airport"])
    layers = [*maps.area_layers(targets, text), maps.arc_layer(airport, targets, text=text)]
    title = f"{tr('flows.title')} · {airport} · {text.day}"
    draw_map(region_of_airport(airport), layers, airports=[airport], key=key, pitch=40,
             title=title, release=release)  # fmt: skip


def _flows(spec: QuerySpec) -> None:
    """The flows release: its cost, its button, then the map and the charts."""
    run_release([(FLOWS_SLOT, spec)], cost_panel([spec]))
    release = shown_release(FLOWS_SLOT, spec)
    if release is None:
        st.info(tr("flows.not_run"), icon=":material/lock:")
        return
    show_flows(release)
    release_caption(release)
    downloads(release, f"flows-{spec.airport}-{spec.start}")


def show_flows(release: Release, key: str = "flows:map") -> None:
    """A flows release as this page draws it: the map, the most visited places, their days.

    The ledger page reopens past flows releases through this function (``key``: the map's).
    """
    frame = _with_names(frames.normalise(release.to_frame()))
    areas = _with_names(frames.collapse(frame, ["municipality_code"]))
    _flow_map(areas, release, key)
    suppressed_note(areas)
    top = frames.top_published(areas, TOP)
    if top.empty:  # nothing published: say so, no empty charts
        if not areas.empty:
            st.info(tr("release.empty"), icon=":material/visibility_off:")
        return
    st.subheader(tr("flows.top"))
    axes = charts.Axes("area", tr("col.area"), tr("flows.person_days"))
    chart = charts.bars(top, axes, sort=list(top["area"]), horizontal=True)
    st.altair_chart(chart, width="stretch")
    st.subheader(tr("flows.by_day"))
    daily = frames.within(frame, "municipality_code", list(top["municipality_code"][:5]))
    days = daily.assign(day=[_day(o) for o in daily["day_offset"]])
    axes = charts.Axes("day", tr("flows.day_axis"), tr("col.value"), "area", tr("col.area"))
    order = [_day(offset) for offset in sorted(set(daily["day_offset"]))]
    st.altair_chart(charts.lines(days, axes, order=order), width="stretch")


def _day(offset: int) -> str:
    return tr("visit.arrival_day") if offset == 0 else tr("visit.day_after", n=offset)


def _time(spec: QuerySpec) -> None:
    """The profile release: hour of day per day after arrival, and age band × gender."""
    run_release([(TIME_SLOT, spec)], cost_panel([spec]), "flows.run_profile")
    release = shown_release(TIME_SLOT, spec)
    if release is None:
        st.info(tr("flows.not_run"), icon=":material/lock:")
        return
    show_profile(release)
    release_caption(release)
    downloads(release, f"profile-{spec.airport}-{spec.start}")


def show_profile(release: Release) -> None:
    """A profile release as this page draws it: hours per day after arrival, age × gender.

    The ledger page reopens past profile releases through this function.
    """
    frame = frames.normalise(release.to_frame())
    hours = frames.select(frame, dimension="hour")
    hours = hours.assign(hour=hours["category"].astype(int), day=hours["day_offset"].map(_day))
    st.subheader(tr("flows.hours"))
    axes = charts.Axes("hour", tr("flows.hour_axis"), tr("flows.people"), "day", tr("flows.day"))
    published_chart(hours, lambda: charts.lines(hours, axes))
    suppressed_note(hours)
    _demographics(frames.select(frame, dimension="demographic"))


def _demographics(rows: pd.DataFrame) -> None:
    """Age band × gender of the travellers (summed over the days after arrival)."""
    lang = language()
    people = frames.collapse(rows, ["category"])
    split = people["category"].str.split("|", n=1, expand=True)
    people = people.assign(
        age=[category("age", a, lang) for a in split[0]],
        gender=[category("gender", g, lang) for g in split[1]],
    )
    st.subheader(tr("flows.demographics"))
    axes = charts.Axes(
        "age", tr("flows.age"), tr("flows.person_days"), "gender", tr("flows.gender")
    )
    published_chart(people, lambda: charts.bars(people, axes))
    suppressed_note(people)


@guarded
def render() -> None:
    """The flows and time page."""
    st.title(tr("flows.title"))
    st.caption(tr("flows.lead"))
    flows, profile = _specs(service().status())
    flow_tab, time_tab = st.tabs([tr("flows.tab_flows"), tr("flows.tab_time")])
    with flow_tab:
        _flows(flows)
    with time_tab:
        _time(profile)
