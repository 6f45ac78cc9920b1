"""Checks of a deck spec as the browser receives it, shared by the AppTest and browser tests.

* :func:`check_base_layers` — sea, land, outlines, place names, airports and the scale bar;
* :func:`check_glyphs` — every text layer's ``characterSet`` covers every label it draws (deck.gl
  draws only the glyphs of its atlas: a missing 町 would be a blank);
* :func:`check_tooltip_template` — the tooltip template shows every tooltip field;
* :func:`check_tooltips` — every pickable record has those fields in words: its title,
  municipality, day, value ± interval with its unit, and whether it is reliable; a withheld
  record says so in words, with no digit.
"""

from __future__ import annotations

import re
from typing import Any

from app.i18n import text
from app.maps import TOOLTIP_FIELDS

__all__ = [
    "check_base_layers",
    "check_deck",
    "check_glyphs",
    "check_tooltip_template",
    "check_tooltips",
]

BASE_LAYERS = {"sea", "land", "municipal-lines", "prefecture-lines", "places", "airports",
               "airport-names", "scale-bar", "scale-text"}  # fmt: skip
PICKABLE = {"cells", "cells-suppressed", "areas", "areas-suppressed"}  # and every "arcs-…"


def _layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {layer["id"]: layer for layer in spec["layers"]}


def check_base_layers(spec: dict[str, Any]) -> None:
    found = set(_layers(spec))
    assert found >= BASE_LAYERS, sorted(BASE_LAYERS - found)
    land = _layers(spec)["land"]["data"]
    assert land, "the land layer draws the region's municipalities"


def check_glyphs(spec: dict[str, Any]) -> None:
    texts = [layer for layer in spec["layers"] if layer["@@type"] == "TextLayer"]
    assert {"places", "airport-names", "scale-text"} <= {layer["id"] for layer in texts}
    for layer in texts:
        drawn = {character for record in layer["data"] for character in record["text"]}
        missing = drawn - set(layer.get("characterSet", []))
        assert not missing, (layer["id"], sorted(missing))
        assert "Noto Sans CJK JP" in layer["fontFamily"]


def check_tooltip_template(tooltip: dict[str, Any]) -> None:
    """Streamlit sends the tooltip beside the deck JSON: it must show every tooltip field."""
    assert all(f"{{{field}}}" in tooltip["html"] for field in TOOLTIP_FIELDS), tooltip


def check_tooltips(spec: dict[str, Any], lang: str = "ja", percent: bool = False) -> int:
    """Assert every pickable record's tooltip words; return how many records were checked."""
    checked = 0
    for layer_id, layer in _layers(spec).items():
        if layer_id not in PICKABLE and not layer_id.startswith("arcs-"):
            continue
        for record in layer["data"]:
            assert all(isinstance(record.get(f), str) for f in TOOLTIP_FIELDS), record
            assert record["title"] and record["tip"] and record["status"]
            if record.get("suppressed"):
                assert not re.search(r"\d", record["tip"]), record["tip"]
                assert record["status"] == text("map.withheld", lang)
            else:
                assert percent or record["tip"].endswith(text("map.unit", lang)), record["tip"]
                assert record["status"] in (text("map.reliable", lang),
                                            text("map.unreliable", lang))  # fmt: skip
            checked += 1
    return checked


def check_deck(spec: dict[str, Any], lang: str = "ja") -> int:
    """All three checks; the number of pickable records whose tooltips were checked."""
    check_base_layers(spec)
    check_glyphs(spec)
    return check_tooltips(spec, lang)
