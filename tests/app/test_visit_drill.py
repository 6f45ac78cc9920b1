"""Drill-down on the visit map: one municipality's cells and its hours, by click or by picker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.i18n import text
from app.screens.visit_map import picked_municipality
from geo.areas import mesh_municipality
from tests.app.test_pages import assert_clean, decks, layers, run

OpenPage = Callable[..., AppTest]
TOWN = "30401"  # 白浜町


def test_a_clicked_cell_picks_its_municipality(dashboard: Path) -> None:
    """The chart's selection state (a cell or an arc to it) names the cell's municipality."""
    from app.state import area_map

    code = "50353255"
    owner = mesh_municipality([code], area_map())[code]
    state = {"selection": {"indices": {"cells": [0]}, "objects": {"cells": [{"code": code}]}}}
    assert picked_municipality(state) == owner
    assert picked_municipality({"selection": {"indices": {}, "objects": {}}}) is None
    assert picked_municipality(None) is None


def test_picker_shows_the_municipality_cells_and_its_hours(page: OpenPage) -> None:
    """Pick a town: its released cells in a table, then its hourly profile (made on request)."""
    app = page("visit_map")
    app.slider(key="visit:epsilon").set_value(0.3).run()  # the session's workspace shares a budget
    run(app, "run:visit")
    assert app.selectbox(key="visit:drill").value == ""
    [spec] = decks(app)
    assert layers(spec)["cells"] or layers(spec)["cells-suppressed"]
    app.selectbox(key="visit:drill").set_value(TOWN).run()
    assert_clean(app)
    shown = " ".join(m.value for m in app.markdown)
    assert text("visit.drill_cells", "ja", area="白浜町") in shown
    assert text("visit.drill_hours", "ja", area="白浜町") in shown
    run(app, "run:hourly")
    has_chart = bool(app.get("vega_lite_chart"))  # the page's only chart: the town's hours
    withheld = any(text("visit.drill_hours_withheld", "ja") in i.value for i in app.info)
    assert has_chart or withheld
    assert app.selectbox(key="visit:drill").value == TOWN  # the picker keeps the town
