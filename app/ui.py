"""Widgets every page shares: the error boundary, the cost panel, the run button, downloads.

* :func:`guarded` — the page boundary: an error of the Crossmesh family becomes a friendly
  ``st.error`` (what went wrong and what to do, in the user's language; the engine's own
  message, in English, names the place and the remedy: in the English UI below it, in the
  Japanese UI in an expander of technical details); anything else is a bug and propagates;
* :func:`cost_panel` — what one or more releases would spend, the ε left, about how many more
  releases like these fit, and why ε does not add up, **before** they run (``svc.estimate``);
  it returns :class:`CostEstimates`, which :func:`run_release` redraws once the release ran;
* :func:`run_release` — the "run secure release" button (locked while its jobs run) with
  ``st.status`` and a progress bar; :func:`shown_release` — the release of the current inputs,
  if this session ran it (a changed input hides the old result rather than mislabel it);
* :func:`draw_map` — a region's map: the ground (:mod:`app.basemap`), the released layers, place
  names, airports and a scale bar (:mod:`app.overlay`), a tilt toggle, the legend and credit
  under it and a PNG of it all (:mod:`app.map_png`); :func:`map_words` the words of its tooltips;
* :func:`budget_gauge` — each month's privacy budget: shares spent and left, ε total / used /
  left, and why those do not add up;
* :func:`release_page` — a page of one release: title, lead, the run panel, the release drawn
  with its caption and downloads (or why there is none yet);
* :func:`release_caption`, :func:`suppressed_note`, :func:`downloads` (the localised CSV report
  of :mod:`app.reports`, GeoJSON), :func:`legend_entries` — how a release is described next to its
  map, chart or table.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import basemap, charts, map_png, maps
from app.eta import time_left_text
from app.i18n import has_text
from app.ledger_text import jst, scope_text
from app.ledger_view import releases_left
from app.names import municipality_names
from app.reports import report_csv
from app.state import area_map, language, remember, remembered, service, tr
from foundation.errors import BudgetExceeded, ConfigError, CrossmeshError, InputError

if TYPE_CHECKING:
    from engine.dp import Release
    from engine.queries import QuerySpec
    from geo.places import Region

__all__ = [
    "CostEstimates",
    "budget_gauge",
    "cost_panel",
    "downloads",
    "draw_map",
    "ground_legend",
    "guarded",
    "inside_data",
    "legend_entries",
    "map_words",
    "published_chart",
    "release_caption",
    "run_release",
    "shown_release",
    "suppressed_note",
    "value_legend",
]


def _error_key(error: CrossmeshError) -> str:
    for kind, key in (
        (BudgetExceeded, "error.budget"),
        (ConfigError, "error.config"),
        (InputError, "error.input"),
    ):
        if isinstance(error, kind):
            return key
    return "error.engine"


def guarded(render: Callable[[], None]) -> Callable[[], None]:
    """Wrap a page so that Crossmesh errors are shown as friendly messages, not tracebacks."""

    @functools.wraps(render)
    def page() -> None:
        try:
            render()
        except CrossmeshError as error:
            key = _error_key(error)
            if language() == "en":
                st.error(f"**{tr(key)}**\n\n{error}", icon=":material/error:")
                return
            # The engine's own words are English: kept aside under the advice, not hidden.
            st.error(f"**{tr(key)}**\n\n{tr(key + '_advice')}", icon=":material/error:")
            with st.expander(tr("error.details")):
                st.code(str(error), language=None)

    return page


def inside_data(spec: QuerySpec) -> QuerySpec:
    """``spec`` fitted to the days both parties have data for, with a note when it changed.

    The service refuses a release that reads days outside the data (it would read as "nobody
    went there"); the page asks only what lies inside and says so.
    """
    fitted: QuerySpec = service().fit(spec)
    if fitted != spec:
        values = {"start": fitted.start.isoformat(), "end": fitted.end.isoformat()}
        if fitted.kind == "furusato":
            st.caption(tr("period.fitted_months", months=fitted.months_after, **values))
        else:
            st.caption(tr("period.fitted", **values))
    return fitted


def shown_release(slot: str, spec: QuerySpec) -> Release | None:
    """The release of ``spec`` for ``slot``: this session's, or one that finished meanwhile.

    A release started here keeps running when the user leaves the page (it is a job of the
    service, :mod:`engine.jobs`); coming back, the page finds it done in the job table or in the
    ledger's cache — served at no cost — and shows it.
    """
    kept = remembered(slot, spec.spec_hash)
    if kept is not None:
        return kept
    job = service().job(spec)
    found = job.release if job is not None else None
    if found is None:
        found = service().cached_release(spec)
    if found is not None:
        remember(slot, spec.spec_hash, found)
    return found


class CostEstimates(list[Any]):
    """The estimates :func:`cost_panel` showed, and how to redraw the panel in its place.

    A page draws the panel above its run button; once the release has run, :func:`run_release`
    calls :meth:`refresh` so that the panel shows the budget *after* the release in the same
    script run (no ``st.rerun``, which would wipe the finished status from the page).
    """

    def __init__(self, specs: Sequence[QuerySpec], place: Any) -> None:
        super().__init__(service().estimate(spec) for spec in specs)
        self.specs = tuple(specs)
        self.place = place

    def refresh(self) -> None:
        """Estimate again and redraw the panel where it was."""
        self[:] = [service().estimate(spec) for spec in self.specs]
        with self.place.container():
            _draw_costs(self)


def cost_panel(specs: Sequence[QuerySpec]) -> CostEstimates:
    """Show the ε the releases would cost together and the budget left; return the estimates."""
    estimates = CostEstimates(specs, st.empty())
    with estimates.place.container():
        _draw_costs(estimates)
    return estimates


def _charges(estimates: Sequence[Any]) -> dict[str, float]:
    """ρ each scope would be charged by the estimates that are not served from the cache."""
    charges: dict[str, float] = {}
    for estimate in estimates:
        for scope in estimate.scopes if not estimate.cached else ():
            charges[scope] = charges.get(scope, 0.0) + float(estimate.rho)
    return charges


def _draw_costs(estimates: Sequence[Any]) -> None:
    """The metrics of the panel: spend, ε left, about how many more, months; then a note."""
    spend = sum(e.epsilon for e in estimates if not e.cached)
    left = min((min(e.remaining_epsilon.values(), default=0.0) for e in estimates), default=0.0)
    remaining = {s: r for e in estimates for s, r in e.remaining_rho.items()}
    more = releases_left(remaining, _charges(estimates))
    scopes = sorted({scope for e in estimates for scope in e.scopes})
    cost, rest, again, months = st.columns(4)
    cost.metric(tr("cost.epsilon"), f"{spend:.2g}", help=tr("cost.epsilon_help"))
    rest.metric(tr("cost.remaining"), f"{left:.2f}", help=tr("cost.remaining_help"))
    shown = "–" if more is None else tr("cost.more_value", n=more)
    again.metric(tr("cost.more"), shown, help=tr("cost.more_help"))
    named = ", ".join(scope_text(scope, tr) for scope in scopes)
    months.metric(tr("cost.scopes"), str(len(scopes)), help=named)
    st.caption(tr("budget.why"))
    if all(e.cached for e in estimates):
        st.info(tr("cost.cached"), icon=":material/history:")
    elif not all(e.cached or e.affordable for e in estimates):
        st.warning(tr("cost.unaffordable"), icon=":material/block:")


def _step_text(step: str) -> str:
    key = f"step.{step}"
    return tr(key) if has_text(key) else step


def run_release(
    jobs: Sequence[tuple[str, QuerySpec]], estimates: Sequence[Any], label_key: str = "run.button"
) -> None:
    """A button that starts each ``(slot, spec)`` release as a job and follows it to the end.

    Pressing twice, or leaving the page, never runs or charges a release twice: a job already
    running for a spec is followed, not started again (:meth:`CrossmeshService.submit`). A page
    opened while its jobs still run follows them without a click. The button is locked while
    the jobs run, and the cost panel above it (:func:`cost_panel`) is redrawn once they finished.
    """
    allowed = all(e.cached or e.affordable for e in estimates)
    key = "run:" + ",".join(slot for slot, _ in jobs)
    # The jobs start in the button's callback, before the page is drawn again: the button of
    # that run is drawn locked already (a disabled button cannot be pressed a second time).
    st.button(
        tr(label_key), type="primary", key=key, on_click=_start, args=(key, jobs),
        disabled=_busy(key, jobs) or not allowed,
    )  # fmt: skip
    failure = st.session_state.pop(f"{key}:failed", None)
    if failure is not None:
        raise failure
    if st.session_state.pop(f"{key}:started", False) or _busy(key, jobs):
        _follow(jobs)
        if isinstance(estimates, CostEstimates):
            estimates.refresh()


def _start(key: str, jobs: Sequence[tuple[str, QuerySpec]]) -> None:
    """The run button's callback: submit every job (a failure is raised on the page)."""
    try:
        for _slot, spec in jobs:
            service().submit(spec)
    except CrossmeshError as error:
        st.session_state[f"{key}:failed"] = error
    else:
        st.session_state[f"{key}:started"] = True


def _busy(key: str, jobs: Sequence[tuple[str, QuerySpec]]) -> bool:
    """Whether this button's jobs were just started or still run."""
    if st.session_state.get(f"{key}:started"):
        return True
    running = [service().job(spec) for _slot, spec in jobs]
    return any(job is not None and not job.finished for job in running)


def _follow(jobs: Sequence[tuple[str, QuerySpec]]) -> None:
    """Show the jobs' progress until they finish; remember each release; raise a failure."""
    with st.status(tr("run.status"), expanded=True) as status:
        bar = st.progress(0.0, text=tr("step.start"))
        started = time.monotonic()
        for number, (slot, spec) in enumerate(jobs):
            job = service().job(spec)
            while job is not None and not job.finished:
                overall = (number + min(max(job.fraction, 0.0), 1.0)) / len(jobs)
                left = time_left_text(time.monotonic() - started, overall, language())
                text = _step_text(job.step) + (f" — {left}" if left else "")
                bar.progress(overall, text=text)
                job = service().wait(spec, timeout=0.25)
            if job is not None and job.error is not None:
                status.update(label=tr("run.failed"), state="error")
                raise job.error
            if job is not None and job.release is not None:
                remember(slot, spec.spec_hash, job.release)
        status.update(label=tr("run.done"), state="complete", expanded=False)


def release_page(
    page: str,
    slot: str,
    spec_of: Callable[[], QuerySpec],
    show: Callable[[Release], None],
    stem: Callable[[QuerySpec], str],
    not_run_key: str | None = None,
) -> None:
    """A page of one release: ``{page}.title`` and ``.lead``, the inputs (``spec_of`` draws them),
    the cost panel and run button, then ``show(release)``, its caption and downloads named
    ``stem(spec)`` — or, before it ran, ``{page}.not_run`` (``not_run_key`` instead)."""
    st.title(tr(f"{page}.title"))
    st.caption(tr(f"{page}.lead"))
    spec = spec_of()
    with st.container(border=True):
        run_release([(slot, spec)], cost_panel([spec]))
    release = shown_release(slot, spec)
    if release is None:
        st.info(tr(not_run_key or f"{page}.not_run"), icon=":material/lock:")
        return
    show(release)
    release_caption(release)
    downloads(release, stem(spec))


def release_caption(release: Release) -> None:
    """One line saying how the shown values were made (ε, δ, mechanism, threshold, time)."""
    st.caption(
        tr(
            "release.caption",
            epsilon=f"{release.epsilon:.2g}",
            delta=f"{release.delta:.0e}" if release.delta else "0",
            mechanism=tr(f"mechanism.{release.mechanism}"),
            threshold=release.threshold,
            created=jst(release.created_at),
        )
    )


def published_chart(frame: pd.DataFrame, chart: Callable[[], Any], place: Any = None) -> None:
    """Draw ``chart()`` (in ``place``) when ``frame`` holds a published value; when there is
    none (every value withheld, or no row), say so instead of drawing empty axes."""
    where = st if place is None else place
    if frame.empty or not bool((~frame["suppressed"].astype(bool)).any()):
        where.info(tr("release.empty"), icon=":material/visibility_off:")
        return
    where.altair_chart(chart(), width="stretch")


def suppressed_note(frame: pd.DataFrame) -> None:
    """Say that grey or missing entries were suppressed, and why (without counting people)."""
    if frame.empty:
        st.info(tr("release.empty"), icon=":material/visibility_off:")
    elif bool(frame["suppressed"].any()):
        st.caption(tr("release.suppressed_note"))


def downloads(release: Release, stem: str, title: str | None = None) -> None:
    """The release as a report (CSV for Excel, :mod:`app.reports`) and, for places, GeoJSON.

    The CSV is the localised report: UTF-8 with a byte-order mark, a metadata block, headers in
    the user's language. The GeoJSON keeps the engine's machine-readable properties.
    """
    from engine.dp import MESH_LABEL, MUNICIPALITY_LABEL, release_geojson

    if title:
        st.caption(title)
    csv_column, geo_column = st.columns(2)
    credit = service().status().credit
    csv_column.download_button(
        tr("download.csv"),
        report_csv(release, tr, language(), credit),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"download:{stem}:csv",
    )
    if {MESH_LABEL, MUNICIPALITY_LABEL} & set(release.label_names):
        document = json.dumps(release_geojson(release), ensure_ascii=False)
        geo_column.download_button(
            tr("download.geojson"),
            document.encode("utf-8"),
            file_name=f"{stem}.geojson",
            mime="application/geo+json",
            icon=":material/map:",
            key=f"download:{stem}:geojson",
        )


Legend = Sequence[tuple[str, str]]  # (CSS colour "#rrggbb" or "hatch", label)


def draw_map(
    region: Region,
    layers: Sequence[Any],
    *,
    airports: Sequence[str],
    key: str,
    pitch: float = 0,
    title: str = "",
    legend: Legend | None = None,
    release: Release | None = None,
    selectable: bool = False,
) -> Any:
    """A map of ``region``: sea, land and outlines, the released ``layers``, names, airports,
    a scale bar; top-down unless the reader tilts it (``pitch`` is the tilt then).

    Under it: the legend (``legend``, else value ranges of the ``cells``/``areas`` layers, see
    :func:`value_legend`; then withheld, land and sea), the credit, and a button that downloads
    the map as a PNG with that legend, ``title`` and the ``release``'s period and ε
    (:mod:`app.map_png`, drawn only when pressed). With ``selectable`` a click on a picked
    object reruns the page; the chart's selection state is returned (else None).
    """
    from app import overlay
    from app.names import airport_label

    lang = language()
    names = municipality_names(lang)
    tilted = st.toggle(tr("map.tilt"), value=False, key=f"{key}:tilt")
    view = maps.view_for_bbox(region.bbox, pitch=(pitch or 45) if tilted else 0)
    airport_names = {c: airport_label(c, lang) for c in airports}
    stack = [
        *basemap.ground_layers(region, area_map().polygons()),
        *layers,
        overlay.place_layer(
            region.municipality_codes,
            names,
            zoom=float(view.zoom),
            clear_of=overlay.airport_boxes(airports, airport_names, float(view.zoom)),
        ),
        *overlay.airport_layers(airports, airport_names),
        *overlay.scale_bar_layers(region.bbox),
    ]
    chart = maps.deck(stack, view)
    options: dict[str, Any] = {"on_select": "rerun", "selection_mode": "single-object"}
    state = st.pydeck_chart(
        chart, height=maps.MAP_HEIGHT, key=key, **(options if selectable else {})
    )
    entries = [*(value_legend(layers) if legend is None else legend), *ground_legend()]
    _legend_html(entries)
    status = service().status()
    footer = [] if release is None else [_release_line(release)]
    if status.credit:
        source = tr("home.areas_approx") if status.approximate_areas else tr("home.areas_n03")
        credit = tr("map.credit", credit=status.credit, source=source)
        st.caption(credit)
        footer.append(credit)
    sheet = map_png.MapSheet(title or tr("map.png_title"), tuple(entries), tuple(footer))
    _png_button(json.loads(chart.to_json()), region.bbox, sheet, key)
    return state if selectable else None


def _release_line(release: Release) -> str:
    """The period and ε of ``release``, for the picture's footer."""
    from app.reports import period_text

    return tr("map.png_release", period=period_text(release), epsilon=f"{release.epsilon:.2g}")


def _png_button(
    deck_json: dict[str, Any], bbox: tuple[float, float, float, float], sheet: Any, key: str
) -> None:
    """Download the map as a PNG: drawn when pressed (a callable), the page does not rerun."""
    if map_png.cjk_font() is None and language() == "ja":
        st.caption(tr("map.png_no_font"))

    def picture() -> bytes:
        return map_png.render_png(deck_json, bbox, sheet).png

    st.download_button(
        tr("download.png"), picture, file_name=f"{key.replace(':', '-')}.png",
        mime="image/png", icon=":material/image:", key=f"{key}:png", on_click="ignore",
    )  # fmt: skip


def value_legend(layers: Sequence[Any], low: float = 0.0, percent: bool = False) -> list[Any]:
    """Legend entries for the values of the ``cells`` and ``areas`` layers among ``layers``."""
    values = [
        float(record["value"])
        for layer in layers
        if getattr(layer, "id", "") in ("cells", "areas")
        for record in (layer.data if isinstance(layer.data, list) else [])
        if "value" in record
    ]
    return legend_entries(max(values, default=low), low, percent)


def legend_entries(top: float, low: float = 0.0, percent: bool = False) -> list[tuple[str, str]]:
    """The colour of each value range and its label (none if nothing is shown).

    Counts are whole people, so the ranges are exact and do not overlap: ``10〜15 人``,
    ``16〜36 人`` … up to the largest value shown; shares are ranges of percent.
    """
    if top <= low:
        return []
    stops = maps.legend_stops(top, min(low, top))
    if percent:
        return [
            (colour, tr("map.range", low=maps.format_value(value, None, True),
                        high=maps.format_value(stops[i + 1][1], None, True)))
            for i, (colour, value) in enumerate(stops[:-1])
        ]  # fmt: skip
    edges = [math.ceil(low), *(round(value) for _, value in stops[1:-1]), math.floor(top) + 1]
    entries = []
    for (colour, _), start, stop in zip(stops[:-1], edges[:-1], edges[1:], strict=True):
        if stop - 1 >= start:  # a range narrower than one person is left out
            high = maps.format_value(stop - 1, None, unit=tr("map.unit"))
            label = high if stop - 1 == start else tr("map.range", low=f"{start:,}", high=high)
            entries.append((colour, label))
    return entries


def ground_legend() -> list[tuple[str, str]]:
    """What the grey hatching, the land and the sea mean."""
    land = "#{:02x}{:02x}{:02x}".format(*basemap.LAND_COLOURS[0])
    sea = "#{:02x}{:02x}{:02x}".format(*basemap.SEA_COLOUR)
    return [("hatch", tr("map.withheld_legend")), (land, tr("map.land")), (sea, tr("map.sea"))]


def _legend_html(entries: Legend) -> None:
    swatch = '<span style="display:inline-block;width:14px;height:14px;background:{};'
    swatch += 'border:1px solid #999;border-radius:3px;margin:0 4px -2px 10px"></span>{}'
    hatch = "repeating-linear-gradient(135deg,#ddd 0 3px,#888 3px 4px)"
    parts = [swatch.format(hatch if c == "hatch" else c, label) for c, label in entries]
    st.html(f'<div style="font-size:0.85rem;color:#4a5560">{"".join(parts)}</div>')


def map_words(day: str, percent: bool = False) -> maps.CellText:
    """The words of a map's tooltips in the user's language; ``day`` says which day it shows."""
    return maps.CellText(
        tr("map.suppressed"), tr("map.mesh"), percent=percent, unit=tr("map.unit"),
        reliable=tr("map.reliable"), unreliable=tr("map.unreliable"),
        withheld=tr("map.withheld"), day=day,
    )  # fmt: skip


def budget_gauge(budgets: pd.DataFrame, key: str = "budget") -> None:
    """Each month's budget: the share spent and left, then total / used / left in ε and why.

    The bars are drawn in ρ's shares (ρ adds up exactly); the table gives the ε people set and
    read, with the one sentence that explains why its columns do not add up.
    """
    if budgets.empty:
        st.info(tr("ledger.no_budgets"))
        return
    rows = budgets.assign(label=[scope_text(scope, tr) for scope in budgets["scope"]])
    words = charts.BudgetWords(tr("home.spent"), tr("home.left"), tr("home.share"))
    st.altair_chart(charts.budget_bars(rows, words), width="stretch", key=f"{key}:chart")
    epsilon = {
        column: st.column_config.NumberColumn(tr(f"col.{name}"), format="%.2f")
        for column, name in (
            ("total_epsilon", "total"), ("spent_epsilon", "spent"), ("remaining_epsilon", "left")
        )
    }  # fmt: skip
    st.dataframe(
        rows[["label", "total_epsilon", "spent_epsilon", "remaining_epsilon"]],
        hide_index=True,
        column_config={"label": tr("budget.month"), **epsilon},
        key=f"{key}:table",
    )
    st.caption(tr("budget.why"))
