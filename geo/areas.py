"""Which municipality a point or a mesh cell lies in: N03 boundaries or a built-in approximation.

Crossmesh must run without MLIT's boundary files (it may not ship them), yet use them when a user
has downloaded them. So every consumer asks an :class:`AreaMap`, of which there are two:

* :class:`N03Areas` — exact point-in-polygon against imported N03 boundaries (one dissolved
  polygon per JIS code, queried through a shapely STRtree). Anything drawn from it must carry
  :data:`N03_CREDIT`.
* :class:`ApproximateAreas` — the fallback: a point inside a study region goes to the municipality
  of that region owning the nearest built-in reference point (representative points of
  ``geo.places.MUNICIPALITIES`` plus a 1–2 km anchor grid), within ``max_km``. Near borders it
  can be wrong, so it says ``approximate = True`` and the dashboard labels it as approximate.

:func:`import_n03` turns a user's N03 file (GeoJSON, or anything GDAL reads) into
``n03_municipalities.parquet`` (GeoParquet, written atomically) in the geo folder;
:func:`load_area_map` picks the N03 map when that import exists and the approximation otherwise;
:func:`mesh_municipality` names the municipality at the centre of each mesh cell.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from foundation.atomic import atomic_writer
from foundation.errors import InputError, IntegrityError
from geo.mesh import code_center
from geo.places import MUNICIPALITIES, REGIONS, Municipality, Region

__all__ = [
    "DEFAULT_GEO_DIR",
    "IMPORT_FILE_NAME",
    "N03_CREDIT",
    "ApproximateAreas",
    "AreaMap",
    "ImportSummary",
    "N03Areas",
    "import_n03",
    "load_area_map",
    "mesh_municipality",
]

DEFAULT_GEO_DIR = Path(os.environ.get("CROSSMESH_GEO_DIR", ".crossmesh/geo"))
IMPORT_FILE_NAME = "n03_municipalities.parquet"
N03_CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
WGS84 = "EPSG:4326"
EARTH_RADIUS_KM = 6371.0088
# N03 names land whose municipality is disputed this way and gives it no code.
UNSETTLED_AREA = "所属未定地"
_CODE = re.compile(r"\d{5}")


class AreaMap(Protocol):
    """Names the municipality (5-digit JIS code) of points; ``approximate`` flags a guess."""

    approximate: bool
    source: str
    credit: str | None

    def assign(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Object array of 5-digit codes, one per point, ``""`` where no municipality applies."""
        ...

    def polygons(self) -> gpd.GeoDataFrame | None:
        """Columns code, name, geometry for drawing; None when the map has no boundaries."""
        ...


def _coordinates(lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes as equal-length 1-D float arrays."""
    lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
    if lat.ndim != 1 or lat.shape != lon.shape:
        raise InputError("latitudes and longitudes must be 1-D sequences of the same length")
    return lat, lon


def _empty_codes(size: int) -> npt.NDArray[np.object_]:
    """An object array of ``size`` empty codes."""
    codes = np.empty(size, dtype=object)
    codes[:] = ""
    return codes


class ApproximateAreas:
    """Nearest built-in reference point among the municipalities of the enclosing region.

    Reference points are each municipality's representative point plus the anchor grid of
    ``geo/data/municipality_anchors.csv`` (about 2 km apart, 1 km in focus regions), so borders are
    placed to within about a kilometre without shipping any boundary.
    """

    approximate = True
    # The reference points are derived from N03, so their credit applies to the approximation too.
    credit: str | None = N03_CREDIT

    def __init__(
        self,
        max_km: float = 15.0,
        regions: Mapping[str, Region] = REGIONS,
        municipalities: Mapping[str, Municipality] = MUNICIPALITIES,
        anchors: Sequence[tuple[str, float, float]] | None = None,
    ) -> None:
        if not max_km > 0:
            raise InputError(f"max_km must be positive, not {max_km}", field="max_km")
        self.max_km = max_km
        points = _reference_points(
            municipalities, _built_in_anchors() if anchors is None else anchors
        )
        self._indexes = [
            _RegionIndex.build(region, points)
            for region in regions.values()
            if region.municipality_codes
        ]
        self.source = (
            "approximate municipalities: nearest built-in reference point within "
            f"{max_km:g} km, inside study regions only (no boundaries; may err near borders)"
        )

    def assign(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Code of the nearest reference point of the region holding each point, or ``""``."""
        lat, lon = _coordinates(lats, lons)
        codes = _empty_codes(lat.size)
        for index in self._indexes:
            south, west, north, east = index.region.bbox
            inside = np.flatnonzero(
                (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east) & (codes == "")
            )
            codes[inside] = index.nearest(lat[inside], lon[inside], self.max_km)
        return codes

    def polygons(self) -> gpd.GeoDataFrame | None:
        """None: the approximation has no boundaries to draw."""
        return None


@dataclass(frozen=True)
class _RegionIndex:
    """Reference points of one region in a local plane (km), in an STRtree for nearest queries."""

    region: Region
    codes: npt.NDArray[np.object_]
    tree: shapely.STRtree
    km_per_degree: tuple[float, float]  # (latitude, longitude) at the region's middle

    @classmethod
    def build(cls, region: Region, points: Mapping[str, list[tuple[float, float]]]) -> _RegionIndex:
        """Index the reference points of the region's municipalities."""
        south, _, north, _ = region.bbox
        km_lat = EARTH_RADIUS_KM * math.pi / 180
        km_lon = km_lat * math.cos(math.radians((south + north) / 2))
        pairs = [(code, p) for code in region.municipality_codes for p in points.get(code, [])]
        coords = np.array([p for _, p in pairs], dtype=np.float64).reshape(-1, 2)
        tree = shapely.STRtree(shapely.points(coords[:, 1] * km_lon, coords[:, 0] * km_lat))
        codes = np.array([code for code, _ in pairs], dtype=object)
        return cls(region, codes, tree, (km_lat, km_lon))

    def nearest(self, lat: np.ndarray, lon: np.ndarray, max_km: float) -> np.ndarray:
        """Code of the nearest reference point within ``max_km`` of each point, else ``""``."""
        found = _empty_codes(lat.size)
        if lat.size and self.codes.size:
            km_lat, km_lon = self.km_per_degree
            query = shapely.points(lon * km_lon, lat * km_lat)
            points, hits = self.tree.query_nearest(query, max_distance=max_km, all_matches=False)
            found[points] = self.codes[hits]
        return found


def _reference_points(
    municipalities: Mapping[str, Municipality], anchors: Iterable[tuple[str, float, float]]
) -> dict[str, list[tuple[float, float]]]:
    """Reference points (lat, lon) by code: representative points first, then known anchors."""
    points = {code: [(m.lat, m.lon)] for code, m in municipalities.items()}
    for code, lat, lon in anchors:
        if code in points:
            points[code].append((lat, lon))
    return points


@cache
def _built_in_anchors() -> tuple[tuple[str, float, float], ...]:
    """The anchor grid shipped in ``geo/data/municipality_anchors.csv``."""
    text = (
        resources.files("geo")
        .joinpath("data")
        .joinpath("municipality_anchors.csv")
        .read_text("utf-8")
    )
    return tuple(
        (row["code"], float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(text.splitlines())
    )


class N03Areas:
    """Point-in-polygon against N03 municipality boundaries, one (multi)polygon per code."""

    approximate = False
    credit: str | None = N03_CREDIT

    def __init__(self, frame: gpd.GeoDataFrame, source: str) -> None:
        missing = {"code", "name", "geometry"} - set(frame.columns)
        if missing:
            raise InputError(f"area frame lacks columns {sorted(missing)}", file=source)
        self._frame = frame[["code", "name", "geometry"]].reset_index(drop=True)
        self._codes = self._frame["code"].to_numpy(dtype=object)
        self._tree = shapely.STRtree(self._frame.geometry.to_numpy())
        self.source = f"MLIT N03 administrative areas ({source})"

    @classmethod
    def from_import(cls, path: Path) -> N03Areas:
        """The map stored by :func:`import_n03`; IntegrityError if the file cannot be read."""
        try:
            frame = gpd.read_parquet(path)
        except (OSError, ValueError) as err:
            raise IntegrityError(
                f"cannot read the N03 import {path} ({type(err).__name__}); "
                "run `crossmesh geo import` again"
            ) from err
        return cls(frame, path.name)

    @classmethod
    def from_file(cls, path: Path) -> N03Areas:
        """The map of an N03 file read directly, without writing an import."""
        frame, _, _ = _read_n03(Path(path))
        return cls(frame, Path(path).name)

    def assign(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Code of the polygon holding each point (lowest index on shared edges), or ``""``."""
        lat, lon = _coordinates(lats, lons)
        codes = _empty_codes(lat.size)
        points, polygons = self._tree.query(shapely.points(lon, lat), predicate="intersects")
        order = np.lexsort((polygons, points))
        points, polygons = points[order], polygons[order]
        first = np.unique(points, return_index=True)[1]
        codes[points[first]] = self._codes[polygons[first]]
        return codes

    def polygons(self) -> gpd.GeoDataFrame:
        """Columns code, name, geometry (WGS 84); draw with :data:`N03_CREDIT`."""
        return self._frame.copy()


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_n03` read and wrote; ``skipped`` maps a reason to a feature count."""

    source: str
    output: Path
    features: int
    municipalities: int
    skipped: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        counts = [self.features, self.municipalities, *self.skipped.values()]
        if min(counts) < 0:
            raise InputError("import summary counts must not be negative")
        if sum(self.skipped.values()) > self.features:
            raise InputError("import summary skips more features than it read")


def import_n03(path: Path, out_dir: Path) -> ImportSummary:
    """Validate an N03 file, dissolve it by code and write ``out_dir/n03_municipalities.parquet``.

    The output replaces any earlier import atomically: a failure leaves the old file (or none).
    """
    path = Path(path)
    frame, features, skipped = _read_n03(path)
    output = Path(out_dir) / IMPORT_FILE_NAME
    with atomic_writer(output) as handle:
        frame.to_parquet(handle, index=False)
    return ImportSummary(path.name, output, features, len(frame), dict(skipped))


def _read_n03(path: Path) -> tuple[gpd.GeoDataFrame, int, Counter[str]]:
    """The dissolved frame (code, name, geometry) of an N03 file, its feature count, skips."""
    raw = _read_features(path)
    keep, skipped = _validate_features(raw, path.name)
    kept = raw[keep]
    geometry = shapely.make_valid(kept.geometry.to_numpy())
    parts = gpd.GeoDataFrame(
        {"code": kept["N03_007"].to_numpy(dtype=object), "name": _names(kept)},
        geometry=geometry,
        crs=WGS84,
    )
    frame = parts.dissolve(by="code", as_index=False, aggfunc="first", sort=True)
    return frame[["code", "name", "geometry"]], len(raw), skipped


def _read_features(path: Path) -> gpd.GeoDataFrame:
    """The features of a vector file in WGS 84, with a clear InputError if it cannot be read."""
    if not path.is_file():
        raise InputError("no such file; give the path of an N03 GeoJSON file", file=str(path))
    try:
        raw = gpd.read_file(path)
    except Exception as err:  # pyogrio raises several unrelated types for unreadable input
        raise InputError(
            f"cannot read it as GeoJSON or another vector format ({type(err).__name__}); "
            "give the N03 file downloaded from MLIT",
            file=path.name,
        ) from err
    for name in ("N03_004", "N03_007"):
        if name not in raw.columns:
            raise InputError(
                "is not an N03 administrative-area file: no feature has this property; "
                "download 行政区域データ (N03) from MLIT and import its GeoJSON",
                file=path.name,
                field=name,
            )
    if raw.crs is None:
        return raw.set_crs(WGS84)
    return raw if raw.crs.equals(WGS84) else raw.to_crs(WGS84)


def _validate_features(raw: gpd.GeoDataFrame, file: str) -> tuple[np.ndarray, Counter[str]]:
    """Mask of features to keep; InputError at the first broken one, Counter of skip reasons."""
    skipped: Counter[str] = Counter()
    keep = np.zeros(len(raw), dtype=bool)
    geometries = raw.geometry.to_numpy()
    for index, (code, name, geometry) in enumerate(
        zip(raw["N03_007"], raw["N03_004"], geometries, strict=True)
    ):
        reason = _skip_reason(index, code, name, geometry, file)
        if reason:
            skipped[reason] += 1
        keep[index] = not reason
    if not keep.any():
        raise InputError("holds no municipality polygon with a code; nothing to import", file=file)
    return keep, skipped


def _skip_reason(index: int, code: Any, name: Any, geometry: Any, file: str) -> str:
    """Why a feature is skipped ("" to keep it); InputError if it is broken."""
    if geometry is None:
        raise InputError(
            "feature has no geometry; the file looks damaged",
            file=file,
            row=index,
            field="geometry",
        )
    if _is_missing(code):
        if name == UNSETTLED_AREA:
            return f"no municipality code ({UNSETTLED_AREA}, boundary not settled)"
        raise InputError(
            "feature has no municipality code; the file looks damaged",
            file=file,
            row=index,
            field="N03_007",
        )
    if not _CODE.fullmatch(str(code)):
        raise InputError(
            "municipality code must be five digits", file=file, row=index, field="N03_007"
        )
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return "not a polygon"
    return ""


def _is_missing(value: Any) -> bool:
    """Whether a property value is absent (None, NaN or pandas NA)."""
    return value is None or bool(pd.isna(value))


def _names(features: gpd.GeoDataFrame) -> list[str]:
    """Display names: 札幌市中央区 for designated-city wards, else the municipality name."""
    cities: Iterable[Any] = (
        features["N03_003"] if "N03_003" in features.columns else [None] * len(features)
    )
    return [
        f"{city}{name}" if isinstance(city, str) and city.endswith("市") else str(name)
        for city, name in zip(cities, features["N03_004"], strict=True)
    ]


def load_area_map(geo_dir: Path | None) -> AreaMap:
    """The N03 map if ``geo_dir`` holds an import, else the built-in approximation."""
    if geo_dir is not None and (Path(geo_dir) / IMPORT_FILE_NAME).is_file():
        return N03Areas.from_import(Path(geo_dir) / IMPORT_FILE_NAME)
    return ApproximateAreas()


def mesh_municipality(codes: Sequence[str], area_map: AreaMap) -> dict[str, str]:
    """Each mesh cell's municipality at the cell's centre (``""`` where none)."""
    if not codes:
        return {}
    centres = np.array([code_center(code) for code in codes], dtype=np.float64)
    names = area_map.assign(centres[:, 0], centres[:, 1])
    return dict(zip(codes, (str(name) for name in names), strict=True))
