"""訪問・滞在エリア — where arriving passengers spend their days, on exact JIS mesh cells.

The page asks for a ``visit-map`` release (airport, arrival dates, days after arrival, repeat
flyers, ε), shows its cost before anything runs, runs it on request and draws one day after
arrival at a time. It can set the passengers against all visitors in the region — the carrier's
own ``population`` release (people present per cell and day, residents against visitors) — or
show the passengers' share of them. A destination area and a coarser mesh level only change what
is drawn (post-processing of the same release), so they cost nothing.

A click on a cell of the map (or the municipality picker under it) opens the drill-down of its
municipality: the released cells that lie in it, and its hour-by-hour profile from the ``hourly``
release of the same arrivals — reopened at no cost if it was made, else offered with its cost.

Map of the module: :func:`render` (the page) · :func:`_inputs` · :func:`_specs` ·
:func:`_result` · :func:`_layer_cells` (which of the three views) · :func:`_draw` ·
:func:`_drill` (the drill-down) · :func:`_hourly_profile` · :func:`show` (the ledger's reopen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app import charts, frames, maps
from app.inputs import airport_select, date_range, epsilon_slider
from app.names import municipality_names, region_label
from app.state import area_map, language, service, tr
from app.ui import (
    cost_panel,
    downloads,
    draw_map,
    guarded,
    inside_data,
    legend_entries,
    map_words,
    release_caption,
    run_release,
    shown_release,
    suppressed_note,
)
from engine.queries import QuerySpec
from geo.areas import mesh_municipality
from geo.places import MUNICIPALITIES, STUDY_AIRPORTS, Region, region_of_airport

__all__ = ["picked_municipality", "render", "show"]

SLOT, POPULATION_SLOT, HOURLY_SLOT = "visit", "visit-population", "hourly"
DRILL_KEY, PICKED_KEY = "visit:drill", "visit:drill:picked"
HOURLY_DAYS = 2  # as the hourly page asks: the arrival day and the day after
NOBODY = ""
VIEWS = ("passengers", "visitors", "share")
TOP_AREAS = 5
WHOLE_REGION = ""


@dataclass(frozen=True)
class VisitInputs:
    """What the user asked for on this page."""

    airport: str
    area: str | None
    start: dt.date
    end: dt.date
    days: int
    level: int
    repeat_flyer_min: int
    epsilon: float

    @property
    def region(self) -> Region:
        """The study region the airport serves."""
        return region_of_airport(self.airport)


def _inputs(status: Any) -> VisitInputs:
    """The page's input widgets, in two rows."""
    lang = language()
    names = municipality_names(lang)
    top = st.columns([1.2, 1.2, 1.4])
    airport = airport_select(top[0], "visit", STUDY_AIRPORTS, "SHM")
    region = region_of_airport(airport)
    area = top[1].selectbox(
        tr("visit.area"), [WHOLE_REGION, *region.municipality_codes], key=f"visit:area:{region.id}",
        format_func=lambda c: tr("visit.whole_region", region=region_label(region, lang))
        if c == WHOLE_REGION else names.get(c, c),
    )  # fmt: skip
    start, end = date_range(top[2], "visit", status, "visit.dates")
    low = st.columns(4)
    days = low[0].slider(tr("visit.days"), 1, 7, 3, key="visit:days")
    levels = [level for level in (region.mesh_level, region.mesh_level - 1) if level >= 1]
    level = low[1].selectbox(
        tr("visit.level"), levels, key=f"visit:level:{region.id}",
        format_func=lambda lv: tr(f"mesh.level.{lv}"),
    )  # fmt: skip
    repeat = low[2].number_input(
        tr("visit.repeat"), 0, 20, 0, key="visit:repeat", help=tr("visit.repeat_help")
    )
    epsilon = epsilon_slider(low[3], "visit")
    chosen = None if area == WHOLE_REGION else area
    return VisitInputs(airport, chosen, start, end, days, level, int(repeat), epsilon)


def _specs(inputs: VisitInputs, status: Any) -> tuple[QuerySpec, QuerySpec]:
    """The passengers' release and the region's population release over the same days."""
    cross = inside_data(
        QuerySpec(
            kind="visit-map", start=inputs.start, end=inputs.end, epsilon=inputs.epsilon,
            airport=inputs.airport, days=inputs.days, repeat_flyer_min=inputs.repeat_flyer_min,
        )
    )  # fmt: skip
    last = cross.end + dt.timedelta(days=inputs.days - 1)  # the days the cross release reads
    last = min(last, cross.start + dt.timedelta(days=92))
    population = QuerySpec(
        kind="population", start=cross.start, end=last, epsilon=inputs.epsilon,
        region=inputs.region.id,
    )  # fmt: skip
    return cross, population


def _day_label(offset: int) -> str:
    return tr("visit.arrival_day") if offset == 0 else tr("visit.day_after", n=offset)


def _day_words(offset: int) -> str:
    """The day in a tooltip: 到着日 or 到着後N日目."""
    return tr("visit.arrival_day") if offset == 0 else tr("map.day", n=offset)


def _shape(cells: pd.DataFrame, inputs: VisitInputs) -> pd.DataFrame:
    """Restrict to the destination area (at the release's level), then coarsen if asked."""
    if inputs.area is not None and not cells.empty:
        owner = mesh_municipality(list(cells["mesh_code"]), area_map())
        cells = frames.within(cells, "mesh_code", [c for c, m in owner.items() if m == inputs.area])
    if inputs.level != inputs.region.mesh_level:
        cells = frames.coarsen(cells, inputs.level)
    return cells


def _visitors(population: Any, inputs: VisitInputs) -> pd.DataFrame:
    """Visitors (non-residents) per cell over the release's days, each person once per cell.

    The population release counts its window before noise (daily cells sit below the noise), so
    every day after arrival is compared with the same window: the arrivals' days plus the days
    after them the cross release reads.
    """
    frame = frames.normalise(population.to_frame())
    visitors = frames.select(frame, residency="visitor")
    return _shape(frames.collapse(visitors, ["mesh_code"]), inputs)


def _population(spec: QuerySpec) -> Any:
    """The population release for ``spec`` — asking for it (with its cost) if not yet run.

    None, with a note, when the population releases are not offered: the dashboard is a client
    of the airline's node whose carrier node does not answer for them (embedded, and on nodes
    of this release, they are offered: the carrier's budget and releases come through the
    airline's node).
    """
    if not service().serves_population:
        st.info(tr("visit.population_at_carrier"), icon=":material/info:")
        return None
    release = shown_release(POPULATION_SLOT, spec)
    if release is None:
        with st.container(border=True):
            st.markdown(tr("visit.population_needed"))
            estimates = cost_panel([spec])
            run_release([(POPULATION_SLOT, spec)], estimates, "visit.run_population")
        release = shown_release(POPULATION_SLOT, spec)
    return release


def _layer_cells(
    view: str, passengers: pd.DataFrame, population: Any, inputs: VisitInputs
) -> pd.DataFrame | None:
    """The cells the chosen view draws (None while the population release is missing)."""
    if view == "passengers":
        return passengers
    if population is None:
        return None
    visitors = _visitors(population, inputs)
    return visitors if view == "visitors" else frames.share(passengers, visitors, "mesh_code")


def _draw(
    cells: pd.DataFrame,
    passengers: pd.DataFrame,
    inputs: VisitInputs,
    view: str,
    release: Any,
    offset: int,
    key: str = "visit",
) -> Any:
    """The map: cells coloured by the chosen view and (optionally) arcs to the top cells.

    Returns the map's selection state (a click on a cell reruns the page)."""
    percent = view == "share"
    text = map_words(_day_words(offset), percent)
    arcs = st.toggle(tr("visit.arcs"), value=True, key=f"{key}:arcs")
    owner = mesh_municipality(list(cells["mesh_code"]), area_map()) if len(cells) else {}
    names = municipality_names(language())
    places = {code: names.get(m, "") for code, m in owner.items()}
    layers = maps.cell_layers(cells, text, places)
    if arcs:
        top = frames.top_published(passengers, TOP_AREAS)
        targets = maps.cell_targets(top, tr("map.mesh"))
        layers.append(maps.arc_layer(inputs.airport, targets, text=map_words(text.day)))
    published = cells.loc[~cells["suppressed"], "value"]
    low = 0.0 if percent else float(release.threshold)
    legend = legend_entries(float(published.max()) if len(published) else low, low, percent)
    title = f"{tr('visit.title')} · {tr(f'visit.view.{view}')} · {_day_label(offset)}"
    return draw_map(inputs.region, layers, airports=[inputs.airport], key=f"{key}:map", pitch=45,
                    title=title, legend=legend, release=release, selectable=True)  # fmt: skip


def _table(cells: pd.DataFrame, percent: bool) -> None:
    """The drawn cells as a table, suppressed cells last."""
    owner = mesh_municipality(list(cells["mesh_code"]), area_map()) if len(cells) else {}
    names = municipality_names(language())
    table = cells.assign(area=[names.get(owner.get(c, ""), "") for c in cells["mesh_code"]])
    table = table.sort_values(["suppressed", "value"], ascending=[True, False], kind="stable")
    hidden = tr("map.suppressed")
    value_format = "{:.1f}" if percent else "{:,}"
    st.dataframe(
        pd.DataFrame(
            {
                tr("col.mesh_code"): table["mesh_code"],
                tr("col.area"): table["area"],
                tr("col.share") if percent else tr("col.value"): [
                    hidden if pd.isna(v) else value_format.format(v if percent else int(v))
                    for v in table["value"]
                ],
                tr("col.ci95"): ["" if pd.isna(w) else f"± {int(w):,}" for w in table["ci95"]],
            }
        ),
        hide_index=True,
        height=300,
    )


def _result(release: Any, population_spec: QuerySpec, inputs: VisitInputs) -> None:
    """Everything below the inputs once the passengers' release exists."""
    frame = frames.normalise(release.to_frame())
    frame = frames.drawn(frame)  # a two-level map: its non-overlapping cells, never both levels
    offsets = frames.options(frame, "day_offset") or [0]
    controls = st.columns([2, 2])
    offset = controls[0].segmented_control(
        tr("visit.show_day"), offsets, default=offsets[0], format_func=_day_label,
        key="visit:offset", required=True,
    )  # fmt: skip
    view = controls[1].radio(
        tr("visit.view"), VIEWS, format_func=lambda v: tr(f"visit.view.{v}"), horizontal=True,
        key="visit:view",
    )  # fmt: skip
    day = frames.select(frame, day_offset=offset) if "day_offset" in frame else frame
    passengers = _shape(frames.collapse(day, ["mesh_code"]), inputs)
    population = _population(population_spec) if view != "passengers" else None
    cells = _layer_cells(view, passengers, population, inputs)
    if cells is None:
        return
    state = _draw(cells, passengers, inputs, view, release, int(offset or 0))
    suppressed_note(cells)
    _table(cells, view == "share")
    release_caption(release)
    downloads(release, f"visit-map-{inputs.airport}-{inputs.start}", tr("visit.download_cross"))
    if population is not None:
        stem = f"population-{inputs.region.id}-{inputs.start}"
        downloads(population, stem, tr("visit.download_population"))
    _drill(passengers, inputs, state)


def show(release: Any, key: str = "ledger:visit") -> None:
    """A visit-map release on its map, one day after arrival at a time, as this page draws it
    (the passengers' view of the whole region). The ledger page reopens visit maps with it."""
    spec = release.query_spec
    airport = str(spec["airport"])
    region = region_of_airport(airport)
    inputs = VisitInputs(
        airport, None, dt.date.fromisoformat(str(spec["start"])),
        dt.date.fromisoformat(str(spec["end"])), int(spec.get("days") or 1), region.mesh_level,
        int(spec.get("repeat_flyer_min") or 0), float(release.epsilon),
    )  # fmt: skip
    frame = frames.drawn(frames.normalise(release.to_frame()))
    offsets = frames.options(frame, "day_offset") or [0]
    offset = st.segmented_control(
        tr("visit.show_day"), offsets, default=offsets[0], format_func=_day_label,
        key=f"{key}:offset", required=True,
    )  # fmt: skip
    day = frames.select(frame, day_offset=offset) if "day_offset" in frame else frame
    cells = frames.collapse(day, ["mesh_code"])
    _draw(cells, cells, inputs, "passengers", release, int(offset or 0), key)
    suppressed_note(cells)


def picked_municipality(state: Any) -> str | None:
    """The municipality of the object clicked on the map (a cell, or an arc's cell), if any."""
    selection = (state or {}).get("selection") or {}
    for records in (selection.get("objects") or {}).values():
        for record in records:
            code = str(record.get("code", ""))
            if code in MUNICIPALITIES:
                return code
            if code.isdigit() and len(code) >= 6:
                owner = mesh_municipality([code], area_map()).get(code)
                if owner:
                    return owner
    return None


def _drill(passengers: pd.DataFrame, inputs: VisitInputs, state: Any) -> None:
    """One municipality's cells and hourly profile: clicked on the map, or picked here."""
    picked = picked_municipality(state)
    if picked is not None and st.session_state.get(PICKED_KEY) != picked:
        # A new click moves the picker; the same selection on later reruns leaves it alone.
        st.session_state[PICKED_KEY] = picked
        st.session_state[DRILL_KEY] = picked
    names = municipality_names(language())
    st.subheader(tr("visit.drill"))
    chosen = st.selectbox(
        tr("visit.drill_pick"), [NOBODY, *inputs.region.municipality_codes], key=DRILL_KEY,
        format_func=lambda c: tr("visit.drill_none") if c == NOBODY else names.get(c, c),
        help=tr("visit.drill_hint"),
    )  # fmt: skip
    if not chosen:
        st.caption(tr("visit.drill_hint"))
        return
    owner = mesh_municipality(list(passengers["mesh_code"]), area_map()) if len(passengers) else {}
    mine = frames.within(passengers, "mesh_code", [c for c, m in owner.items() if m == chosen])
    st.markdown(f"**{tr('visit.drill_cells', area=names.get(chosen, chosen))}**")
    suppressed_note(mine)
    if len(mine):
        _table(mine, False)
    _hourly_profile(chosen, inputs, names.get(chosen, chosen))


def _hourly_profile(municipality: str, inputs: VisitInputs, name: str) -> None:
    """The municipality's passengers hour by hour, from the hourly release of these arrivals."""
    from app.screens.hourly import hour_frame

    spec = service().fit(
        QuerySpec(
            kind="hourly", airport=inputs.airport, start=inputs.start, end=inputs.end,
            epsilon=inputs.epsilon, days=HOURLY_DAYS,
        )
    )  # fmt: skip
    st.markdown(f"**{tr('visit.drill_hours', area=name)}**")
    release = shown_release(HOURLY_SLOT, spec)
    if release is None:
        with st.container(border=True):
            st.caption(tr("visit.drill_hourly_needed"))
            run_release([(HOURLY_SLOT, spec)], cost_panel([spec]), "visit.drill_run_hourly")
        release = shown_release(HOURLY_SLOT, spec)
    if release is None:
        return
    frame = hour_frame(frames.normalise(release.to_frame()))
    rows = frames.select(frame, municipality_code=municipality)
    rows = rows.assign(day=[_day_label(int(o)) for o in rows["day_offset"]])
    if bool((~rows["suppressed"]).any()):
        axes = charts.Axes("hour", tr("flows.hour_axis"), tr("flows.people"), "day",
                           tr("flows.day"))  # fmt: skip
        st.altair_chart(charts.lines(rows, axes), width="stretch", key="visit:drill:hours")
    else:
        st.info(tr("visit.drill_hours_withheld"), icon=":material/visibility_off:")
    release_caption(release)


@guarded
def render() -> None:
    """The visit map page."""
    st.title(tr("visit.title"))
    st.caption(tr("visit.lead"))
    status = service().status()
    inputs = _inputs(status)
    cross, population = _specs(inputs, status)
    with st.container(border=True):
        estimates = cost_panel([cross])
        run_release([(SLOT, cross)], estimates)
    release = shown_release(SLOT, cross)
    if release is None:
        st.info(tr("visit.not_run"), icon=":material/lock:")
        return
    _result(release, population, inputs)
