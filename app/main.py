"""Crossmesh dashboard entry point: page setup, the language switch, and routing — nothing else.

Run with ``streamlit run app/main.py`` (the workspace comes from ``CROSSMESH_WORKSPACE`` and
``CROSSMESH_DATA``; see :mod:`app.state`). Each page is a function in its own module under
:mod:`app.screens`; :mod:`app.navigation` lists them with their URL paths, titles and icons.
"""

from __future__ import annotations

import streamlit as st

from app.i18n import LANGUAGES
from app.navigation import pages
from app.state import LANGUAGE_KEY, language, tr


def _language_switch() -> None:
    """Japanese by default; English on request (kept for the whole session)."""
    st.session_state.setdefault(LANGUAGE_KEY, language())
    st.sidebar.segmented_control(
        "言語 / Language", list(LANGUAGES), key=LANGUAGE_KEY, required=True,
        format_func=lambda code: LANGUAGES[code],
    )  # fmt: skip


def main() -> None:
    """Set up the page, show the language switch and run the page the user is on."""
    st.set_page_config(page_title="Crossmesh", page_icon=":material/grid_on:", layout="wide")
    _language_switch()
    st.navigation(list(pages().values())).run()
    st.sidebar.caption(tr("sidebar.note"))


main()
