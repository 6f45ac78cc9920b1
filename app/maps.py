"""pydeck maps of released values: exact JIS cells, flows from an airport, the places around them.

Every builder is a pure function from released rows (and fixed reference data from :mod:`geo`) to
pydeck objects, so the pages stay thin and the tests can read the deck JSON.

What a layer may carry is fixed here, because the deck JSON goes to the browser as it is:

* ``cells`` and ``cells-suppressed`` (:func:`cell_layers`) — one polygon per mesh cell: ``code``,
  the tooltip fields :data:`TOOLTIP_FIELDS` (``title`` the mesh code, ``place`` its
  municipality, ``day``, ``tip`` value ± interval with its unit, ``status`` reliable, rough or
  withheld — :func:`status_text`), ``polygon`` (the exact cell from
  :func:`geo.mesh.code_polygon`), ``suppressed``; a published cell adds ``value``, ``ci95`` and
  its ``fill`` colour. Suppressed cells are a separate layer drawn in one grey and hatched
  (``cells-hatch``, :func:`hatch_paths`), so their records carry no number at all — no value,
  no interval, no colour derived from a value, and words only in their tooltip;
* ``arcs-<airport>`` (:func:`arc_layer`) — from an airport (:data:`geo.places.AIRPORTS`) to
  :class:`Target` s: the representative points of municipalities
  (:data:`geo.places.MUNICIPALITIES`, :func:`municipality_targets`) or the centres of cells
  (:func:`cell_targets`); published values only;
* ``areas`` and ``areas-suppressed`` (:func:`area_layers`) — municipalities as dots, with the
  same rule as cells;
* context without any released value: the study region's outline, and (from
  :mod:`app.overlay`) municipality names and airports; the ground under them is
  :mod:`app.basemap`.

Colours follow one calm sequential scale (:func:`value_colour`) whose stops :func:`legend_stops`
describes for a legend. :func:`deck` puts layers together with a tooltip and a view that frames
a bounding box (:func:`view_for_bbox`), top-down unless the reader tilts it, and no tile basemap
(it would need the network).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pydeck as pdk

from app.projection import mercator
from geo.mesh import code_center, code_polygon
from geo.places import AIRPORTS, MUNICIPALITIES

__all__ = [
    "PALETTE",
    "SUPPRESSED_FILL",
    "CellText",
    "Target",
    "arc_layer",
    "area_layers",
    "cell_layers",
    "cell_records",
    "cell_targets",
    "deck",
    "format_value",
    "hatch_paths",
    "legend_stops",
    "municipality_targets",
    "status_text",
    "value_colour",
    "view_for_bbox",
]

# ColorBrewer YlGnBu: readable on light and dark basemaps, and in grey-scale print.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (199, 233, 180),
    (127, 205, 187),
    (65, 182, 196),
    (29, 145, 192),
    (34, 94, 168),
    (12, 44, 132),
)
SUPPRESSED_FILL = (140, 140, 140, 60)  # a veil: the land underneath stays readable
SUPPRESSED_LINE = (100, 100, 100, 210)
CELL_ALPHA = 200
ARC_SOURCE = (230, 120, 40)
ARC_TARGET = (34, 94, 168)
Record = dict[str, Any]
MAP_WIDTH, MAP_HEIGHT = 900, 560  # the pages' map size in pixels (width: a typical screen)
RELIABLE_RATIO = 0.5  # a value is reliable when its 95 % half-width is at most half of it
# Every pickable record carries all of these fields (an empty <div> takes no space).
TOOLTIP_FIELDS = ("title", "place", "day", "tip", "status")
TOOLTIP_HTML = "<b>{title}</b>" + "".join(f"<div>{{{f}}}</div>" for f in TOOLTIP_FIELDS[1:])
TOOLTIP_STYLE = {"backgroundColor": "#20303c", "color": "#f4f6f8", "fontSize": "13px"}


@dataclass(frozen=True)
class CellText:
    """The words a map uses, in the user's language."""

    suppressed: str  # tooltip text of a suppressed cell: words only, never a number
    mesh: str  # the caption before a mesh code, e.g. "メッシュ"
    percent: bool = False  # values are shares in percent (no interval)
    unit: str = ""  # after a count, e.g. "人"
    reliable: str = ""  # status of a value whose interval is at most half of it
    unreliable: str = ""  # status of a value with a wider interval (a rough figure)
    withheld: str = ""  # status of a withheld cell: why there is no number
    day: str = ""  # which day the values are of, e.g. "到着後1日目"


def value_colour(value: float, top: float) -> list[int]:
    """The colour of ``value`` on a scale that ends at ``top`` (square root: counts are skewed)."""
    fraction = 0.0 if top <= 0 else min(max(value / top, 0.0), 1.0) ** 0.5
    position = fraction * (len(PALETTE) - 1)
    low = min(int(position), len(PALETTE) - 2)
    weight = position - low
    mixed = [
        round(a + (b - a) * weight) for a, b in zip(PALETTE[low], PALETTE[low + 1], strict=True)
    ]
    return [*mixed, CELL_ALPHA]


def legend_stops(top: float, low: float = 0.0, steps: int = 5) -> list[tuple[str, float]]:
    """``steps`` (hex colour, value) pairs from ``low`` to ``top`` for a legend."""
    stops = []
    for index in range(steps):
        value = low + (top - low) * (index / (steps - 1)) ** 2  # even steps of colour
        red, green, blue, _ = value_colour(value, top)
        stops.append((f"#{red:02x}{green:02x}{blue:02x}", value))
    return stops


def format_value(value: float, ci95: Any, percent: bool = False, unit: str = "") -> str:
    """``1,234 ± 56`` (or ``12.3 %`` for shares), for tooltips and tables; ``unit`` after it."""
    if percent:
        return f"{value:.1f} %"
    suffix = f" {unit}" if unit else ""
    if ci95 is None or pd.isna(ci95):
        return f"{int(value):,}{suffix}"
    return f"{int(value):,} ± {int(ci95):,}{suffix}"


def status_text(value: float, ci95: Any, text: CellText) -> str:
    """Whether a published value is reliable: its 95 % interval at most half of the value."""
    if ci95 is None or pd.isna(ci95) or text.percent:
        return text.reliable
    return text.reliable if float(ci95) <= RELIABLE_RATIO * float(value) else text.unreliable


def _ring(code: str) -> list[list[float]]:
    """The exterior of the exact JIS cell, as [lon, lat] pairs."""
    polygon = code_polygon(code)
    return [[round(x, 7), round(y, 7)] for x, y in polygon.exterior.coords]


def cell_records(
    cells: pd.DataFrame, text: CellText, places: dict[str, str] | None = None
) -> tuple[list[Record], list[Record]]:
    """Records of the published and of the suppressed rows of ``cells`` (``mesh_code``…).

    ``places`` names the municipality of each mesh code, for the tooltip.
    """
    published_values = cells.loc[~cells["suppressed"], "value"]
    top = float(published_values.max()) if len(published_values) else 0.0
    published: list[Record] = []
    suppressed: list[Record] = []
    for code, value, hidden, ci95 in zip(
        cells["mesh_code"], cells["value"], cells["suppressed"], cells["ci95"], strict=True
    ):
        record: Record = {"code": str(code), "title": f"{text.mesh} {code}"}
        record.update(place=(places or {}).get(str(code), ""), day=text.day)
        record["polygon"] = _ring(str(code))
        if hidden:
            suppressed.append(
                {**record, "suppressed": True, "tip": text.suppressed, "status": text.withheld}
            )
            continue
        number = float(value) if text.percent else int(value)
        record.update(suppressed=False, value=number, fill=value_colour(float(value), top))
        record["tip"] = format_value(number, ci95, text.percent, text.unit)
        record["status"] = status_text(number, ci95, text)
        if not pd.isna(ci95):
            record["ci95"] = int(ci95)
        published.append(record)
    return published, suppressed


def _polygons(layer_id: str, data: list[Record], fill: Any, line: Any) -> pdk.Layer:
    return pdk.Layer(
        "PolygonLayer",
        data=data,
        id=layer_id,
        get_polygon="polygon",
        get_fill_color=fill,
        get_line_color=line,
        line_width_min_pixels=0.5,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
    )


def hatch_paths(polygon: list[list[float]]) -> list[list[list[float]]]:
    """Three diagonal strokes across a cell's box: withheld cells look hatched, not coloured."""
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)

    def at(u: float, v: float) -> list[float]:
        return [round(west + u * (east - west), 7), round(south + v * (north - south), 7)]

    return [
        [at(c, 0), at(0, c)] if c <= 1 else [at(1, c - 1), at(c - 1, 1)] for c in (0.5, 1.0, 1.5)
    ]


def cell_layers(
    cells: pd.DataFrame, text: CellText, places: dict[str, str] | None = None
) -> list[pdk.Layer]:
    """The cells: ``cells`` coloured by value, ``cells-suppressed`` grey and hatched.

    Suppressed cells are a layer of their own so that their records hold no number at all —
    not even a colour derived from one; ``cells-hatch`` strokes them so nobody reads them as
    a light value.
    """
    published, suppressed = cell_records(cells, text, places)
    hatch = [{"path": path} for record in suppressed for path in hatch_paths(record["polygon"])]
    return [
        _polygons("cells-suppressed", suppressed, list(SUPPRESSED_FILL), list(SUPPRESSED_LINE)),
        pdk.Layer(
            "PathLayer",
            data=hatch,
            id="cells-hatch",
            get_path="path",
            get_color=list(SUPPRESSED_LINE),
            width_units='"pixels"',
            get_width=1,
            pickable=False,
        ),
        _polygons("cells", published, "fill", [255, 255, 255, 170]),
    ]


@dataclass(frozen=True)
class Target:
    """Where an arc or a dot goes: a released row's code, name, value and place."""

    code: str
    name: str
    value: int | None
    ci95: int | None
    lon: float
    lat: float


def municipality_targets(areas: pd.DataFrame, names: dict[str, str]) -> list[Target]:
    """Targets at the representative points of ``municipality_code`` rows (all rows)."""
    targets = []
    for code, value, hidden, ci95 in zip(
        areas["municipality_code"], areas["value"], areas["suppressed"], areas["ci95"], strict=True
    ):
        place = MUNICIPALITIES.get(str(code))
        if place is not None:
            number = None if hidden else int(value)
            width = None if hidden or pd.isna(ci95) else int(ci95)
            targets.append(Target(str(code), names.get(str(code), str(code)), number, width,
                                  place.lon, place.lat))  # fmt: skip
    return targets


def cell_targets(cells: pd.DataFrame, mesh_caption: str) -> list[Target]:
    """Targets at the centres of published ``mesh_code`` rows."""
    targets = []
    for code, value, ci95 in zip(cells["mesh_code"], cells["value"], cells["ci95"], strict=True):
        if pd.isna(value):
            continue
        lat, lon = code_center(str(code))
        width = None if pd.isna(ci95) else int(ci95)
        targets.append(Target(str(code), f"{mesh_caption} {code}", int(value), width, lon, lat))
    return targets


def _numbers(target: Target) -> dict[str, Any]:
    """The released numbers of a target, present only when it was published."""
    if target.value is None:
        return {}
    numbers: dict[str, Any] = {"value": target.value}
    if target.ci95 is not None:
        numbers["ci95"] = target.ci95
    return numbers


def arc_layer(
    airport: str,
    targets: Sequence[Target],
    *,
    colour: tuple[int, int, int] | None = None,
    limit: int | None = None,
    text: CellText | None = None,
) -> pdk.Layer:
    """Arcs from ``airport`` to the published targets (the ``limit`` largest), wider for larger.

    Arcs fade from orange at the airport to blue, or are all ``colour`` (one per airport).
    """
    origin = AIRPORTS[airport]
    published = [target for target in targets if target.value is not None]
    published.sort(key=lambda target: -(target.value or 0))
    published = published[:limit] if limit else published
    top = max((float(t.value or 0) for t in published), default=1.0) or 1.0
    words = text or CellText("", "")
    records = [
        {
            "code": target.code,
            "title": f"{airport} → {target.name}",
            "tip": format_value(target.value or 0, target.ci95, unit=words.unit),
            "place": "",
            "day": words.day,
            "status": status_text(target.value or 0, target.ci95, words),
            "source": [origin.lon, origin.lat],
            "target": [target.lon, target.lat],
            "width": round(1.5 + 8.5 * math.sqrt(float(target.value or 0) / top), 2),
            **_numbers(target),
        }
        for target in published
    ]
    return pdk.Layer(
        "ArcLayer",
        data=records,
        id=f"arcs-{airport}",
        get_source_position="source",
        get_target_position="target",
        get_source_color=[*(colour or ARC_SOURCE), 220],
        get_target_color=[*(colour or ARC_TARGET), 220],
        get_width="width",
        get_height=0.6,
        pickable=True,
        auto_highlight=True,
    )


def _dots(
    layer_id: str, data: list[Record], fill: Any, radius: Any, line: Any = (255, 255, 255, 220)
) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=layer_id,
        get_position="position",
        get_fill_color=fill,
        get_radius=radius,
        radius_units='"pixels"',  # quoted: pydeck makes bare strings accessors
        get_line_color=list(line),
        stroked=True,
        line_width_min_pixels=1.5,
        pickable=True,
        auto_highlight=True,
    )


def area_layers(targets: Sequence[Target], text: CellText) -> list[pdk.Layer]:
    """Municipalities as dots: ``areas`` coloured and sized by value, ``areas-suppressed`` grey."""
    top = max((float(t.value) for t in targets if t.value is not None), default=0.0)
    published: list[Record] = []
    suppressed: list[Record] = []
    for target in targets:
        record: Record = {"code": target.code, "title": target.name, "place": "", "day": text.day}
        record["position"] = [target.lon, target.lat]
        if target.value is None:
            suppressed.append(
                {**record, "suppressed": True, "tip": text.suppressed, "status": text.withheld}
            )
            continue
        fraction = math.sqrt(target.value / top) if top else 0.0
        record.update(suppressed=False, fill=value_colour(target.value, top), **_numbers(target))
        record["radius"] = round(7 + 19 * fraction, 1)  # pixels
        record["tip"] = format_value(target.value, target.ci95, unit=text.unit)
        record["status"] = status_text(target.value, target.ci95, text)
        published.append(record)
    return [
        # A grey ring, not a coloured dot: nobody reads a withheld municipality as a small value.
        _dots("areas-suppressed", suppressed, list(SUPPRESSED_FILL), 7, SUPPRESSED_LINE),
        _dots("areas", published, "fill", "radius"),
    ]


def view_for_bbox(
    bbox: tuple[float, float, float, float],
    *,
    pitch: float = 0,
    width_px: int = MAP_WIDTH,
    height_px: int = MAP_HEIGHT,
) -> pdk.ViewState:
    """A view centred on the box (south, west, north, east), zoomed so that all of it shows."""
    south, west, north, east = bbox
    left, top = mercator(north, west)
    right, bottom = mercator(south, east)
    scale = min(width_px / max(right - left, 1e-9), height_px / max(bottom - top, 1e-9))
    # A little margin around a flat box; a pitched one recedes, so come closer.
    zoom = math.log2(scale) + (0.2 if pitch else -0.1)
    return pdk.ViewState(
        latitude=(south + north) / 2 - (north - south) * (0.12 if pitch else 0),
        longitude=(west + east) / 2,
        zoom=round(zoom, 2),
        pitch=pitch,
        bearing=0,
    )


def deck(layers: Sequence[pdk.Layer], view: pdk.ViewState) -> pdk.Deck:
    """A deck with a tooltip (:data:`TOOLTIP_FIELDS` of the picked object), no tile basemap."""
    return pdk.Deck(
        layers=list(layers),
        initial_view_state=view,
        # No tile basemap: it needs the network; the ground is drawn by app.basemap.
        map_provider=None,
        map_style=None,
        tooltip={"html": TOOLTIP_HTML, "style": TOOLTIP_STYLE},
    )
