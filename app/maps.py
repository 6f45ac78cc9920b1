"""pydeck maps of released values: exact JIS cells, flows from an airport, the places around them.

Every builder is a pure function from released rows (and fixed reference data from :mod:`geo`) to
pydeck objects, so the pages stay thin and the tests can read the deck JSON.

What a layer may carry is fixed here, because the deck JSON goes to the browser as it is:

* ``cells`` (:func:`cell_layer`) — one polygon per mesh cell: ``code``, ``polygon`` (the exact
  cell from :func:`geo.mesh.code_polygon`), ``fill``, ``suppressed``, ``title`` and ``tip``
  (tooltip text), plus ``value`` and ``ci95`` **only for published cells**: a suppressed cell is
  drawn grey and carries no number at all, not even in its tooltip text;
* ``arcs-<airport>`` (:func:`arc_layer`) — from an airport (:data:`geo.places.AIRPORTS`) to
  :class:`Target` s: the representative points of municipalities
  (:data:`geo.places.MUNICIPALITIES`, :func:`municipality_targets`) or the centres of cells
  (:func:`cell_targets`); published values only;
* ``areas`` (:func:`area_layer`) — municipalities as dots, with the same rule as cells;
* context without any released value: the study region's outline, municipality names, airports,
  and N03 boundaries when the user imported them (drawn with the MLIT credit, see the pages).

Colours follow one calm sequential scale (:func:`value_colour`) whose stops :func:`legend_stops`
describes for a legend. :func:`deck` puts layers together with a tooltip and a view that frames
a bounding box (:func:`view_for_bbox`); a pitched view when arcs are shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pydeck as pdk
import shapely

from geo.mesh import code_center, code_polygon
from geo.places import AIRPORTS, MUNICIPALITIES

__all__ = [
    "PALETTE",
    "SUPPRESSED_FILL",
    "CellText",
    "Target",
    "airport_layer",
    "arc_layer",
    "area_layer",
    "boundary_layer",
    "cell_layer",
    "cell_records",
    "cell_targets",
    "deck",
    "format_value",
    "legend_stops",
    "municipality_targets",
    "place_layer",
    "region_layer",
    "value_colour",
    "view_for_bbox",
]

# ColorBrewer YlGnBu: readable on light and dark basemaps, and in grey-scale print.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (237, 248, 177),
    (199, 233, 180),
    (127, 205, 187),
    (65, 182, 196),
    (29, 145, 192),
    (34, 94, 168),
    (12, 44, 132),
)
SUPPRESSED_FILL = (150, 150, 150, 70)
CELL_ALPHA = 200
ARC_SOURCE = (230, 120, 40)
ARC_TARGET = (34, 94, 168)
TOOLTIP_STYLE = {"backgroundColor": "#20303c", "color": "#f4f6f8", "fontSize": "13px"}


@dataclass(frozen=True)
class CellText:
    """The words a map uses, in the user's language."""

    suppressed: str  # tooltip text of a suppressed cell: words only, never a number
    mesh: str  # the caption before a mesh code, e.g. "メッシュ"
    percent: bool = False  # values are shares in percent (no interval)


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


def legend_stops(top: float, steps: int = 5) -> list[tuple[str, float]]:
    """``steps`` (hex colour, value) pairs from 0 to ``top`` for a legend."""
    stops = []
    for index in range(steps):
        value = top * (index / (steps - 1)) ** 2  # even steps of colour, not of value
        red, green, blue, _ = value_colour(value, top)
        stops.append((f"#{red:02x}{green:02x}{blue:02x}", value))
    return stops


def format_value(value: float, ci95: Any, percent: bool = False) -> str:
    """``1,234 ± 56`` (or ``12.3 %`` for shares), for tooltips and tables."""
    if percent:
        return f"{value:.1f} %"
    if ci95 is None or pd.isna(ci95):
        return f"{int(value):,}"
    return f"{int(value):,} ± {int(ci95):,}"


def _ring(code: str) -> list[list[float]]:
    """The exterior of the exact JIS cell, as [lon, lat] pairs."""
    polygon = code_polygon(code)
    return [[round(x, 7), round(y, 7)] for x, y in polygon.exterior.coords]


def cell_records(cells: pd.DataFrame, text: CellText) -> list[dict[str, Any]]:
    """One record per row of ``cells`` (``mesh_code``, ``value``, ``suppressed``, ``ci95``)."""
    published = cells.loc[~cells["suppressed"], "value"]
    top = float(published.max()) if len(published) else 0.0
    records = []
    for code, value, hidden, ci95 in zip(
        cells["mesh_code"], cells["value"], cells["suppressed"], cells["ci95"], strict=True
    ):
        record: dict[str, Any] = {
            "code": str(code),
            "polygon": _ring(str(code)),
            "suppressed": bool(hidden),
            "title": f"{text.mesh} {code}",
        }
        if hidden:
            record.update(fill=list(SUPPRESSED_FILL), tip=text.suppressed)
        else:
            number = float(value) if text.percent else int(value)
            record.update(value=number, fill=value_colour(float(value), top))
            record["tip"] = format_value(number, ci95, text.percent)
            if not pd.isna(ci95):
                record["ci95"] = int(ci95)
        records.append(record)
    return records


def cell_layer(cells: pd.DataFrame, text: CellText, *, extruded: bool = False) -> pdk.Layer:
    """The cells as polygons coloured by value; suppressed cells grey and without numbers."""
    return pdk.Layer(
        "PolygonLayer",
        data=cell_records(cells, text),
        id="cells",
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color=[255, 255, 255, 160],
        line_width_min_pixels=0.5,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
        extruded=extruded,
    )


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
    airport: str, targets: Sequence[Target], *, colour: tuple[int, int, int] = ARC_TARGET
) -> pdk.Layer:
    """Arcs from ``airport`` to the published targets, wider for larger values."""
    origin = AIRPORTS[airport]
    published = [target for target in targets if target.value is not None]
    top = max((float(t.value or 0) for t in published), default=1.0) or 1.0
    records = [
        {
            "code": target.code,
            "title": f"{airport} → {target.name}",
            "tip": format_value(target.value or 0, target.ci95),
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
        get_source_color=[*ARC_SOURCE, 220],
        get_target_color=[*colour, 220],
        get_width="width",
        get_height=0.6,
        pickable=True,
        auto_highlight=True,
    )


def area_layer(targets: Sequence[Target], text: CellText) -> pdk.Layer:
    """Municipalities as dots coloured and sized by value; suppressed ones grey, no number."""
    top = max((float(t.value) for t in targets if t.value is not None), default=0.0)
    records = []
    for target in targets:
        record: dict[str, Any] = {
            "code": target.code,
            "title": target.name,
            "position": [target.lon, target.lat],
            "suppressed": target.value is None,
            **_numbers(target),
        }
        if target.value is None:
            record.update(fill=list(SUPPRESSED_FILL), radius=900, tip=text.suppressed)
        else:
            fraction = math.sqrt(target.value / top) if top else 0.0
            record.update(fill=value_colour(target.value, top), radius=round(900 + 3600 * fraction))
            record["tip"] = format_value(target.value, target.ci95)
        records.append(record)
    return pdk.Layer(
        "ScatterplotLayer",
        data=records,
        id="areas",
        get_position="position",
        get_fill_color="fill",
        get_radius="radius",
        get_line_color=[255, 255, 255, 200],
        stroked=True,
        line_width_min_pixels=1,
        radius_min_pixels=4,
        pickable=True,
        auto_highlight=True,
    )


def region_layer(bbox: tuple[float, float, float, float]) -> pdk.Layer:
    """The outline of a study region's box (south, west, north, east)."""
    south, west, north, east = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return pdk.Layer(
        "PathLayer",
        data=[{"path": ring}],
        id="region",
        get_path="path",
        get_color=[70, 90, 110, 160],
        width_min_pixels=1.5,
        pickable=False,
    )


def place_layer(codes: Iterable[str], names: dict[str, str]) -> pdk.Layer:
    """Municipality names at their representative points (reference data, no released value)."""
    data = [
        {"name": names.get(code, code), "position": [place.lon, place.lat]}
        for code in codes
        if (place := MUNICIPALITIES.get(code)) is not None
    ]
    return pdk.Layer(
        "TextLayer",
        data=data,
        id="places",
        get_position="position",
        get_text="name",
        get_size=13,
        get_color=[40, 50, 60, 230],
        character_set="auto",
        font_family="'Noto Sans CJK JP', 'Hiragino Sans', sans-serif",
        outline_width=2,
        outline_color=[255, 255, 255, 220],
        font_settings={"sdf": True},
        pickable=False,
    )


def airport_layer(codes: Sequence[str]) -> pdk.Layer:
    """The airports as orange dots (reference data)."""
    data = [
        {"code": code, "position": [AIRPORTS[code].lon, AIRPORTS[code].lat]}
        for code in codes
        if code in AIRPORTS
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id="airports",
        get_position="position",
        get_fill_color=[*ARC_SOURCE, 240],
        get_line_color=[255, 255, 255, 255],
        stroked=True,
        line_width_min_pixels=2,
        radius_min_pixels=7,
        pickable=False,
    )


def boundary_layer(polygons: Any, codes: Iterable[str]) -> pdk.Layer:
    """Imported N03 boundaries of ``codes`` as thin lines (draw the MLIT credit beside the map).

    ``polygons`` is the frame of :meth:`geo.areas.N03Areas.polygons` (code, name, geometry).
    """
    wanted = set(codes)
    paths = []
    for code, geometry in zip(polygons["code"], polygons.geometry, strict=True):
        if code in wanted:
            for part in getattr(geometry, "geoms", [geometry]):
                simple = shapely.simplify(part, 0.001)
                paths.append({"path": [list(xy) for xy in simple.exterior.coords]})
    return pdk.Layer(
        "PathLayer",
        data=paths,
        id="boundaries",
        get_path="path",
        get_color=[90, 90, 90, 150],
        width_min_pixels=1,
        pickable=False,
    )


def view_for_bbox(
    bbox: tuple[float, float, float, float], *, pitch: float = 0, width_px: int = 900
) -> pdk.ViewState:
    """A view centred on the box and zoomed so that it fills about ``width_px`` pixels."""
    south, west, north, east = bbox
    span = max(east - west, (north - south) * 1.3, 1e-3)
    zoom = math.log2(width_px * 360 / (256 * span)) - 0.2
    return pdk.ViewState(
        latitude=(south + north) / 2,
        longitude=(west + east) / 2,
        zoom=round(zoom, 2),
        pitch=pitch,
        bearing=0,
    )


def deck(layers: Sequence[pdk.Layer], view: pdk.ViewState) -> pdk.Deck:
    """A deck with a tooltip (``title`` and ``tip`` of the picked object) and the theme's map."""
    return pdk.Deck(
        layers=list(layers),
        initial_view_state=view,
        map_style=None,  # Streamlit picks a basemap that matches the theme
        tooltip={"html": "<b>{title}</b><br/>{tip}", "style": TOOLTIP_STYLE},
    )
