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

Names must not sit on one another. Given the map's first view (its zoom), :func:`place_layer`
keeps a municipality's name only where its box, estimated from the font size and the glyphs'
widths (:func:`label_box`), overlaps no airport's dot or name and no name kept before it; cities
(市, code ``xx2xx``) are placed before towns and villages. Zooming in shows the same names with
more room between them. The PNG download draws the same layers, so the same names.

Layers: ``places`` (municipality names), ``airports`` and ``airport-names``, ``scale-bar`` and
``scale-text`` (a bar of a round number of kilometres, :func:`scale_length_km`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydeck as pdk

from app.projection import screen_px
from geo.places import AIRPORTS, MUNICIPALITIES

__all__ = [
    "FONT_FAMILY",
    "Box",
    "airport_boxes",
    "airport_layers",
    "character_set",
    "label_box",
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
PLACE_SIZE, AIRPORT_SIZE = 14, 13  # px
AIRPORT_DOT_PX, AIRPORT_NAME_OFFSET_PX = 7, 12
LABEL_GAP_PX = 2  # kept between two names' boxes
Box = tuple[float, float, float, float]  # screen px: left, top, right, bottom


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


def _text_width(text: str, size: float) -> float:
    """The drawn width of ``text`` in px: a full em per CJK glyph, about 0.6 em otherwise."""
    return sum(size if ord(character) >= 0x2E80 else 0.6 * size for character in text)


def label_box(
    text: str, lon: float, lat: float, zoom: float, *, size: float, anchor: str = "middle",
    offset_px: float = 0,
) -> Box:  # fmt: skip
    """The screen box (px, at ``zoom``) of a name drawn at (``lon``, ``lat``) as text layers draw
    it: vertically centred, horizontally by ``anchor``, shifted right by ``offset_px``."""
    x, y = screen_px(lon, lat, zoom)
    width, height = _text_width(text, size), 1.2 * size
    left = x + offset_px - (width / 2 if anchor == "middle" else 0)
    return left, y - height / 2, left + width, y + height / 2


def _overlaps(box: Box, others: Iterable[Box]) -> bool:
    left, top, right, bottom = box
    return any(
        left < o_right + LABEL_GAP_PX and o_left < right + LABEL_GAP_PX
        and top < o_bottom + LABEL_GAP_PX and o_top < bottom + LABEL_GAP_PX
        for o_left, o_top, o_right, o_bottom in others
    )  # fmt: skip


def airport_boxes(codes: Sequence[str], names: Mapping[str, str], zoom: float) -> list[Box]:
    """Where the airports' dots and names are on the screen at ``zoom``."""
    boxes: list[Box] = []
    for code in codes:
        if (airport := AIRPORTS.get(code)) is None:
            continue
        x, y = screen_px(airport.lon, airport.lat, zoom)
        boxes.append(
            (x - AIRPORT_DOT_PX, y - AIRPORT_DOT_PX, x + AIRPORT_DOT_PX, y + AIRPORT_DOT_PX)
        )
        boxes.append(
            label_box(
                names.get(code, code),
                airport.lon,
                airport.lat,
                zoom,
                size=AIRPORT_SIZE,
                anchor="start",
                offset_px=AIRPORT_NAME_OFFSET_PX,
            )
        )
    return boxes


def _cities_first(code: str) -> tuple[int, str]:
    return (0 if code[2] == "2" else 1), code


def place_layer(
    codes: Sequence[str],
    names: Mapping[str, str],
    *,
    zoom: float | None = None,
    clear_of: Sequence[Box] = (),
) -> pdk.Layer:
    """Municipality names at their representative points.

    With the first view's ``zoom``, a name is left out where it would overlap a box of
    ``clear_of`` (the airports', :func:`airport_boxes`) or a name placed before it.
    """
    labels: list[dict[str, Any]] = []
    kept: list[Box] = list(clear_of)
    for code in sorted(codes, key=_cities_first) if zoom is not None else codes:
        if (place := MUNICIPALITIES.get(code)) is None:
            continue
        text = names.get(code, code)
        if zoom is not None:
            box = label_box(text, place.lon, place.lat, zoom, size=PLACE_SIZE)
            if _overlaps(box, kept):
                continue
            kept.append(box)
        labels.append({"text": text, "position": [place.lon, place.lat]})
    return text_layer("places", labels, size=PLACE_SIZE)


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
        radius_min_pixels=AIRPORT_DOT_PX,
        radius_max_pixels=AIRPORT_DOT_PX,
        get_radius=1,
        pickable=False,
    )
    labels = [
        {"text": names.get(code, code), "position": [AIRPORTS[code].lon, AIRPORTS[code].lat]}
        for code in known
    ]
    named = text_layer("airport-names", labels, size=AIRPORT_SIZE, anchor="start")
    named.get_pixel_offset = [AIRPORT_NAME_OFFSET_PX, 0]
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
