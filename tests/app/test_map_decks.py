"""Every map page's deck as the browser receives it: ground, legible labels, tooltips, legend.

Each map page runs its release (tiny world, small ε) and every deck on it is checked with
:mod:`tests.app.deck_checks`; the legend under the map lists its ranges with the unit and says
what withheld cells, land and sea look like; a PNG button sits under every map.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import text
from tests.app.deck_checks import check_deck, check_tooltip_template
from tests.app.test_pages import decks, run

OpenPage = Callable[..., AppTest]
# page → (its ε slider, its run buttons)
MAP_PAGES = {
    "visit_map": ("visit:epsilon", ("run:visit",)),
    "flows": ("flows:epsilon", ("run:flows",)),
    "hokkaido": ("hokkaido:epsilon", ("run:hokkaido",)),
    "hourly": ("hourly:epsilon", ("run:hourly",)),
}
EPSILON = 0.2  # the session's workspace shares its budget with the other app tests


def _legends(app: AppTest) -> list[str]:
    """The HTML legends under the maps."""
    bodies = [element.proto.body for element in app.get("html")]
    return [body for body in bodies if text("map.withheld_legend", "ja") in body]


@pytest.mark.parametrize("name", sorted(MAP_PAGES))
def test_every_map_page_draws_a_legible_deck(page: OpenPage, name: str) -> None:
    slider, buttons = MAP_PAGES[name]
    app = page(name)
    app.slider(key=slider).set_value(EPSILON).run()
    for key in buttons:
        run(app, key)
    specs = decks(app)
    assert specs, "the page draws its map"
    for spec in specs:
        check_deck(spec)
    for element in app.get("deck_gl_json_chart"):
        check_tooltip_template(json.loads(element.proto.tooltip))
    [legend] = _legends(app)
    for key in ("map.withheld_legend", "map.land", "map.sea"):
        assert text(key, "ja") in legend
    pngs = [b for b in app.get("download_button") if b.proto.label == text("download.png", "ja")]
    assert len(pngs) == len(specs)
