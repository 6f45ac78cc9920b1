"""Writing a :class:`~engine.dp.release.Release` to files people and tools open.

The format follows the extension:

* ``.csv`` and ``.parquet`` — :meth:`Release.to_frame`: label columns, ``value``, ``suppressed``,
  ``ci95``; a suppressed value is an empty CSV field or a Parquet null;
* ``.geojson`` — one feature per value with the same properties (``null`` when suppressed). The
  geometry comes from a callback if one is given, else from a ``mesh_code`` label (the JIS X 0410
  cell's rectangle, :func:`geo.mesh.code_polygon`), else from a ``municipality_code`` label (the
  municipality's representative point in :data:`geo.places.MUNICIPALITIES`);
* ``.json`` — the whole release (:meth:`Release.to_json`), readable with ``Release.from_json``.

Beside a CSV, Parquet or GeoJSON file ``FILE`` goes ``FILE.json``: the release's metadata (DP
parameters, threshold, query spec, time and ID — everything but the per-value columns), so a
file passed on alone still says how it was made. Every file is written atomically
(:mod:`foundation.atomic`). A suppressed value has no number in the release, so none can reach a
file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
import shapely.geometry

from foundation.atomic import atomic_write_text, atomic_writer
from foundation.errors import InputError
from geo.mesh import code_polygon
from geo.places import MUNICIPALITIES

if TYPE_CHECKING:
    from engine.dp.release import Label, Release

__all__ = [
    "MESH_LABEL",
    "MUNICIPALITY_LABEL",
    "GeometryFor",
    "metadata_path",
    "release_geojson",
    "release_metadata",
    "write_release",
]

MESH_LABEL = "mesh_code"
MUNICIPALITY_LABEL = "municipality_code"
PER_VALUE_FIELDS = ("values", "suppressed", "ci95", "row_labels")
GeometryFor = Callable[[Mapping[str, "Label"]], shapely.Geometry | None]


def metadata_path(path: Path) -> Path:
    """Where the metadata of a data file goes: ``FILE.json`` beside ``FILE``."""
    return path.with_name(path.name + ".json")


def release_metadata(release: Release, data_file: str | None = None) -> dict[str, Any]:
    """Everything about a release but its per-value columns, JSON-able."""
    metadata = {
        key: value for key, value in release.to_dict().items() if key not in PER_VALUE_FIELDS
    }
    metadata["rows"] = len(release.values)
    if data_file is not None:
        metadata["data_file"] = data_file
    return metadata


def write_release(release: Release, path: Path, *, geometry: GeometryFor | None = None) -> Path:
    """Write ``release`` to ``path`` in the format of its extension; return ``path``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        atomic_write_text(path, release.to_json())
        return path
    if suffix == ".csv":
        atomic_write_text(path, release.to_frame().to_csv(index=False))
    elif suffix == ".parquet":
        with atomic_writer(path) as handle:
            release.to_frame().to_parquet(handle, index=False)
    elif suffix == ".geojson":
        atomic_write_text(path, _dumps(release_geojson(release, geometry)))
    else:
        raise InputError(
            "release files must end in .csv, .parquet, .geojson or .json", file=str(path)
        )
    atomic_write_text(metadata_path(path), _dumps(release_metadata(release, path.name)))
    return path


def release_geojson(release: Release, geometry: GeometryFor | None = None) -> dict[str, Any]:
    """The release as a GeoJSON FeatureCollection (RFC 7946, WGS 84 lon/lat)."""
    shape_of = _geometry_source(release, geometry)
    features = []
    for index, row in enumerate(release.row_labels):
        labels = dict(zip(release.label_names, row, strict=True))
        shape = shape_of(labels)
        properties = {
            **labels,
            "value": release.values[index],
            "suppressed": release.suppressed[index],
            "ci95": release.ci95[index],
        }
        features.append(
            {
                "type": "Feature",
                "geometry": None if shape is None else shapely.geometry.mapping(shape),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _geometry_source(release: Release, geometry: GeometryFor | None) -> GeometryFor:
    """The callback if given, else mesh cells, else municipality points."""
    if geometry is not None:
        return geometry
    if MESH_LABEL in release.label_names:
        return lambda labels: code_polygon(labels[MESH_LABEL])
    if MUNICIPALITY_LABEL in release.label_names:
        return _municipality_point
    raise InputError(
        f"GeoJSON needs a {MESH_LABEL!r} or {MUNICIPALITY_LABEL!r} label, or a geometry "
        "callback; write .csv or .parquet instead",
        field="label_names",
    )


def _municipality_point(labels: Mapping[str, Label]) -> shapely.Geometry:
    """The representative point of the row's municipality."""
    code = str(labels[MUNICIPALITY_LABEL])
    municipality = MUNICIPALITIES.get(code)
    if municipality is None:
        raise InputError(
            f"municipality {code} has no point in geo.places; pass a geometry callback",
            field=MUNICIPALITY_LABEL,
        )
    return shapely.Point(municipality.lon, municipality.lat)


def _dumps(document: Mapping[str, Any]) -> str:
    """Compact, UTF-8-friendly JSON that refuses NaN (not JSON)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
