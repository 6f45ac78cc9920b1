"""手法 — how Crossmesh works, in plain words: the three stages and who sees what.

Static text from :mod:`app.i18n` (no engine call but the area source, for the credit line).
"""

from __future__ import annotations

import streamlit as st

from app.state import service, tr
from app.ui import guarded
from geo.areas import N03_CREDIT

__all__ = ["render"]

STAGES = ("deidentify", "aggregate", "disclose")


@guarded
def render() -> None:
    """The method page."""
    st.title(tr("method.title"))
    st.markdown(tr("method.lead"))
    for number, (column, stage) in enumerate(zip(st.columns(3), STAGES, strict=True), start=1):
        with column.container(border=True, height="stretch"):
            st.markdown(f"##### {number}. {tr(f'method.{stage}.title')}")
            st.markdown(tr(f"method.{stage}.body"))
    st.subheader(tr("method.who_title"))
    st.markdown(tr("method.who_table"))
    st.subheader(tr("method.guarantee_title"))
    st.markdown(tr("method.guarantee"))
    st.subheader(tr("method.limits_title"))
    st.markdown(tr("method.limits"))
    st.subheader(tr("method.areas_title"))
    status = service().status()
    source = tr("home.areas_approx") if status.approximate_areas else tr("home.areas_n03")
    st.markdown(tr("method.areas", source=source))
    st.caption(tr("map.credit", credit=status.credit or N03_CREDIT, source=source))
