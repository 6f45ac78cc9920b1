"""The dashboard's pages in menu order: their functions, URL paths, titles and icons.

:func:`pages` builds the ``st.Page`` objects for ``st.navigation`` (in :mod:`app.main`) and for
``st.page_link`` (the cards on the home page): the same function and URL path give the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app.screens import (
    compare,
    flows,
    furusato,
    hokkaido,
    home,
    hourly,
    ledger,
    method,
    preboarding,
    repeat,
    visit_map,
)
from app.state import tr

__all__ = ["PAGES", "PageEntry", "pages"]


@dataclass(frozen=True)
class PageEntry:
    """One page: its render function, URL path, i18n key and Material icon."""

    render: Callable[[], None]
    path: str
    key: str
    icon: str


PAGES: tuple[PageEntry, ...] = (
    PageEntry(home.render, "home", "home", ":material/home:"),
    PageEntry(visit_map.render, "visit-map", "visit", ":material/map:"),
    PageEntry(flows.render, "flows", "flows", ":material/schedule:"),
    PageEntry(hourly.render, "hourly", "hourly", ":material/play_circle:"),
    PageEntry(repeat.render, "repeat", "repeat", ":material/repeat:"),
    PageEntry(furusato.render, "furusato", "furusato", ":material/volunteer_activism:"),
    PageEntry(preboarding.render, "preboarding", "preboarding", ":material/flight_takeoff:"),
    PageEntry(hokkaido.render, "east-hokkaido", "hokkaido", ":material/landscape:"),
    PageEntry(compare.render, "compare", "compare", ":material/compare_arrows:"),
    PageEntry(ledger.render, "ledger", "ledger", ":material/shield:"),
    PageEntry(method.render, "method", "method", ":material/menu_book:"),
)


def pages() -> dict[str, StreamlitPage]:
    """URL path → page, titled in the user's language (home is the default page)."""
    return {
        entry.path: st.Page(
            entry.render,
            title=tr(f"page.{entry.key}"),
            url_path=entry.path,
            icon=entry.icon,
            default=entry.path == "home",
        )
        for entry in PAGES
    }
