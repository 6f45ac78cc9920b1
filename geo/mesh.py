"""JIS X 0410 standard grid meshes (地域メッシュ), computed with integer arithmetic.

Why integers: mesh edges sit at latitudes ``k/960`` and longitudes ``100 + k/640`` (the eighth-mesh
grid, 125 m), and most of them are not representable as floats. Libraries that compare float
corners or take float remainders (``jismesh``) put points on or near an edge into the wrong cell. We
instead map a point once to its integer eighth-mesh indices ``i = floor(lat·960)`` and
``j = floor((lon−100)·640)``; every coarser level is ``i // span``, ``j // span`` with a span of
640, 80, 8, 4, 2 or 1 eighth cells, and every code and bound is derived from those integers (bounds
through exact fractions, converted to float only at the end).

Edge rule: a point on a cell's south or west edge belongs to that cell, on its north or east edge to
the next one. A float rarely hits an edge exactly, so a point within :data:`SNAP_TOLERANCE` eighth
cells (about 1e-12 degrees, 0.1 µm) of an edge counts as on it. The tolerance exceeds the rounding
error of ``lat·960`` in floats, so outside it ``math.floor`` of the float product is the exact
floor; inside it, the float nearest to an edge (what ``35 + 40/60`` or :func:`code_bounds` yield)
lands in the cell north or east of that edge, as a reader of the decimal coordinate would expect.

Map of the module:

* levels — :data:`LEVELS`, :data:`CELL_SIZE_M`, :data:`CODE_DIGITS`, :func:`parse_level`;
* points to codes — :func:`point_to_code` (scalar) and :func:`points_to_codes` (numpy, int64);
* codes to geometry — :func:`code_level`, :func:`code_bounds` (:class:`MeshBounds`),
  :func:`code_polygon`, :func:`code_center`;
* the hierarchy and the plane — :func:`parent`, :func:`children`, :func:`neighbours`,
  :func:`codes_in_bbox`, :func:`codes_covering`.

Codes are strings of 4, 6, 8, 9, 10 or 11 digits (1st, 2nd, 3rd, half, quarter, eighth); the half,
quarter and eighth levels each add one digit 1–4 (1 SW, 2 SE, 3 NW, 4 NE). Integer codes are
accepted too; below latitude 6.67° (outside Japan) they lose their leading zero, so pass strings
there. :func:`points_to_codes` returns int64 codes; format one with
``f"{code:0{CODE_DIGITS[level]}d}"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from foundation.errors import InputError

__all__ = [
    "CELL_SIZE_M",
    "CODE_DIGITS",
    "LEVELS",
    "SNAP_TOLERANCE",
    "MeshBounds",
    "children",
    "code_bounds",
    "code_center",
    "code_level",
    "code_polygon",
    "codes_covering",
    "codes_in_bbox",
    "neighbours",
    "parent",
    "parse_level",
    "point_to_code",
    "points_to_codes",
]

LEVELS: dict[int, str] = {1: "1st", 2: "2nd", 3: "3rd", 4: "half", 5: "quarter", 6: "eighth"}
CELL_SIZE_M: dict[int, int] = {1: 80000, 2: 10000, 3: 1000, 4: 500, 5: 250, 6: 125}
CODE_DIGITS: dict[int, int] = {1: 4, 2: 6, 3: 8, 4: 9, 5: 10, 6: 11}
SNAP_TOLERANCE = 1e-9  # in eighth cells; float rounding of lat·960 or lon·640 stays below 1e-10

_LAT_UNITS = 960  # eighth cells per degree of latitude (1st mesh: 2/3 degree = 640 cells)
_LON_UNITS = 640  # eighth cells per degree of longitude
_LON_ORIGIN = 100 * _LON_UNITS
_ROWS = 64000  # eighth rows from 0° to 66.66…° (1st-mesh codes 00..99)
_COLS = 51200  # eighth columns from 100° to 180° (1st-mesh codes 00..79)
_SPAN = {1: 640, 2: 80, 3: 8, 4: 4, 5: 2, 6: 1}  # cell size in eighth cells
_LEVEL_BY_DIGITS = {digits: level for level, digits in CODE_DIGITS.items()}
_RANGE_HINT = "JIS X 0410 meshes cover latitudes 0 to 66.67 and longitudes 100 to 180 (exclusive)"
_MAX_CELLS = 1_000_000


@dataclass(frozen=True)
class MeshBounds:
    """The south-west and north-east corners of a mesh cell, in degrees."""

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        if not (self.south < self.north and self.west < self.east):
            raise InputError("mesh bounds must have south < north and west < east")


def parse_level(value: str | int) -> int:
    """Return the level 1..6 named by ``value`` (``3``, ``"3"``, ``"3rd"``, ``"half"``, …)."""
    if isinstance(value, bool):
        raise InputError("mesh level must be 1..6 or a name such as '3rd' or 'half'", field="level")
    if isinstance(value, int | np.integer) and int(value) in LEVELS:
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        for level, name in LEVELS.items():
            if text in (str(level), name):
                return level
    names = ", ".join(LEVELS.values())
    raise InputError(f"mesh level must be 1..6 or one of {names}", field="level")


# --- points to codes -----------------------------------------------------------------------------


def point_to_code(lat: float, lon: float, level: int) -> str:
    """Return the code of the ``level`` cell holding the point (``lat``, ``lon``) in degrees."""
    level = parse_level(level)
    lat_f, lon_f = _as_float(lat, "latitude"), _as_float(lon, "longitude")
    if not (lat_f >= 0 and lon_f >= 100):
        raise InputError(f"point is outside the mesh range; {_RANGE_HINT}")
    i, j = _snapped_floor(lat_f * _LAT_UNITS), _snapped_floor(lon_f * _LON_UNITS) - _LON_ORIGIN
    if not (i < _ROWS and j < _COLS):
        raise InputError(f"point is outside the mesh range; {_RANGE_HINT}")
    return _format_code(_code_from_indices(i, j, level), level)


def points_to_codes(lats: npt.ArrayLike, lons: npt.ArrayLike, level: int) -> npt.NDArray[np.int64]:
    """Return int64 codes of the cells holding each point; same answers as :func:`point_to_code`."""
    level = parse_level(level)
    lat_a, lon_a = _as_vector(lats, "latitudes"), _as_vector(lons, "longitudes")
    if lat_a.shape != lon_a.shape:
        raise InputError("latitudes and longitudes must have the same length")
    with np.errstate(invalid="ignore"):  # NaN and inf are caught just below, by index
        i_f = _snapped_floor_array(lat_a * _LAT_UNITS)
        j_f = _snapped_floor_array(lon_a * _LON_UNITS) - _LON_ORIGIN
    # NaN fails every comparison, so it is caught here too, before any cast to integers.
    inside = (lat_a >= 0) & (lon_a >= 100) & (i_f < _ROWS) & (j_f < _COLS)
    if not inside.all():
        first = int(np.flatnonzero(~inside)[0])
        raise InputError(
            f"point at index {first} is missing or outside the mesh range; {_RANGE_HINT}"
        )
    codes: npt.NDArray[np.int64] = _code_from_indices(
        i_f.astype(np.int64), j_f.astype(np.int64), level
    )
    return codes


def _as_float(value: float, name: str) -> float:
    """Convert one coordinate to a finite float or raise InputError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in degrees", field=name) from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number in degrees", field=name)
    return number


def _as_vector(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """Convert coordinates to a 1-D float64 array (missing values become NaN) or raise."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers in degrees", field=name) from None
    if array.ndim != 1:
        raise InputError(f"{name} must be a one-dimensional sequence", field=name)
    return array


def _snapped_floor(scaled: float) -> int:
    """Floor of a coordinate in eighth cells, snapping values within tolerance of an edge."""
    nearest = round(scaled)
    return nearest if abs(scaled - nearest) <= SNAP_TOLERANCE else math.floor(scaled)


def _snapped_ceil(scaled: float) -> int:
    """Ceiling of a coordinate in eighth cells, snapping values within tolerance of an edge."""
    nearest = round(scaled)
    return nearest if abs(scaled - nearest) <= SNAP_TOLERANCE else math.ceil(scaled)


def _snapped_floor_array(scaled: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Vectorised :func:`_snapped_floor`, kept in float so that NaN survives until validated."""
    nearest = np.rint(scaled)
    snapped: npt.NDArray[np.float64] = np.where(
        np.abs(scaled - nearest) <= SNAP_TOLERANCE, nearest, np.floor(scaled)
    )
    return snapped


def _code_from_indices(i: Any, j: Any, level: int) -> Any:
    """Integer code from eighth-cell indices; ``Any`` because ints and int64 arrays both work."""
    code = (i // 640) * 100 + j // 640
    if level >= 2:
        code = code * 100 + (i % 640) // 80 * 10 + (j % 640) // 80
    if level >= 3:
        code = code * 100 + (i % 80) // 8 * 10 + (j % 80) // 8
    for depth, span in ((4, 4), (5, 2), (6, 1)):
        if level >= depth:
            code = code * 10 + (i % (2 * span)) // span * 2 + (j % (2 * span)) // span + 1
    return code


def _format_code(code: int, level: int) -> str:
    """Zero-padded string form of an integer code."""
    return f"{code:0{CODE_DIGITS[level]}d}"


# --- codes to geometry ---------------------------------------------------------------------------


def code_level(code: str | int) -> int:
    """Return the level of a mesh code, after checking that its digits are valid."""
    return _parse_code(code)[0]


def code_bounds(code: str | int) -> MeshBounds:
    """Return the cell's edges in degrees, each the float nearest to the exact edge."""
    _, i, j, span = _parse_code(code)
    return MeshBounds(
        south=float(Fraction(i, _LAT_UNITS)),
        west=float(Fraction(_LON_ORIGIN + j, _LON_UNITS)),
        north=float(Fraction(i + span, _LAT_UNITS)),
        east=float(Fraction(_LON_ORIGIN + j + span, _LON_UNITS)),
    )


def code_polygon(code: str | int) -> shapely.Polygon:
    """Return the cell as a shapely rectangle in (lon, lat) order."""
    bounds = code_bounds(code)
    return shapely.box(bounds.west, bounds.south, bounds.east, bounds.north)


def code_center(code: str | int) -> tuple[float, float]:
    """Return the (lat, lon) of the cell's centre."""
    _, i, j, span = _parse_code(code)
    lat = Fraction(2 * i + span, 2 * _LAT_UNITS)
    lon = Fraction(2 * (_LON_ORIGIN + j) + span, 2 * _LON_UNITS)
    return float(lat), float(lon)


def _parse_code(code: str | int) -> tuple[int, int, int, int]:
    """Return (level, south index, west index, span) of a code, in eighth cells."""
    text = _code_text(code)
    level = _LEVEL_BY_DIGITS.get(len(text))
    if level is None:
        raise InputError("mesh code must have 4, 6, 8, 9, 10 or 11 digits", field="code")
    digits = [int(char) for char in text]
    i, j = 640 * (digits[0] * 10 + digits[1]), 640 * (digits[2] * 10 + digits[3])
    if j >= _COLS:
        raise InputError(
            "mesh code: 1st-mesh longitude digits (3rd, 4th) must be 00–79", field="code"
        )
    if level >= 2:
        i, j = i + 80 * _digit(digits, 4, 7, "2nd"), j + 80 * _digit(digits, 5, 7, "2nd")
    if level >= 3:
        i, j = i + 8 * _digit(digits, 6, 9, "3rd"), j + 8 * _digit(digits, 7, 9, "3rd")
    for position, span in ((8, 4), (9, 2), (10, 1)):
        if len(digits) > position:
            quadrant = _quadrant(digits[position], position)
            i, j = i + span * (quadrant // 2), j + span * (quadrant % 2)
    return level, i, j, _SPAN[level]


def _code_text(code: str | int) -> str:
    """The digits of a code given as a string or an integer."""
    if isinstance(code, int | np.integer) and not isinstance(code, bool) and code >= 0:
        return str(int(code))
    if isinstance(code, str) and code.strip().isascii() and code.strip().isdigit():
        return code.strip()
    raise InputError("mesh code must be a string of digits or a non-negative integer", field="code")


def _digit(digits: list[int], position: int, highest: int, level_name: str) -> int:
    """One digit of a code, checked against its highest allowed value."""
    if digits[position] > highest:
        raise InputError(
            f"mesh code: {level_name}-mesh digit {position + 1} must be 0–{highest}", field="code"
        )
    return digits[position]


def _quadrant(digit: int, position: int) -> int:
    """0..3 (SW, SE, NW, NE) from a subdivision digit 1..4."""
    if not 1 <= digit <= 4:
        raise InputError(f"mesh code: subdivision digit {position + 1} must be 1–4", field="code")
    return digit - 1


def _code_at(row: int, col: int, level: int) -> str:
    """Code of the level cell in row ``row`` and column ``col`` of that level's grid."""
    span = _SPAN[level]
    return _format_code(_code_from_indices(row * span, col * span, level), level)


# --- the hierarchy -------------------------------------------------------------------------------


def parent(code: str | int, level: int | str | None = None) -> str:
    """Return the cell of a coarser ``level`` (default: one level up) that contains ``code``."""
    own, i, j, _ = _parse_code(code)
    target = own - 1 if level is None else parse_level(level)
    if not 1 <= target <= own:
        raise InputError(
            f"a {LEVELS[own]}-level code has no parent at the level asked", field="level"
        )
    return _format_code(_code_from_indices(i, j, target), target)


def children(code: str | int) -> list[str]:
    """Return the cells one level down that tile ``code``, sorted."""
    own, i, j, span = _parse_code(code)
    if own == 6:
        raise InputError(
            "an eighth-level code has no children; it is the finest level", field="code"
        )
    step = _SPAN[own + 1]
    row, col = i // step, j // step
    count = span // step
    return sorted(
        _code_at(row + down, col + across, own + 1)
        for down in range(count)
        for across in range(count)
    )


def neighbours(code: str | int) -> list[str]:
    """Return the up-to-8 cells of the same level around ``code`` (fewer at the range's edge)."""
    level, i, j, span = _parse_code(code)
    row, col = i // span, j // span
    return sorted(
        _code_at(row + down, col + across, level)
        for down in (-1, 0, 1)
        for across in (-1, 0, 1)
        if (down, across) != (0, 0)
        and 0 <= row + down < _ROWS // span
        and 0 <= col + across < _COLS // span
    )


# --- the plane -----------------------------------------------------------------------------------


def codes_in_bbox(
    south: float,
    west: float,
    north: float,
    east: float,
    level: int,
    *,
    max_cells: int = _MAX_CELLS,
) -> list[str]:
    """Return the cells whose area overlaps the box, sorted.

    A cell that only touches the box along an edge is left out. A box of zero height or width (a
    line or a point) gives the cells holding its points, by the south/west-edge rule. More than
    ``max_cells`` cells raise InputError, so a typo cannot exhaust memory.
    """
    level = parse_level(level)
    i, j = _grid_in_bbox(south, west, north, east, level, max_cells)
    return _sorted_codes(i, j, level, np.ones(i.shape, dtype=bool))


def codes_covering(
    geometry: shapely.Geometry, level: int, *, max_cells: int = _MAX_CELLS
) -> list[str]:
    """Return the cells that a shapely (lon, lat) geometry intersects, sorted.

    For a geometry with area, a cell must share area with it (touching along an edge or at a corner
    is not enough); for points and lines any shared point counts, among the cells of the geometry's
    bounding box as :func:`codes_in_bbox` picks them.
    """
    level = parse_level(level)
    if geometry.is_empty:
        return []
    west, south, east, north = geometry.bounds
    i, j = _grid_in_bbox(south, west, north, east, level, max_cells)
    span = _SPAN[level]
    cells = shapely.box(
        (_LON_ORIGIN + j) / _LON_UNITS,
        i / _LAT_UNITS,
        (_LON_ORIGIN + j + span) / _LON_UNITS,
        (i + span) / _LAT_UNITS,
    )
    shapely.prepare(geometry)
    hits = shapely.intersects(geometry, cells)
    if geometry.area > 0:
        hits &= ~shapely.touches(geometry, cells)
    return _sorted_codes(i, j, level, hits)


def _grid_in_bbox(
    south: float, west: float, north: float, east: float, level: int, max_cells: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Eighth indices (south-west corners) of every level cell overlapping the box, flattened."""
    span = _SPAN[level]
    first_row, last_row = _index_range(
        _as_float(south, "south"), _as_float(north, "north"), _LAT_UNITS, 0
    )
    first_col, last_col = _index_range(
        _as_float(west, "west"), _as_float(east, "east"), _LON_UNITS, 100
    )
    rows = np.arange(first_row // span, last_row // span + 1, dtype=np.int64) * span
    cols = np.arange(first_col // span, last_col // span + 1, dtype=np.int64) * span
    if rows.size * cols.size > max_cells:
        raise InputError(
            f"the box spans more than {max_cells} cells at the {LEVELS[level]} "
            "level; use a smaller box or a coarser level"
        )
    i, j = np.meshgrid(rows, cols, indexing="ij")
    return i.ravel(), j.ravel()


def _index_range(low: float, high: float, units: int, origin: int) -> tuple[int, int]:
    """First and last eighth index along one axis overlapping [low, high], validated."""
    limit = _ROWS if origin == 0 else _COLS
    if not low <= high:
        raise InputError("box must have south <= north and west <= east")
    first = _snapped_floor(low * units) - origin * units
    # The last index is that of the cell just below ``high``, unless the box is flat on this axis.
    last = first if low == high else _snapped_ceil(high * units) - origin * units - 1
    if low < origin or first >= limit or last >= limit:
        raise InputError(f"box is outside the mesh range; {_RANGE_HINT}")
    return first, max(first, last)


def _sorted_codes(
    i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], level: int, keep: npt.NDArray[np.bool_]
) -> list[str]:
    """Formatted codes of the kept cells; integer order equals string order at one level."""
    codes = np.sort(_code_from_indices(i[keep], j[keep], level))
    return [_format_code(int(code), level) for code in codes]
