"""ホーム — what is loaded, how much privacy budget is left, and the latest releases.

Map of the module: :func:`render` · :func:`_loaded` · :func:`_gauge` · :func:`_recent`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.ledger_view import budget_frame, release_frame
from app.state import service, tr
from app.ui import guarded

__all__ = ["render"]

RECENT = 5


def _loaded(status: Any) -> None:
    """The data period, its scale and where municipality boundaries come from."""
    period = f"{status.start} – {status.end}" if status.start else "–"
    columns = st.columns(3)
    columns[0].metric(tr("home.period"), period)
    columns[1].metric(tr("home.scale"), str(status.scale or "–"))
    areas = tr("home.areas_approx") if status.approximate_areas else tr("home.areas_n03")
    columns[2].metric(tr("home.areas"), areas, help=str(status.area_source))
    st.caption(tr("home.parties", data=str(status.data_dir), workspace=str(status.workspace)))


def _gauge(budgets: pd.DataFrame) -> None:
    """ε left per month and dataset, as a bullet chart (spent in orange, left in blue)."""
    if budgets.empty:
        st.info(tr("ledger.no_budgets"))
        return
    rows = budgets.assign(label=[f"{tr(f'dataset.{d}')} {m}" for d, m in
                                 zip(budgets["dataset"], budgets["month"], strict=True)])  # fmt: skip
    long = rows.melt("label", ["spent_epsilon", "remaining_epsilon"], "part", "epsilon")
    long["part"] = long["part"].map(
        {"spent_epsilon": tr("home.spent"), "remaining_epsilon": tr("home.left")}
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=list(rows["label"])),
            x=alt.X("epsilon:Q", title="ε", stack="zero"),
            color=alt.Color(
                "part:N", title=None,
                scale=alt.Scale(domain=[tr("home.spent"), tr("home.left")],
                                range=["#e6782a", "#a6cfe0"]),
            ),
            tooltip=["label", "part", alt.Tooltip("epsilon:Q", format=".2f")],
        )
        .properties(height=max(90, 28 * len(rows)))
    )  # fmt: skip
    st.altair_chart(chart, width="stretch")


def _recent(releases: pd.DataFrame) -> None:
    """The latest releases (newest first)."""
    if releases.empty:
        st.info(tr("home.no_releases"))
        return
    st.dataframe(
        releases.head(RECENT), hide_index=True,
        column_config={"release_id": tr("col.release"), "kind": tr("col.kind"),
                       "summary": tr("col.summary"), "created": tr("col.created"),
                       "epsilon": st.column_config.NumberColumn("ε", format="%.2f")},
    )  # fmt: skip


@guarded
def render() -> None:
    """The home page."""
    st.title(tr("home.title"))
    st.markdown(tr("home.lead"))
    svc = service()
    _loaded(svc.status())
    left, right = st.columns([1, 1.2])
    with left:
        st.subheader(tr("home.budget"))
        _gauge(budget_frame(svc.budgets()))
    with right:
        st.subheader(tr("home.recent"))
        _recent(release_frame(svc.releases()))
    st.info(tr("home.next"), icon=":material/map:")
