"""What a map draws on top of its values: place names, airports, the scale bar.

None of it carries a released value; it is reference data from :mod:`geo.places` and geometry.

Labels are where deck.gl most easily fails a Japanese reader. Its ``TextLayer`` draws glyphs from
a font atlas that holds only the characters of its ``characterSet`` — printable ASCII unless told
otherwise — so 白浜町 would come out as empty boxes or nothing. :func:`text_layer` therefore gives
every text layer the exact set of characters of the labels it draws (:func:`character_set`), a
font family that has them (Noto Sans CJK JP, the Debian and Google font; Hiragino and Yu Gothic on
Mac and Windows), and an SDF atlas whose buffer is wider than the outline, so that neither the
white halo nor tall glyphs are clipped at the edges of their atlas cell. Two pydeck habits are
worked around here: a string argument becomes an accessor expression unless quoted, and a list
of strings becomes a JSON expression, so the character set is set on the layer after it is built.

Layers: ``places`` (municipality names), ``airports`` and ``airport-names``, ``scale-bar`` and
``scale-text`` (a bar of a round number of kilometres, :func:`scale_length_km`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydeck as pdk

from geo.places import AIRPORTS, MUNICIPALITIES

__all__ = [
    "FONT_FAMILY",
    "airport_layers",
    "character_set",
    "place_layer",
    "scale_bar_layers",
    "scale_length_km",
    "text_layer",
]

# Single-quoted for pydeck (it strips the outer quote character); CSS quotes inside stay.
FONT_FAMILY = '"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif'
# deck.gl's defaults are buffer 4 and radius 12: a halo wider than the buffer is cut off.
FONT_SETTINGS = {"sdf": True, "fontSize": 64, "buffer": 16, "radius": 12, "cutoff": 0.22}
KM_PER_DEGREE = 111.2  # of latitude; of longitude times cos(latitude)
ROUND_KM = (0.5, 1, 2, 5, 10, 20, 50, 100)
AIRPORT_COLOUR = (230, 120, 40)
INK = (30, 42, 52, 255)
HALO = (255, 255, 255, 235)


def character_set(texts: Iterable[str]) -> list[str]:
    """Every distinct character of ``texts``, sorted (code points, so 町 is one character)."""
    return sorted({character for label in texts for character in label})


def text_layer(
    layer_id: str, labels: Sequence[dict[str, Any]], *, size: float = 14, anchor: str = "middle"
) -> pdk.Layer:
    """A text layer of ``labels`` (records with ``text`` and ``position``), legible in Japanese.

    ``anchor`` is the horizontal anchor of the text at its position: ``start``, ``middle`` or
    ``end``.
    """
    layer = pdk.Layer(
        "TextLayer",
        data=list(labels),
        id=layer_id,
        get_position="position",
        get_text="text",
        get_size=size,
        get_color=list(INK),
        get_text_anchor=f'"{anchor}"',
        get_alignment_baseline='"center"',
        font_family=f"'{FONT_FAMILY}'",
        font_weight=600,
        font_settings=FONT_SETTINGS,
        outline_width=4,
        outline_color=list(HALO),
        pickable=False,
    )
    # After construction: pydeck would turn a list of strings into an accessor expression.
    layer.character_set = character_set(str(label["text"]) for label in labels)
    return layer


def place_layer(codes: Sequence[str], names: Mapping[str, str]) -> pdk.Layer:
    """Municipality names at their representative points."""
    labels = [
        {"text": names.get(code, code), "position": [place.lon, place.lat]}
        for code in codes
        if (place := MUNICIPALITIES.get(code)) is not None
    ]
    return text_layer("places", labels)


def airport_layers(codes: Sequence[str], names: Mapping[str, str]) -> list[pdk.Layer]:
    """Airports as orange dots with their names beside them (``names``: code → name)."""
    known = [code for code in codes if code in AIRPORTS]
    dots = [{"code": c, "position": [AIRPORTS[c].lon, AIRPORTS[c].lat]} for c in known]
    markers = pdk.Layer(
        "ScatterplotLayer",
        data=dots,
        id="airports",
        get_position="position",
        get_fill_color=[*AIRPORT_COLOUR, 245],
        get_line_color=[255, 255, 255, 255],
        stroked=True,
        line_width_min_pixels=2,
        radius_min_pixels=7,
        radius_max_pixels=7,
        get_radius=1,
        pickable=False,
    )
    labels = [
        {"text": names.get(code, code), "position": [AIRPORTS[code].lon, AIRPORTS[code].lat]}
        for code in known
    ]
    named = text_layer("airport-names", labels, size=13, anchor="start")
    named.get_pixel_offset = [12, 0]
    return [markers, named]


def scale_length_km(width_km: float) -> float:
    """The round length (0.5, 1, 2, 5… km) closest below a fifth of a map ``width_km`` wide."""
    target = width_km / 5
    fitting = [length for length in ROUND_KM if length <= target]
    return fitting[-1] if fitting else ROUND_KM[0]


def _km_text(length: float) -> str:
    return f"{length:g} km"


def scale_bar_layers(bbox: tuple[float, float, float, float]) -> list[pdk.Layer]:
    """A bar of a round number of km near the box's south-west corner, with its length above.

    The bar is drawn in map coordinates at the box's latitude, so it stays true when the map
    is zoomed (Web Mercator's scale changes little across one region).
    """
    south, west, north, east = bbox
    lat = south + (north - south) * 0.06
    km_lon = KM_PER_DEGREE * math.cos(math.radians(lat))
    length = scale_length_km((east - west) * km_lon)
    start = west + (east - west) * 0.04
    end = start + length / km_lon
    tick = (north - south) * 0.012
    path = [[start, lat + tick], [start, lat], [end, lat], [end, lat + tick]]
    bar = pdk.Layer(
        "PathLayer",
        data=[{"path": path, "km": length}],
        id="scale-bar",
        get_path="path",
        get_color=list(INK),
        width_units='"pixels"',
        get_width=2.5,
        pickable=False,
    )
    label = {"text": _km_text(length), "position": [(start + end) / 2, lat + tick * 3.5]}
    return [bar, text_layer("scale-text", [label], size=12)]
