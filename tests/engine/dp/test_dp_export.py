"""Tests of writing releases to CSV, Parquet, GeoJSON and JSON (engine.dp.export)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely

from engine.dp.accounting import PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.export import metadata_path, release_geojson
from engine.dp.mechanisms import mechanism_for
from engine.dp.release import Release, build_release
from foundation.errors import InputError
from geo.mesh import code_polygon
from geo.places import MUNICIPALITIES

COST = PrivacyCost.from_epsilon(2.0)
MECHANISM = mechanism_for(COST, ContributionBounds(1, 1, 1))
THRESHOLD = 1000
# Raw noisy values; 987 and 654 fall below the threshold and must vanish from every output.
NOISY = [987, 1234, 654, 5678]
HIDDEN = (987, 654)
MESH_CODES = ["64441111", "64441112", "64441121", "64441122"]
FORMATS = ("csv", "parquet", "geojson", "json")


def mesh_release() -> Release:
    """A release on four 3rd-level mesh cells, two of them suppressed."""
    return build_release(
        NOISY,
        MECHANISM,
        COST,
        row_labels=[(code,) for code in MESH_CODES],
        label_names=["mesh_code"],
        query_spec={"view": "presence"},
        threshold=THRESHOLD,
    )


def mentions(text: str, number: int) -> bool:
    """Whether ``number`` appears as a whole number in ``text`` (not inside a longer numeral, nor
    inside a word such as the release's random hexadecimal id, which held ``987`` once)."""
    return re.search(rf"(?<![\w.]){number}(?![\w.])", text) is not None


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts, with None for missing values."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [{str(key): value for key, value in row.items()} for row in cleaned.to_dict("records")]


def read_back(path: Path) -> list[dict[str, Any]]:
    """The rows of a written file as dicts of label, value, suppressed, ci95."""
    if path.suffix == ".csv":
        return records(pd.read_csv(path, dtype={"mesh_code": str}))
    if path.suffix == ".parquet":
        return records(pd.read_parquet(path))
    if path.suffix == ".geojson":
        return [feature["properties"] for feature in json.loads(path.read_text())["features"]]
    return records(Release.from_json(path.read_text()).to_frame())


@pytest.mark.parametrize("extension", FORMATS)
def test_suppressed_values_appear_in_no_format(extension: str, tmp_path: Path) -> None:
    """Every format shows the published values and null for suppressed ones, never their number."""
    path = mesh_release().write(tmp_path / f"release.{extension}")
    rows = read_back(path)
    assert [row["value"] for row in rows] == [None, 1234, None, 5678]
    assert [bool(row["suppressed"]) for row in rows] == [True, False, True, False]
    assert [row["ci95"] is None for row in rows] == [True, False, True, False]
    assert [str(row["mesh_code"]) for row in rows] == MESH_CODES
    texts = [file.read_bytes().decode("utf-8", "replace") for file in tmp_path.iterdir()]
    assert not any(mentions(text, number) for text in texts for number in HIDDEN)


@pytest.mark.parametrize("extension", ["csv", "parquet", "geojson"])
def test_metadata_goes_beside_the_data_without_values(extension: str, tmp_path: Path) -> None:
    """FILE.json holds the DP parameters and spec but no per-value column."""
    release = mesh_release()
    path = release.write(tmp_path / f"release.{extension}")
    metadata = json.loads(metadata_path(path).read_text())
    assert metadata_path(path).name == f"release.{extension}.json"
    assert metadata["release_id"] == release.release_id
    assert (metadata["epsilon"], metadata["delta"], metadata["rho"]) == (2.0, 1e-6, COST.rho)
    assert metadata["threshold"] == THRESHOLD and metadata["query_spec"] == {"view": "presence"}
    assert metadata["data_file"] == path.name
    assert not {"values", "suppressed", "ci95", "row_labels"} & set(metadata)
    assert not mentions(metadata_path(path).read_text(), 5678)


def test_json_file_reads_back_as_the_same_release(tmp_path: Path) -> None:
    """A .json file is the whole release, without a second metadata file."""
    release = mesh_release()
    path = release.write(tmp_path / "release.json")
    assert Release.from_json(path.read_text()) == release
    assert sorted(file.name for file in tmp_path.iterdir()) == ["release.json"]


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    """Only the data files and their metadata remain after writing every format."""
    release = mesh_release()
    for extension in FORMATS:
        release.write(tmp_path / f"release.{extension}")
    expected = {f"release.{ext}" for ext in FORMATS} | {
        f"release.{ext}.json" for ext in FORMATS if ext != "json"
    }
    assert {file.name for file in tmp_path.iterdir()} == expected


def test_mesh_features_are_the_cells_rectangles() -> None:
    """A mesh_code label gives the cell polygon in lon/lat."""
    collection = release_geojson(mesh_release())
    assert collection["type"] == "FeatureCollection"
    for feature, code in zip(collection["features"], MESH_CODES, strict=True):
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.equals(code_polygon(code))


def test_municipality_features_are_their_points() -> None:
    """A municipality_code label gives the municipality's representative point."""
    code = sorted(MUNICIPALITIES)[0]
    release = build_release(
        [50],
        MECHANISM,
        COST,
        row_labels=[(code,)],
        label_names=["municipality_code"],
        query_spec={},
    )
    geometry = release_geojson(release)["features"][0]["geometry"]
    municipality = MUNICIPALITIES[code]
    assert geometry == {"type": "Point", "coordinates": (municipality.lon, municipality.lat)}


def test_a_geometry_callback_takes_precedence(tmp_path: Path) -> None:
    """A callback receives each row's labels and supplies its geometry."""
    seen: list[dict[str, Any]] = []

    def geometry(labels: Any) -> shapely.Geometry:
        seen.append(dict(labels))
        return shapely.Point(140.0, 43.0)

    path = mesh_release().write(tmp_path / "release.geojson", geometry=geometry)
    features = json.loads(path.read_text())["features"]
    assert seen == [{"mesh_code": code} for code in MESH_CODES]
    assert all(feature["geometry"]["type"] == "Point" for feature in features)


def test_geojson_without_a_place_label_is_refused() -> None:
    """Rows labelled only by group have no geometry unless a callback is given."""
    release = build_release(
        [50], MECHANISM, COST, row_labels=[(0,)], label_names=["day_offset"], query_spec={}
    )
    with pytest.raises(InputError, match="geometry callback"):
        release_geojson(release)


def test_unknown_municipality_is_refused() -> None:
    """A municipality without a known point is an input error naming the fix."""
    release = build_release(
        [50],
        MECHANISM,
        COST,
        row_labels=[("99999",)],
        label_names=["municipality_code"],
        query_spec={},
    )
    with pytest.raises(InputError, match="geometry callback"):
        release_geojson(release)


def test_unknown_extensions_are_refused(tmp_path: Path) -> None:
    """Only .csv, .parquet, .geojson and .json are written; nothing is left behind."""
    with pytest.raises(InputError, match=r"\.parquet"):
        mesh_release().write(tmp_path / "release.xlsx")
    assert list(tmp_path.iterdir()) == []
