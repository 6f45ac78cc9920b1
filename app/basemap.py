"""The land under the maps: the municipalities of a study region as faint areas.

Online, Streamlit draws a Carto basemap under every deck; offline — a demo laptop, a municipal
meeting room, CI — there is none, and cells would float on white. So each map also gets a faint
layer of municipal areas, which needs no network:

* with imported MLIT N03 boundaries (:meth:`geo.areas.N03Areas.polygons`), their exact shapes
  (the pages print the N03 credit next to the map);
* without them, an approximation from the built-in anchor points of
  ``geo/data/municipality_anchors.csv`` (a 1–2 km grid of points per municipality, derived from
  N03 as well): a square around each anchor, merged per municipality. Blocky on purpose — it is
  labelled approximate, like the area assignment it mirrors.

:func:`land_layer` builds the layer (id ``land``, no released value, not pickable);
:func:`approximate_areas` and :func:`n03_areas` give the rings it draws.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pydeck as pdk
import shapely

from geo.places import MUNICIPALITIES, REGIONS, Region

__all__ = ["approximate_areas", "land_layer", "n03_areas"]

Rings = list[list[list[float]]]
SHADES = ((221, 231, 224), (230, 226, 214), (214, 226, 232), (226, 220, 230))
LAND_ALPHA = 150
KM_PER_DEGREE = 111.2  # of latitude; of longitude times cos(latitude)


@cache
def _anchors() -> dict[str, tuple[tuple[float, float], ...]]:
    """Built-in anchor points (lat, lon) per municipality code."""
    table = resources.files("geo").joinpath("data", "municipality_anchors.csv")
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in csv.DictReader(table.read_text(encoding="utf-8").splitlines()):
        points[row["code"]].append((float(row["lat"]), float(row["lon"])))
    return {code: tuple(found) for code, found in points.items()}


def _spacing_km(points: Sequence[tuple[float, float]]) -> float:
    """The typical distance from an anchor to its nearest neighbour, in kilometres."""
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    x = lon * KM_PER_DEGREE * np.cos(np.radians(lat.mean()))
    y = lat * KM_PER_DEGREE
    plane = shapely.points(x, y)
    _, distances = shapely.STRtree(plane).query_nearest(
        plane, exclusive=True, return_distance=True, all_matches=False
    )
    return float(np.median(distances)) if len(distances) else 1.0


def _rings(geometry: Any) -> list[Rings]:
    """Polygon rings ([exterior, *holes]) of a (multi)polygon, as [lon, lat] lists."""
    parts = getattr(geometry, "geoms", [geometry])
    return [
        [
            [[round(x, 5), round(y, 5)] for x, y in ring.coords]
            for ring in (part.exterior, *part.interiors)
        ]
        for part in parts
        if not part.is_empty
    ]


@cache
def approximate_areas(region_id: str) -> tuple[tuple[str, tuple[Rings, ...]], ...]:
    """(code, polygons) of each municipality of the region, from its anchor squares."""
    region = REGIONS[region_id]
    anchors = _anchors()
    points = [point for code in region.municipality_codes for point in anchors.get(code, ())]
    if not points:
        return ()
    # Squares a little larger than the spacing, so that neighbours overlap and merge.
    half = 0.75 * _spacing_km(points)
    half_lat = half / KM_PER_DEGREE
    half_lon = half / (KM_PER_DEGREE * np.cos(np.radians(np.mean([p[0] for p in points]))))
    areas = []
    for code in region.municipality_codes:
        squares = [
            shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
            for lat, lon in anchors.get(code, ())
        ]
        if squares:
            merged = shapely.union_all(squares, grid_size=1e-6)
            areas.append((code, tuple(_rings(merged))))
    return tuple(areas)


def n03_areas(polygons: Any, region: Region) -> tuple[tuple[str, tuple[Rings, ...]], ...]:
    """(code, polygons) of the region's municipalities from imported N03 boundaries."""
    wanted = set(region.municipality_codes)
    return tuple(
        (code, tuple(_rings(shapely.simplify(geometry, 0.0005))))
        for code, geometry in zip(polygons["code"], polygons.geometry, strict=True)
        if code in wanted
    )


def land_layer(region: Region, polygons: Any | None = None) -> pdk.Layer:
    """Faint municipal areas of ``region``: N03 shapes if ``polygons`` is given, else anchors."""
    areas = n03_areas(polygons, region) if polygons is not None else approximate_areas(region.id)
    data = [
        {"polygon": rings, "fill": [*SHADES[index % len(SHADES)], LAND_ALPHA]}
        for index, (code, parts) in enumerate(areas)
        if code in MUNICIPALITIES
        for rings in parts
    ]
    return pdk.Layer(
        "PolygonLayer",
        data=data,
        id="land",
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color=[255, 255, 255, 255],
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=False,
    )
