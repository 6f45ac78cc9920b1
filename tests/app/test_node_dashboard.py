"""The dashboard as a client of the airline node: pages release through the node's API.

With ``CROSSMESH_NODE`` set the app opens no party folder — the workspace and data folder it is
pointed at do not even exist here, and the embedded facade is made to fail if anything opens
it — yet a page runs a release, and the ledger page shows it, through the airline node (a
separate OS process calling the carrier node, :func:`tests.conftest.two_nodes`) — the
carrier's own population releases too, which the airline node asks of the carrier node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import app.state
from app.i18n import text
from tests.app.conftest import TIMEOUT, render_page
from tests.two_nodes_kit import TwoNodes, dashboard_client


@pytest.fixture
def node_backed(
    two_nodes: TwoNodes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The app pointed at the airline node; the embedded facade refuses to open."""

    def no_folders(*_args: Any) -> Any:
        raise AssertionError("the node-backed dashboard opened a workspace")

    nowhere = tmp_path / "no-such-folder"
    monkeypatch.setenv(app.state.NODE_ENV, two_nodes.airline.address)
    monkeypatch.setenv(app.state.NODE_CERTS_ENV, str(two_nodes.certs))
    monkeypatch.setenv("CROSSMESH_WORKSPACE", str(nowhere / "workspace"))
    monkeypatch.setenv("CROSSMESH_DATA", str(nowhere / "data"))
    monkeypatch.setattr(app.state, "open_service", no_folders)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield nowhere
    app.state.service().close()
    st.cache_resource.clear()
    st.cache_data.clear()


def _page(name: str) -> AppTest:
    shown = AppTest.from_function(
        render_page, args=(f"app.screens.{name}",), default_timeout=TIMEOUT
    )
    shown.session_state["lang"] = "ja"
    return shown.run()


def test_a_page_releases_through_the_airline_node(node_backed: Path, two_nodes: TwoNodes) -> None:
    """The furusato page's release runs on the nodes; the ledger page lists it; no folder read."""
    shown = _page("furusato")
    assert not shown.exception and not shown.error
    shown.button(key="run:furusato").click().run()
    assert not shown.exception and not shown.error
    # Drawn as the page draws it: a chart, or (the tiny world withholds every value) the words
    # that nothing was published; the table either way.
    empty = text("release.empty", "ja")
    assert shown.get("vega_lite_chart") or any(empty in info.value for info in shown.info)
    assert shown.dataframe
    ledger = _page("ledger")
    assert not ledger.exception and not ledger.error
    assert type(app.state.service()).__name__ == "AirlineClient"
    client = dashboard_client(two_nodes.certs, two_nodes.airline)
    try:
        assert [summary.kind for summary in client.releases()] == ["furusato"]
    finally:
        client.close()
    assert not node_backed.exists()


def test_the_visit_map_offers_population_views_through_the_airline_node(
    node_backed: Path, two_nodes: TwoNodes
) -> None:
    """Through the airline node the all-visitors view offers the carrier's population release
    with its cost, runs it on the carrier node and draws it, and the share view follows — as
    in the embedded dashboard; the ledger page lists it with a ``c`` id."""
    shown = _page("visit_map")
    shown.button(key="run:visit").click().run()
    assert not shown.exception and not shown.error and shown.get("deck_gl_json_chart")
    shown.radio(key="visit:view").set_value("visitors").run()
    assert not shown.exception and not shown.error
    assert not any(text("visit.population_at_carrier", "ja") in i.value for i in shown.info)
    assert shown.button(key="run:visit-population"), "the population release is offered"
    assert not shown.get("deck_gl_json_chart")  # nothing drawn until it is released
    shown.button(key="run:visit-population").click().run()
    assert not shown.exception and not shown.error and shown.get("deck_gl_json_chart")
    shown.radio(key="visit:view").set_value("share").run()
    assert not shown.exception and not shown.error and shown.get("deck_gl_json_chart")
    client = dashboard_client(two_nodes.certs, two_nodes.airline)
    try:
        kinds = {summary.kind: summary.release_id for summary in client.releases()}
    finally:
        client.close()
    assert kinds["population"].startswith("c") and "visit-map" in kinds
    ledger = _page("ledger")
    assert not ledger.exception and not ledger.error
    assert not node_backed.exists()


def test_the_home_page_names_the_node_not_folders(node_backed: Path, two_nodes: TwoNodes) -> None:
    """The home page says which node it is connected to, and shows no folder path."""
    shown = _page("home")
    assert not shown.exception and not shown.error
    captions = " ".join(caption.value for caption in shown.caption)
    assert two_nodes.airline.address in captions and str(node_backed) not in captions
