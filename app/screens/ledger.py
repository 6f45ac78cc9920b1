"""プライバシー台帳 — the privacy ledger: budgets, every release, the audit log.

Budgets are shown per scope (a dataset pair and a month) as ε spent and left; every committed
release is listed and can be reopened at no cost (the ledger serves the published values again);
the audit log lists every reservation, commit, cache hit and refusal.

A reopened release is drawn as the page that made it draws it — every kind through its page's
``show`` function (:func:`_shown_by`: visit map, flows and time profile, hourly playback, repeat
visitors, furusato cohorts, pre-boarding, East Hokkaido), the carrier's population on a map of its
region's cells — its table folded below.

Map of the module: :func:`render` · :func:`_budgets` · :func:`_releases` · :func:`_reopened` ·
:func:`_drawn` · :func:`_audit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from app import frames, maps
from app.ledger_text import audit_for_people, kind_text, releases_for_people, summary_text
from app.ledger_view import audit_frame, budget_frame, release_frame
from app.names import region_label
from app.reports import period_text, report_frame
from app.state import cached_release, language, service, tr
from app.ui import (
    budget_gauge,
    downloads,
    draw_map,
    guarded,
    map_words,
    release_caption,
    suppressed_note,
)
from geo.mesh import code_level
from geo.places import REGIONS

if TYPE_CHECKING:
    from engine.dp import Release

__all__ = ["render"]

REOPEN_KEY = "ledger:reopened"


def _budgets() -> None:
    """Each scope's budget: the share spent and left, and total / used / left in ε."""
    st.subheader(tr("ledger.budgets"))
    budget_gauge(budget_frame(service().budgets()), key="ledger:budget")


def _releases() -> pd.DataFrame:
    """The table of every release."""
    releases = release_frame(service().releases())
    st.subheader(tr("ledger.releases"))
    st.dataframe(
        releases_for_people(releases, tr), hide_index=True,
        column_config={"release_id": tr("col.release"), "kind": tr("col.kind"),
                       "summary": tr("col.summary"), "created": tr("col.created"),
                       "epsilon": st.column_config.NumberColumn("ε", format="%.2f")},
    )  # fmt: skip
    return releases


def _reopen_picker(releases: pd.DataFrame) -> None:
    """Pick a past release and reopen it (no budget is spent)."""
    if releases.empty:
        return
    summaries = [summary_text(summary, tr) for summary in releases["summary"]]
    labels = dict(zip(releases["release_id"], summaries, strict=True))
    row = st.columns([3, 1], vertical_alignment="bottom")
    chosen = row[0].selectbox(
        tr("ledger.pick"), list(labels), format_func=lambda r: f"#{r} · {labels[r]}",
        key="ledger:pick",
    )  # fmt: skip
    if row[1].button(tr("ledger.reopen"), key="ledger:reopen", icon=":material/history:"):
        st.session_state[REOPEN_KEY] = chosen


def _cells_map(frame: pd.DataFrame, release: Release) -> None:
    """The reopened release's cells (summed over its other labels) on a map of its region."""
    cells = frames.collapse(frame, ["mesh_code"])
    region = REGIONS.get(str(release.query_spec.get("region") or ""))
    if region is None:  # a release that does not name its region: the one its cells lie in
        level = code_level(str(cells["mesh_code"].iloc[0]))
        regions = [r for r in REGIONS.values() if r.mesh_level == level]
        code = str(cells["mesh_code"].iloc[0])
        region = next((r for r in regions if _inside(code, r.bbox)), regions[0])
    text = map_words(tr("map.days_total_period", period=period_text(release)))
    kind = kind_text(str(release.query_spec.get("kind", "")), tr)
    title = f"{kind} · {region_label(region, language())}"
    draw_map(region, maps.cell_layers(cells, text), airports=region.airports, key="ledger:map",
             title=title, release=release)  # fmt: skip


def _inside(code: str, bbox: tuple[float, float, float, float]) -> bool:
    from geo.mesh import code_center

    lat, lon = code_center(code)
    return bbox[0] <= lat <= bbox[2] and bbox[1] <= lon <= bbox[3]


def _shown_by() -> dict[str, Callable[[Release], None]]:
    """Each release kind → how its page draws a release of it (imported late: pages are heavy)."""
    from app.screens import flows, furusato, hokkaido, hourly, preboarding, repeat, visit_map

    def repeat_show(release: Release) -> None:
        repeat.show([(str(release.query_spec.get("airport", "")), release)])

    return {
        "visit-map": lambda release: visit_map.show(release, key="ledger:visit"),
        "flows": lambda release: flows.show_flows(release, key="ledger:flows"),
        "profile": flows.show_profile,
        "hourly": lambda release: hourly.show(release, prefix="ledger:hourly"),
        "repeat": repeat_show,
        "furusato": furusato.show,
        "preboarding": preboarding.show,
        "hokkaido": lambda release: hokkaido.show(release, key="ledger:hokkaido"),
        "population": _population,
    }


def _population(release: Release) -> None:
    """The carrier's population release: its cells, summed over days and residency, mapped."""
    frame = frames.normalise(release.to_frame())
    if "mesh_code" in frame and not frame.empty:
        _cells_map(frame, release)
    suppressed_note(frame)


def _drawn(release: Release) -> bool:
    """Draw ``release`` as the page that made it does, if that page can; whether it did."""
    show = _shown_by().get(str(release.query_spec.get("kind")))
    if show is None:
        return False
    show(release)
    return True


def _reopened() -> None:
    """The release the user reopened, as published: its chart or map, then its table."""
    release_id = st.session_state.get(REOPEN_KEY)
    if release_id is None:
        return
    release = cached_release(str(release_id))
    st.markdown(f"#### {tr('ledger.reopened', id=release_id)}")
    release_caption(release)
    frame = frames.normalise(release.to_frame())
    drawn = _drawn(release)
    if not drawn and "mesh_code" in frame and not frame.empty:
        _cells_map(frame, release)
    if not drawn:
        suppressed_note(frame)
    with st.expander(tr("ledger.table"), expanded=not drawn):
        st.dataframe(report_frame(release, tr, language()), hide_index=True, height=260)
    downloads(release, f"release-{release_id}")


def _audit() -> None:
    """The audit log, newest first."""
    st.subheader(tr("ledger.audit"))
    log = audit_for_people(audit_frame(service().audit(200)), tr)
    st.dataframe(
        log, hide_index=True, height=300,
        column_config={"at": tr("col.at"), "actor": tr("col.actor"), "action": tr("col.action"),
                       "scope": tr("col.scope"), "detail": tr("col.detail"),
                       "epsilon": st.column_config.NumberColumn("ε", format="%.3f")},
    )  # fmt: skip


@guarded
def render() -> None:
    """The privacy ledger page."""
    st.title(tr("ledger.title"))
    st.caption(tr("ledger.lead"))
    _budgets()
    releases = _releases()
    _reopen_picker(releases)
    _reopened()
    _audit()
