"""ホーム — what is loaded, how much privacy budget is left, and the latest releases.

Map of the module: :func:`render` · :func:`_loaded` · :func:`_gauge` · :func:`_recent`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.i18n import has_text
from app.ledger_text import releases_for_people
from app.ledger_view import budget_frame, release_frame
from app.state import node_address, service, tr
from app.ui import budget_gauge, guarded

__all__ = ["render"]

RECENT = 5
CARDS_PER_ROW = 4


def _period(start: Any, end: Any) -> str:
    """``2025/08/01–09/30`` (the year once when both dates share it)."""
    if start is None or end is None:
        return "–"
    last = f"{end:%m/%d}" if end.year == start.year else f"{end:%Y/%m/%d}"
    return f"{start:%Y/%m/%d}–{last}"


def _loaded(status: Any) -> None:
    """The data period, its scale and where municipality boundaries come from."""
    period = _period(status.start, status.end)
    columns = st.columns(3)
    columns[0].metric(tr("home.period"), period)
    scale = f"scale.{status.scale}"
    columns[1].metric(tr("home.scale"), tr(scale) if has_text(scale) else str(status.scale or "–"))
    kind = "home.areas_approx" if status.approximate_areas else "home.areas_n03"
    columns[2].metric(tr("home.areas"), tr(kind), help=tr(f"{kind}_help"))
    address = node_address()
    if address is not None:  # a client of the airline node: no folder of a party is opened here
        st.caption(tr("home.node", address=address))
    else:
        st.caption(tr("home.parties", data=str(status.data_dir), workspace=str(status.workspace)))


def _recent(releases: pd.DataFrame) -> None:
    """The latest releases (newest first)."""
    if releases.empty:
        st.info(tr("home.no_releases"))
        return
    st.dataframe(
        releases_for_people(releases.head(RECENT), tr), hide_index=True,
        column_config={"release_id": tr("col.release"), "kind": tr("col.kind"),
                       "summary": tr("col.summary"), "created": tr("col.created"),
                       "epsilon": st.column_config.NumberColumn("ε", format="%.2f")},
    )  # fmt: skip


def _cards() -> None:
    """One card per analysis page: a link and a line on what it answers."""
    from app.navigation import PAGES, pages  # the navigation imports this module

    links = pages()
    entries = [entry for entry in PAGES if entry.path != "home"]
    for start in range(0, len(entries), CARDS_PER_ROW):
        row = entries[start : start + CARDS_PER_ROW]
        for column, entry in zip(st.columns(CARDS_PER_ROW), row, strict=False):
            with column.container(border=True, height="stretch"):
                st.page_link(links[entry.path])
                st.caption(tr(f"card.{entry.key}"))


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
        budget_gauge(budget_frame(svc.budgets()), key="home:budget")
    with right:
        st.subheader(tr("home.recent"))
        _recent(release_frame(svc.releases()))
    st.subheader(tr("home.explore"))
    _cards()
