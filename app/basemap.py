"""The ground under the maps, drawn from data that ships offline: sea, land, boundaries.

Online, Streamlit would draw a Carto basemap under every deck; offline — a demo laptop, a
municipal meeting room, CI — there is none, and cells would float on white. So every map brings
its own ground, which needs no network and never a tile:

* ``sea`` — one sea-coloured rectangle well beyond the region, under everything. Without a
  coastline file it also stands for land outside the study region (the legend says so);
* ``land`` — the region's municipalities as filled areas. With imported MLIT N03 boundaries
  (:meth:`geo.areas.N03Areas.polygons`) their exact, simplified shapes (the pages print the N03
  credit next to the map); without them an approximation from the built-in anchor points of
  ``geo/data/municipality_anchors.csv`` (a 1–2 km grid of points per municipality, derived from
  N03 as well): the anchors' Voronoi cells — the same nearest-point rule
  :class:`geo.areas.ApproximateAreas` assigns cells by — merged per municipality and cut to the
  land the anchors cover, then simplified so that borders run straight rather than in steps;
* ``municipal-lines`` and ``prefecture-lines`` — the outlines of municipalities, and of each
  prefecture's part of the region (its coast and, where a region spans two, the border).

:func:`ground_layers` returns the four in drawing order; :func:`approximate_areas` and
:func:`n03_areas` give the polygons they draw. Labels, airports and the scale bar on top of the
ground are :mod:`app.overlay`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pydeck as pdk
import shapely

from geo.places import MUNICIPALITIES, Region

__all__ = [
    "LAND_COLOURS",
    "SEA_COLOUR",
    "approximate_areas",
    "ground_layers",
    "land_layer",
    "n03_areas",
    "sea_layer",
]

Rings = list[list[list[float]]]
Areas = tuple[tuple[str, tuple[Rings, ...]], ...]
SEA_COLOUR = (191, 214, 228)
# Soft land tints, one per municipality in turn, all clearly lighter and warmer than the sea.
LAND_COLOURS = ((241, 238, 226), (236, 240, 228), (243, 236, 232), (238, 236, 240))
MUNICIPAL_LINE = (150, 150, 140, 200)
PREFECTURE_LINE = (90, 96, 104, 230)
KM_PER_DEGREE = 111.2  # of latitude; of longitude times cos(latitude)
SEA_MARGIN = 1.5  # the sea reaches this many region widths beyond the region on every side
SIMPLIFY_KM = 0.35  # straightens the anchor grid's steps; far below the cell size drawn on top


@cache
def _anchors() -> dict[str, tuple[tuple[float, float], ...]]:
    """Built-in anchor points (lat, lon) per municipality code, its representative point first."""
    table = resources.files("geo").joinpath("data", "municipality_anchors.csv")
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, place in MUNICIPALITIES.items():
        points[code].append((place.lat, place.lon))
    for row in csv.DictReader(table.read_text(encoding="utf-8").splitlines()):
        points[row["code"]].append((float(row["lat"]), float(row["lon"])))
    return {code: tuple(found) for code, found in points.items()}


def _spacing_km(plane: np.ndarray) -> float:
    """The typical distance from an anchor to its nearest neighbour, in kilometres."""
    points = shapely.points(plane)
    _, distances = shapely.STRtree(points).query_nearest(
        points, exclusive=True, return_distance=True, all_matches=False
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
        if isinstance(part, shapely.Polygon) and not part.is_empty
    ]


@cache
def approximate_areas(region: Region) -> Areas:
    """(code, polygons) of each municipality of ``region``, from its anchors (see the module)."""
    anchors = _anchors()
    owned: dict[tuple[float, float], str] = {}
    for code in region.municipality_codes:
        for point in anchors.get(code, ()):
            owned.setdefault(point, code)  # Voronoi needs distinct points; the first owner wins
    owners, points = list(owned.values()), np.array(list(owned))
    if len(points) < 3:
        return ()
    # A local plane in kilometres, so that Voronoi cells and the land mask are not stretched.
    km_lon = KM_PER_DEGREE * np.cos(np.radians(points[:, 0].mean()))
    plane = np.column_stack([points[:, 1] * km_lon, points[:, 0] * KM_PER_DEGREE])
    half = 0.75 * _spacing_km(plane)  # squares a little larger than the spacing merge into land
    land = shapely.union_all(shapely.box(*(plane - half).T, *(plane + half).T))
    cells = shapely.voronoi_polygons(shapely.multipoints(plane), ordered=True).geoms
    parts: dict[str, list[Any]] = defaultdict(list)
    for owner, cell in zip(owners, cells, strict=True):
        parts[owner].append(cell)
    areas = []
    for code in region.municipality_codes:
        if code in parts:
            shape = shapely.union_all(parts[code]).intersection(land)
            shape = shapely.simplify(shape, SIMPLIFY_KM).buffer(0)
            degrees = shapely.transform(shape, lambda xy: xy / [km_lon, KM_PER_DEGREE])
            areas.append((code, tuple(_rings(degrees))))
    return tuple(areas)


def n03_areas(polygons: Any, region: Region) -> Areas:
    """(code, polygons) of the region's municipalities from imported N03 boundaries."""
    wanted = set(region.municipality_codes)
    return tuple(
        (code, tuple(_rings(shapely.simplify(geometry, 0.0005))))
        for code, geometry in zip(polygons["code"], polygons.geometry, strict=True)
        if code in wanted
    )


def _areas(region: Region, polygons: Any | None) -> Areas:
    return n03_areas(polygons, region) if polygons is not None else approximate_areas(region)


def sea_layer(bbox: tuple[float, float, float, float]) -> pdk.Layer:
    """A sea-coloured rectangle reaching far beyond the box (south, west, north, east)."""
    south, west, north, east = bbox
    dy, dx = (north - south) * SEA_MARGIN, (east - west) * SEA_MARGIN
    ring = [[west - dx, south - dy], [east + dx, south - dy], [east + dx, north + dy],
            [west - dx, north + dy]]  # fmt: skip
    return pdk.Layer(
        "PolygonLayer",
        data=[{"polygon": ring}],
        id="sea",
        get_polygon="polygon",
        get_fill_color=list(SEA_COLOUR),
        stroked=False,
        filled=True,
        pickable=False,
    )


def land_layer(region: Region, polygons: Any | None = None) -> pdk.Layer:
    """The region's municipalities as filled land: N03 shapes if ``polygons`` is given."""
    data = [
        {"code": code, "polygon": rings, "fill": [*LAND_COLOURS[index % len(LAND_COLOURS)], 255]}
        for index, (code, parts) in enumerate(_areas(region, polygons))
        for rings in parts
    ]
    return pdk.Layer(
        "PolygonLayer",
        data=data,
        id="land",
        get_polygon="polygon",
        get_fill_color="fill",
        stroked=False,
        filled=True,
        pickable=False,
    )


def _line_layer(layer_id: str, paths: list[list[list[float]]], colour: Any, width: float) -> Any:
    return pdk.Layer(
        "PathLayer",
        data=[{"path": path} for path in paths],
        id=layer_id,
        get_path="path",
        get_color=list(colour),
        width_units='"pixels"',  # quoted: pydeck makes bare strings accessors
        get_width=width,
        joint_rounded=True,
        pickable=False,
    )


def _prefecture_outlines(areas: Areas) -> list[list[list[float]]]:
    """The outline of each prefecture's municipalities in the region, as paths."""
    by_prefecture: dict[str, list[Any]] = defaultdict(list)
    for code, parts in areas:
        for rings in parts:
            by_prefecture[code[:2]].append(shapely.Polygon(rings[0], rings[1:]))
    paths: list[list[list[float]]] = []
    for shapes in by_prefecture.values():
        merged = shapely.union_all([shape.buffer(1e-4) for shape in shapes]).buffer(-1e-4)
        paths.extend(ring for rings in _rings(merged) for ring in rings)
    return paths


def ground_layers(region: Region, polygons: Any | None = None) -> list[pdk.Layer]:
    """Sea, land, municipal and prefecture outlines of ``region``, bottom first."""
    areas = _areas(region, polygons)
    municipal = [ring for _, parts in areas for rings in parts for ring in rings]
    return [
        sea_layer(region.bbox),
        land_layer(region, polygons),
        _line_layer("municipal-lines", municipal, MUNICIPAL_LINE, 0.8),
        _line_layer("prefecture-lines", _prefecture_outlines(areas), PREFECTURE_LINE, 1.6),
    ]
