"""Tests for geo.areas: N03 import, point-in-municipality and the approximate fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest

from foundation.errors import InputError, IntegrityError
from geo import areas
from geo.areas import (
    IMPORT_FILE_NAME,
    N03_CREDIT,
    ApproximateAreas,
    N03Areas,
    import_n03,
    load_area_map,
    mesh_municipality,
)
from geo.mesh import point_to_code
from geo.places import AIRPORTS, MUNICIPALITIES, POINTS_OF_INTEREST, REGIONS

SHARED_GEO = Path(__file__).resolve().parents[2] / ".." / "shared" / "geo"
WAKAYAMA = SHARED_GEO / "N03-21_30_210101.json"
HOKKAIDO = SHARED_GEO / "N03-21_01_210101.json"
TOKYO = SHARED_GEO / "N03-21_13_210101.json"
SAPPORO_STATION = (43.06870, 141.35080)  # JR Sapporo station lies north of the tracks, in Kita-ku
ODORI_PARK = (43.05970, 141.34780)
SQUARE = [[[135.0, 33.0], [135.1, 33.0], [135.1, 33.1], [135.0, 33.1], [135.0, 33.0]]]


def _needs_shared() -> None:
    """Skip when the shared N03 fixtures are not next to the repository."""
    if not SHARED_GEO.is_dir():
        pytest.skip("shared N03 files are not available")


@pytest.fixture(scope="module")
def wakayama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A geo folder holding an import of the Wakayama N03 file."""
    _needs_shared()
    out = tmp_path_factory.mktemp("wakayama")
    import_n03(WAKAYAMA, out)
    return out


@pytest.fixture(scope="module")
def hokkaido_map() -> N03Areas:
    """The Hokkaido N03 map, read directly."""
    _needs_shared()
    return N03Areas.from_file(HOKKAIDO)


def _write_collection(path: Path, features: list[dict[str, Any]]) -> Path:
    """Write a GeoJSON FeatureCollection of the given features."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _feature(properties: dict[str, Any], geometry: Any = None) -> dict[str, Any]:
    """A GeoJSON feature; a unit-ish square polygon unless another geometry is given."""
    shape = geometry if geometry is not None else {"type": "Polygon", "coordinates": SQUARE}
    return {"type": "Feature", "properties": properties, "geometry": shape}


def test_import_assigns_shm_airport_to_shirahama(wakayama_dir: Path) -> None:
    """After importing Wakayama, the SHM airport lies in Shirahama (30401)."""
    area_map = load_area_map(wakayama_dir)
    shm = AIRPORTS["SHM"]
    assert isinstance(area_map, N03Areas)
    assert list(area_map.assign([shm.lat], [shm.lon])) == ["30401"]
    assert area_map.approximate is False
    assert area_map.credit == N03_CREDIT


def test_import_summary_and_polygons(wakayama_dir: Path) -> None:
    """The import keeps one polygon per code with a name; the summary counts features."""
    polygons = load_area_map(wakayama_dir).polygons()
    assert polygons is not None
    assert list(polygons.columns) == ["code", "name", "geometry"]
    assert polygons["code"].is_unique
    assert polygons.set_index("code").loc["30401", "name"] == "白浜町"
    summary = import_n03(WAKAYAMA, wakayama_dir)
    assert (summary.features, summary.municipalities, dict(summary.skipped)) == (30, 30, {})
    assert summary.output == wakayama_dir / IMPORT_FILE_NAME


def test_sapporo_points_fall_in_the_right_wards(hokkaido_map: N03Areas) -> None:
    """Odori park is in Chuo-ku (01101), Sapporo station in Kita-ku (01102), the sea in none."""
    lats, lons = zip(ODORI_PARK, SAPPORO_STATION, (43.5, 140.5), strict=True)
    assert list(hokkaido_map.assign(lats, lons)) == ["01101", "01102", ""]


def test_unsettled_land_is_skipped_with_a_reason(tmp_path: Path) -> None:
    """Tokyo's 所属未定地 feature (no code) is skipped and reported, not an error."""
    _needs_shared()
    summary = import_n03(TOKYO, tmp_path)
    assert summary.municipalities == summary.features - 1
    assert list(summary.skipped.values()) == [1]
    assert "所属未定地" in next(iter(summary.skipped))


def test_approximate_map_agrees_with_n03_on_most_points(hokkaido_map: N03Areas) -> None:
    """On random land points of the Hokkaido regions the approximation matches N03 ≥ 85 %."""
    rng = np.random.default_rng(7)
    approx = ApproximateAreas()
    for region_id in ("sapporo", "east_hokkaido"):
        south, west, north, east = REGIONS[region_id].bbox
        lats, lons = rng.uniform(south, north, 2000), rng.uniform(west, east, 2000)
        exact = hokkaido_map.assign(lats, lons)
        land = np.isin(exact, REGIONS[region_id].municipality_codes)
        agree = (approx.assign(lats[land], lons[land]) == exact[land]).mean()
        assert agree >= 0.85, (region_id, agree)


def test_approximate_map_places_known_points(hokkaido_map: N03Areas) -> None:
    """Representative points, airports and POIs of Hokkaido get the same code from both maps."""
    approx = ApproximateAreas()
    hokkaido = [m for m in MUNICIPALITIES.values() if m.pref_code == "01"]
    lats = [m.lat for m in hokkaido] + [p.lat for p in POINTS_OF_INTEREST]
    lons = [m.lon for m in hokkaido] + [p.lon for p in POINTS_OF_INTEREST]
    exact, guess = hokkaido_map.assign(lats, lons), approx.assign(lats, lons)
    known = exact != ""
    assert (guess[known] == exact[known]).mean() >= 0.95
    assert list(guess[: len(hokkaido)]) == [m.code for m in hokkaido]


def test_approximate_map_says_it_is_approximate() -> None:
    """The fallback is flagged approximate, has no polygons, and leaves points outside regions."""
    approx = load_area_map(None)
    assert isinstance(approx, ApproximateAreas)
    assert approx.approximate is True
    assert "approximate" in approx.source
    assert approx.polygons() is None
    shm, hnd = AIRPORTS["SHM"], AIRPORTS["HND"]
    assert list(approx.assign([shm.lat, hnd.lat], [shm.lon, hnd.lon])) == ["30401", ""]


def test_approximate_map_respects_max_km() -> None:
    """A point farther than max_km from every reference point gets no code."""
    off_kushiro = ([42.94], [144.40])  # the Pacific, a few km off Kushiro's coast
    assert ApproximateAreas().assign(*off_kushiro)[0] == "01206"
    assert ApproximateAreas(max_km=1.0).assign(*off_kushiro)[0] == ""
    with pytest.raises(InputError, match="max_km"):
        ApproximateAreas(max_km=0)


def test_load_area_map_falls_back_without_an_import(tmp_path: Path) -> None:
    """An empty geo folder gives the approximate map."""
    assert isinstance(load_area_map(tmp_path), ApproximateAreas)


def test_damaged_import_is_an_integrity_error(tmp_path: Path) -> None:
    """An unreadable import file raises IntegrityError telling to import again."""
    (tmp_path / IMPORT_FILE_NAME).write_bytes(b"not parquet")
    with pytest.raises(IntegrityError, match="geo import"):
        load_area_map(tmp_path)


def test_geojson_without_n03_007_is_refused(tmp_path: Path) -> None:
    """A GeoJSON lacking the N03_007 property raises InputError naming file and field."""
    path = _write_collection(tmp_path / "broken.json", [_feature({"N03_004": "白浜町"})])
    with pytest.raises(InputError, match="N03_007") as caught:
        import_n03(path, tmp_path / "out")
    assert caught.value.file == "broken.json"
    assert caught.value.field == "N03_007"
    assert not (tmp_path / "out" / IMPORT_FILE_NAME).exists()


def test_feature_without_code_or_geometry_names_its_index(tmp_path: Path) -> None:
    """A feature missing its code or its geometry raises InputError with the feature index."""
    good = _feature({"N03_004": "白浜町", "N03_007": "30401"})
    no_code = _feature({"N03_004": "田辺市", "N03_007": None})
    no_geometry = {"type": "Feature", "properties": good["properties"], "geometry": None}
    for index, bad in ((1, no_code), (2, no_geometry)):
        path = _write_collection(tmp_path / "bad.json", [*[good] * index, bad])
        with pytest.raises(InputError) as caught:
            import_n03(path, tmp_path)
        assert caught.value.row == index


def test_non_geojson_file_is_refused(tmp_path: Path) -> None:
    """A file that is not a vector format, or no file at all, raises InputError."""
    path = tmp_path / "notes.json"
    path.write_text("{ not json", "utf-8")
    with pytest.raises(InputError, match="cannot read"):
        import_n03(path, tmp_path)
    with pytest.raises(InputError, match="no such file"):
        import_n03(tmp_path / "missing.json", tmp_path)


def test_failed_import_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails midway leaves the earlier import intact and no temporary file."""
    path = _write_collection(
        tmp_path / "small.json", [_feature({"N03_004": "白浜町", "N03_007": "30401"})]
    )
    out = tmp_path / "geo"
    import_n03(path, out)
    before = (out / IMPORT_FILE_NAME).read_bytes()

    def half_written(self: gpd.GeoDataFrame, handle: Any, **_: Any) -> None:
        handle.write(b"PAR1 partial")
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", half_written)
    with pytest.raises(OSError, match="disk full"):
        import_n03(path, out)
    assert (out / IMPORT_FILE_NAME).read_bytes() == before
    assert [p.name for p in out.iterdir()] == [IMPORT_FILE_NAME]


def test_mesh_municipality_uses_cell_centres(wakayama_dir: Path) -> None:
    """The 1 km cell of the SHM airport maps to Shirahama under N03 and the approximation."""
    shm = AIRPORTS["SHM"]
    cell = point_to_code(shm.lat, shm.lon, 3)
    assert mesh_municipality([cell], load_area_map(wakayama_dir)) == {cell: "30401"}
    assert mesh_municipality([cell], ApproximateAreas()) == {cell: "30401"}
    assert mesh_municipality([], ApproximateAreas()) == {}


def test_assign_rejects_mismatched_coordinates() -> None:
    """Latitudes and longitudes of different lengths raise InputError."""
    with pytest.raises(InputError, match="same length"):
        ApproximateAreas().assign([33.6, 33.7], [135.4])


def test_default_geo_dir_is_a_path() -> None:
    """DEFAULT_GEO_DIR is a Path (CROSSMESH_GEO_DIR or .crossmesh/geo)."""
    assert isinstance(areas.DEFAULT_GEO_DIR, Path)


def test_built_in_anchors_belong_to_region_municipalities() -> None:
    """Every shipped anchor names a region municipality and lies in that region's box."""
    anchors = areas._built_in_anchors()
    assert len(anchors) > 1000
    for code, lat, lon in anchors:
        region_id = MUNICIPALITIES[code].region_id
        assert region_id is not None, code
        assert REGIONS[region_id].contains(lat, lon), code
