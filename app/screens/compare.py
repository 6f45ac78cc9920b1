"""比較 — two releases side by side: two periods, or two airports, and whether they differ.

Planners ask "did more passengers go to Shirahama in the second half of August?" or "do SHM and
TAK arrivals reach the same towns?". The page runs two ``flows`` releases (municipalities visited
in the days after arrival), adds each one's days per municipality, and compares them key by key
(:func:`app.frames.compare`): the difference with the exact interval of the two releases' noises
and a verdict in plain words — 差があるとは言えない when the interval includes 0. Only values both
releases show are compared; the rest say why not.

Map of the module: :func:`render` · :func:`_specs` · :func:`_table`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from app import charts, frames
from app.i18n import text
from app.inputs import airport_select, date_range, epsilon_slider
from app.names import municipality_names
from app.state import language, service, tr
from app.ui import cost_panel, guarded, inside_data, release_caption, run_release, shown_release
from engine.queries import QuerySpec
from geo.places import STUDY_AIRPORTS

__all__ = ["render", "verdict_text"]

SLOT_A, SLOT_B = "compare:a", "compare:b"
MODES = ("periods", "airports")
DAYS = 3


def _period(column: Any, page: str, label_key: str, bounds: tuple[dt.date, dt.date],
            default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:  # fmt: skip
    """One period inside ``bounds`` (the days both parties' data cover for this kind)."""
    picked = column.date_input(
        tr(label_key), value=default, min_value=bounds[0], max_value=bounds[1],
        key=f"{page}:dates",
    )  # fmt: skip
    dates = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    return dates[0], dates[-1]


def _readable_days(status: Any, airport: str, common: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The first and last arrival day a flows release may read for ``airport``."""
    first = status.start or dt.date.today()
    last = status.end or first + dt.timedelta(days=30)
    fitted = service().fit(QuerySpec(airport=airport, start=first, end=last, **common))
    return fitted.start, fitted.end


def _specs(status: Any) -> tuple[QuerySpec, QuerySpec]:
    """The two flows releases the user compares."""
    mode = st.segmented_control(
        tr("compare.mode"), MODES, default="periods", required=True, key="compare:mode",
        format_func=lambda m: tr(f"compare.mode_{m}"),
    )  # fmt: skip
    row = st.columns([1.2, 1.4, 1.4, 1])
    epsilon = epsilon_slider(row[3], "compare")
    common: dict[str, Any] = {"kind": "flows", "days": DAYS, "epsilon": epsilon}
    if mode == "airports":
        first = airport_select(row[0], "compare_a", STUDY_AIRPORTS, "SHM", "compare.airport_a")
        second = airport_select(row[1], "compare_b", STUDY_AIRPORTS, "TAK", "compare.airport_b")
        start, end = date_range(row[2], "compare", status)
        a = inside_data(QuerySpec(airport=first, start=start, end=end, **common))
        b = inside_data(QuerySpec(airport=second, start=a.start, end=a.end, **common))
        return a, b
    airport = airport_select(row[0], "compare", STUDY_AIRPORTS, "SHM")
    bounds = _readable_days(status, airport, common)
    middle = bounds[0] + (bounds[1] - bounds[0]) // 2  # by default: first half against second
    first_half = (bounds[0], middle)
    second_half = (min(bounds[1], middle + dt.timedelta(days=1)), bounds[1])
    start, end = _period(row[1], "compare_a", "compare.period_a", bounds, first_half)
    a = inside_data(QuerySpec(airport=airport, start=start, end=end, **common))
    start, end = _period(row[2], "compare_b", "compare.period_b", bounds, second_half)
    b = inside_data(QuerySpec(airport=airport, start=start, end=end, **common))
    return a, b


def verdict_text(verdict: str, lang: str) -> str:
    """The verdict in words (the keys of :func:`app.frames.compare`)."""
    return text(f"compare.verdict_{verdict}", lang)


def _by_area(release: Any) -> pd.DataFrame:
    """Person-days per municipality over the days after arrival."""
    return frames.collapse(frames.normalise(release.to_frame()), ["municipality_code"])


def _table(compared: pd.DataFrame) -> pd.DataFrame:
    """The comparison as text, in the reader's language."""
    names = municipality_names(language())
    lang = language()

    def number(value: Any, width: Any) -> str:
        if pd.isna(value):
            return tr("map.suppressed")
        return f"{int(value):,} ± {int(width):,}"

    return pd.DataFrame(
        {
            tr("col.area"): [names.get(c, c) for c in compared["municipality_code"]],
            tr("compare.col_a"): list(map(number, compared["value_a"], compared["ci95_a"])),
            tr("compare.col_b"): list(map(number, compared["value_b"], compared["ci95_b"])),
            tr("compare.col_difference"): [
                "" if pd.isna(d) else f"{int(d):+,} ± {int(w):,}"
                for d, w in zip(compared["difference"], compared["ci95"], strict=True)
            ],
            tr("compare.col_verdict"): [verdict_text(v, lang) for v in compared["verdict"]],
        }
    )


@guarded
def render() -> None:
    """The comparison page."""
    st.title(tr("compare.title"))
    st.caption(tr("compare.lead"))
    a, b = _specs(service().status())
    with st.container(border=True):
        run_release([(SLOT_A, a), (SLOT_B, b)], cost_panel([a, b]))
    first, second = shown_release(SLOT_A, a), shown_release(SLOT_B, b)
    if first is None or second is None:
        st.info(tr("compare.not_run"), icon=":material/lock:")
        return
    compared = frames.compare(_by_area(first), _by_area(second), "municipality_code")
    either = compared[compared["value_a"].notna() | compared["value_b"].notna()]
    if either.empty:
        st.info(tr("release.empty"))
        return
    counts = either["verdict"].value_counts()
    st.markdown(
        tr(
            "compare.summary",
            higher=int(counts.get("higher", 0)),
            lower=int(counts.get("lower", 0)),
            same=int(counts.get("no_difference", 0)),
            missing=int(counts.get("not_comparable", 0)),
        )
    )
    names = municipality_names(language())
    bars = pd.concat(
        [
            either.assign(
                value=either[f"value_{s}"], ci95=either[f"ci95_{s}"], side=tr(f"compare.col_{s}")
            )
            for s in ("a", "b")
        ]
    )
    bars = bars.assign(
        suppressed=bars["value"].isna(), area=[names.get(c, c) for c in bars["municipality_code"]]
    )
    axes = charts.Axes("area", tr("col.area"), tr("flows.person_days"), "side", tr("compare.side"))
    st.altair_chart(charts.bars(bars, axes, horizontal=True), width="stretch")
    st.dataframe(_table(either), hide_index=True)
    st.caption(tr("compare.note"))
    release_caption(first)
