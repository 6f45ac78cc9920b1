"""Tests of geo.mesh: codes, edges, bounds, hierarchy and cover, with jismesh as the oracle."""

from __future__ import annotations

from fractions import Fraction

import jismesh.utils as jismesh
import numpy as np
import pytest
import shapely

from foundation.errors import InputError
from geo import mesh

LEVELS = range(1, 7)
TOKYO_STATION = (35.681236, 139.767125)
TOKYO_CODES = {
    1: "5339",
    2: "533946",
    3: "53394611",
    4: "533946113",
    5: "5339461132",
    6: "53394611323",
}


def random_codes(level: int, count: int, seed: int) -> list[str]:
    """Codes of cells holding random points over Japan's extent."""
    rng = np.random.default_rng(seed)
    lats, lons = rng.uniform(24, 46, count), rng.uniform(123, 154, count)
    return [mesh.point_to_code(lat, lon, level) for lat, lon in zip(lats, lons, strict=True)]


# --- levels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [(1, 1), ("2", 2), ("3rd", 3), ("half", 4), ("Quarter", 5), (" eighth ", 6), (np.int64(6), 6)],
)
def test_parse_level_accepts_numbers_and_names(value: str | int, level: int) -> None:
    """Levels can be given as 1..6, digit strings or the JIS names."""
    assert mesh.parse_level(value) == level


@pytest.mark.parametrize("value", [0, 7, "7", "tenth", "", True, 3.0])
def test_parse_level_rejects_unknown_levels(value: object) -> None:
    """Anything but a known level is an InputError."""
    with pytest.raises(InputError, match="mesh level"):
        mesh.parse_level(value)  # type: ignore[arg-type]


# --- points to codes ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_tokyo_station_codes(level: int) -> None:
    """Tokyo Station lands in its published cells at every level."""
    assert mesh.point_to_code(*TOKYO_STATION, level) == TOKYO_CODES[level]
    vector = mesh.points_to_codes([TOKYO_STATION[0]], [TOKYO_STATION[1]], level)
    assert vector.dtype == np.int64
    assert vector.tolist() == [int(TOKYO_CODES[level])]


def test_codes_agree_with_jismesh_on_random_interior_points() -> None:
    """10^5 seeded points away from edges get jismesh's codes at all six levels."""
    rng = np.random.default_rng(20240601)
    lats, lons = rng.uniform(20, 46, 100_000), rng.uniform(122, 154, 100_000)
    lat_gap = np.abs(lats * 960 - np.rint(lats * 960)) / 960
    lon_gap = np.abs(lons * 640 - np.rint(lons * 640)) / 640
    away = (lat_gap > 1e-9) & (lon_gap > 1e-9)
    lats, lons = lats[away], lons[away]
    for level in LEVELS:
        expected = jismesh.to_meshcode(lats, lons, level)
        np.testing.assert_array_equal(mesh.points_to_codes(lats, lons, level), expected)


@pytest.mark.parametrize("level", LEVELS)
def test_scalar_and_vector_agree_including_edges(level: int) -> None:
    """The vectorised form gives the scalar answers, also on and next to cell edges."""
    codes = random_codes(level, 40, seed=level)
    lats = [mesh.code_bounds(code).south for code in codes] + [35.675, 35.0, 45.999999999999]
    lons = [mesh.code_bounds(code).west for code in codes] + [139.7625, 139.0, 141.00000000001]
    pairs = zip(lats, lons, strict=True)
    expected = [int(mesh.point_to_code(lat, lon, level)) for lat, lon in pairs]
    assert mesh.points_to_codes(np.array(lats), np.array(lons), level).tolist() == expected


def test_million_points_vectorise() -> None:
    """10^6 points vectorise in one call and agree with the scalar path on a sample."""
    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(24, 46, 1_000_000), rng.uniform(123, 154, 1_000_000)
    codes = mesh.points_to_codes(lats, lons, 6)
    assert codes.shape == (1_000_000,)
    for i in rng.integers(0, 1_000_000, 50):
        assert str(codes[i]) == mesh.point_to_code(float(lats[i]), float(lons[i]), 6)


# --- edges --------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_south_and_west_edges_belong_to_the_cell(level: int) -> None:
    """Corner, south-edge and west-edge points of many cells map to that cell."""
    for code in random_codes(level, 60, seed=100 + level):
        bounds = mesh.code_bounds(code)
        mid_lat, mid_lon = mesh.code_center(code)
        for lat, lon in (
            (bounds.south, bounds.west),
            (bounds.south, mid_lon),
            (mid_lat, bounds.west),
        ):
            assert mesh.point_to_code(lat, lon, level) == code


@pytest.mark.parametrize("level", LEVELS)
def test_north_and_east_edges_belong_to_the_next_cell(level: int) -> None:
    """North-edge points go to the cell above, east-edge to the right, the NE corner diagonally."""
    for code in random_codes(level, 60, seed=200 + level):
        bounds = mesh.code_bounds(code)
        mid_lat, mid_lon = mesh.code_center(code)
        north = mesh.point_to_code(bounds.north, mid_lon, level)
        east = mesh.point_to_code(mid_lat, bounds.east, level)
        corner = mesh.point_to_code(bounds.north, bounds.east, level)
        assert mesh.code_bounds(north).south == bounds.north
        assert mesh.code_bounds(east).west == bounds.east
        assert mesh.code_bounds(corner).south == bounds.north
        assert mesh.code_bounds(corner).west == bounds.east
        assert {north, east, corner} <= set(mesh.neighbours(code))


def test_edges_typed_as_decimals_or_arithmetic_land_north_and_east() -> None:
    """Edges written as 35 + 40/60 or 35.675 (not exact floats) count as on the edge."""
    assert mesh.point_to_code(35 + 40 / 60, 139 + 45 / 60, 2) == "533946"
    assert mesh.point_to_code(35.675, 139.7625, 3) == "53394611"
    assert mesh.point_to_code(35 + 40 / 60 + 30 / 3600, 139 + 45 / 60 + 45 / 3600, 3) == "53394611"
    assert mesh.point_to_code(35.675 + 15 / 3600, 139.7625 + 22.5 / 3600, 4) == "533946114"
    assert mesh.point_to_code(35.674999999, 139.762499999, 3) == "53394600"


def test_exact_float_edges_at_the_first_mesh() -> None:
    """Whole-degree edges are exact floats: 35.0, 139.0 open cell 5239 at every level."""
    assert mesh.point_to_code(35.0, 139.0, 1) == "5239"
    assert mesh.point_to_code(35.0, 139.0, 6) == "52394000111"
    below = mesh.code_bounds(mesh.point_to_code(35.0 - 1e-11, 139.0, 3))
    left = mesh.code_bounds(mesh.point_to_code(35.0, 139.0 - 1e-11, 3))
    assert (below.north, below.west) == (35.0, 139.0)
    assert (left.south, left.east) == (35.0, 139.0)


def test_points_within_snap_tolerance_count_as_on_the_edge() -> None:
    """A float one ulp below an edge (within ~1e-12 degrees) is snapped onto it."""
    assert mesh.point_to_code(np.nextafter(35.0, 0), np.nextafter(139.0, 0), 3) == "52394000"
    vector = mesh.points_to_codes([np.nextafter(35.0, 0)] * 2, [np.nextafter(139.0, 0)] * 2, 3)
    assert vector.tolist() == [52394000, 52394000]


# --- out of range and bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (-1e-6, 139.0),
        (66.67, 139.0),
        (200 / 3, 139.0),
        (35.0, 99.999),
        (35.0, 180.0),
        (float("nan"), 139.0),
        (35.0, float("inf")),
    ],
)
def test_points_outside_the_mesh_range_raise(lat: float, lon: float) -> None:
    """Points off the JIS X 0410 range raise InputError, scalar and vectorised."""
    with pytest.raises(InputError, match=r"mesh range|finite"):
        mesh.point_to_code(lat, lon, 3)
    with pytest.raises(InputError, match="index 1 "):
        mesh.points_to_codes([35.0, lat, lat], [139.0, lon, lon], 3)


def test_vector_input_shape_and_type_errors() -> None:
    """Mismatched lengths, 2-D input and text raise InputError."""
    with pytest.raises(InputError, match="same length"):
        mesh.points_to_codes([35.0, 35.1], [139.0], 3)
    with pytest.raises(InputError, match="one-dimensional"):
        mesh.points_to_codes([[35.0]], [[139.0]], 3)
    with pytest.raises(InputError, match="numbers"):
        mesh.points_to_codes(["north"], [139.0], 3)
    with pytest.raises(InputError, match="latitude"):
        mesh.point_to_code("north", 139.0, 3)  # type: ignore[arg-type]


def test_empty_vector_gives_empty_codes() -> None:
    """No points, no codes."""
    assert mesh.points_to_codes([], [], 3).shape == (0,)


# --- codes to geometry --------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "level"), [(c, lv) for lv, c in TOKYO_CODES.items()])
def test_code_level_by_digit_count(code: str, level: int) -> None:
    """The level follows from the number of digits, for strings and integers."""
    assert mesh.code_level(code) == level
    assert mesh.code_level(int(code)) == level


@pytest.mark.parametrize(
    "code",
    [
        "533",
        "5339461",
        "533946113231",
        "5339x",
        "5380",
        "533980",
        "533908",
        "533946110",
        "533946115",
        "5339461135",
        "53394611329",
        "",
        "-5339",
        -5339,
        True,
        5339.0,
        "５３３９",
    ],
)
def test_bad_codes_raise(code: object) -> None:
    """Wrong lengths, non-digits and out-of-range digits are InputError naming the code field."""
    with pytest.raises(InputError, match="code"):
        mesh.code_level(code)  # type: ignore[arg-type]


def test_code_bounds_are_exact_fractions() -> None:
    """Bounds are the floats nearest to the exact edges k/960 and 100 + k/640."""
    bounds = mesh.code_bounds("533946")
    assert bounds == mesh.MeshBounds(
        south=float(Fraction(107, 3)), west=139.75, north=35.75, east=139.875
    )
    eighth = mesh.code_bounds("53394611323")
    assert eighth.south == float(Fraction(34253, 960))
    assert eighth.west == float(Fraction(64000 + 25450, 640))


@pytest.mark.parametrize("level", LEVELS)
def test_bounds_and_centre_round_trip(level: int) -> None:
    """The centre of a cell's bounds and its polygon's centroid map back to the code."""
    for code in random_codes(level, 50, seed=300 + level):
        lat, lon = mesh.code_center(code)
        bounds = mesh.code_bounds(code)
        assert bounds.south < lat < bounds.north and bounds.west < lon < bounds.east
        assert mesh.point_to_code(lat, lon, level) == code
        centroid = mesh.code_polygon(code).centroid
        assert mesh.point_to_code(centroid.y, centroid.x, level) == code


def test_cell_sizes_are_nominal() -> None:
    """A 3rd-level cell near Tokyo is about 1 km on a side (30'' by 45'')."""
    bounds = mesh.code_bounds(TOKYO_CODES[3])
    assert bounds.north - bounds.south == pytest.approx(30 / 3600)
    assert bounds.east - bounds.west == pytest.approx(45 / 3600)
    assert mesh.CELL_SIZE_M[3] == 1000 and mesh.LEVELS[4] == "half"


def test_mesh_bounds_validate() -> None:
    """Empty or inverted bounds are refused."""
    with pytest.raises(InputError, match="south < north"):
        mesh.MeshBounds(south=35.0, west=139.0, north=35.0, east=140.0)


# --- hierarchy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "count"), [(1, 64), (2, 100), (3, 4), (4, 4), (5, 4)])
def test_children_tile_the_parent(level: int, count: int) -> None:
    """Children are sorted, one level down, inside the parent, and cover it exactly."""
    code = TOKYO_CODES[level]
    kids = mesh.children(code)
    assert len(kids) == count and kids == sorted(kids)
    assert {mesh.code_level(kid) for kid in kids} == {level + 1}
    assert {mesh.parent(kid) for kid in kids} == {code}
    union = shapely.union_all([mesh.code_polygon(kid) for kid in kids])
    assert union.symmetric_difference(mesh.code_polygon(code)).area == pytest.approx(0, abs=1e-18)


def test_half_digits_follow_sw_se_nw_ne() -> None:
    """Subdivision digits run 1 SW, 2 SE, 3 NW, 4 NE."""
    kids = mesh.children("53394611")
    centres = [mesh.code_center(kid) for kid in kids]
    assert centres[0][0] == centres[1][0] < centres[2][0] == centres[3][0]
    assert centres[0][1] == centres[2][1] < centres[1][1] == centres[3][1]


def test_parent_default_and_explicit_levels() -> None:
    """parent goes one level up by default, or to any coarser level asked."""
    assert mesh.parent(TOKYO_CODES[6]) == TOKYO_CODES[5]
    assert mesh.parent(TOKYO_CODES[6], 1) == "5339"
    assert mesh.parent(int(TOKYO_CODES[4]), "2nd") == TOKYO_CODES[2]
    with pytest.raises(InputError):
        mesh.parent("5339")
    with pytest.raises(InputError):
        mesh.parent(TOKYO_CODES[3], 4)


def test_eighth_cells_have_no_children() -> None:
    """The finest level cannot be split."""
    with pytest.raises(InputError, match="finest"):
        mesh.children(TOKYO_CODES[6])


@pytest.mark.parametrize("level", LEVELS)
def test_neighbours_are_the_eight_adjacent_cells(level: int) -> None:
    """Each neighbour touches the cell, has its level and size, and there are eight."""
    code = TOKYO_CODES[level]
    around = mesh.neighbours(code)
    assert len(around) == 8 and around == sorted(around) and code not in around
    cell = mesh.code_polygon(code)
    for other in around:
        assert mesh.code_level(other) == level
        assert cell.touches(mesh.code_polygon(other))


def test_neighbours_stop_at_the_range_edges() -> None:
    """Cells in the corners of the mesh range have three neighbours."""
    assert mesh.neighbours("0000") == ["0001", "0100", "0101"]
    assert mesh.neighbours("9979") == ["9878", "9879", "9978"]
    assert len(mesh.neighbours("00000000")) == 3


def test_neighbours_cross_parent_boundaries() -> None:
    """A 3rd-level cell on a 2nd-mesh corner has neighbours in four 2nd-level cells."""
    around = mesh.neighbours("53394600")
    assert {mesh.parent(code) for code in around} == {"533946", "533936", "533945", "533935"}


# --- the plane ----------------------------------------------------------------------------------


def test_codes_in_bbox_small_box() -> None:
    """A box around Tokyo Station picks the 2×2 3rd-level cells it overlaps."""
    lat, lon = TOKYO_STATION
    got = mesh.codes_in_bbox(lat - 0.005, lon - 0.005, lat + 0.005, lon + 0.005, 3)
    assert got == ["53394610", "53394611", "53394620", "53394621"]


def test_codes_in_bbox_leaves_out_cells_that_only_touch() -> None:
    """A box equal to a 2nd-level cell holds exactly its 100 children."""
    bounds = mesh.code_bounds("533946")
    got = mesh.codes_in_bbox(bounds.south, bounds.west, bounds.north, bounds.east, 3)
    assert got == mesh.children("533946")


def test_codes_in_bbox_degenerate_box_is_a_point() -> None:
    """A zero-size box on a corner gives the cell holding that point."""
    bounds = mesh.code_bounds("533946")
    got = mesh.codes_in_bbox(bounds.south, bounds.west, bounds.south, bounds.west, 2)
    assert got == ["533946"]


def test_codes_in_bbox_bad_boxes_raise() -> None:
    """Inverted, out-of-range and huge boxes are InputError."""
    with pytest.raises(InputError, match="south <= north"):
        mesh.codes_in_bbox(36.0, 139.0, 35.0, 140.0, 3)
    with pytest.raises(InputError, match="mesh range"):
        mesh.codes_in_bbox(35.0, 179.0, 36.0, 181.0, 3)
    with pytest.raises(InputError, match="more than"):
        mesh.codes_in_bbox(30.0, 130.0, 40.0, 140.0, 6, max_cells=1000)


def test_codes_covering_a_triangle_matches_area_overlap() -> None:
    """Cells listed for a triangle are exactly those sharing area with it."""
    triangle = shapely.Polygon([(139.70, 35.60), (139.80, 35.62), (139.74, 35.70)])
    got = mesh.codes_covering(triangle, 3)
    west, south, east, north = triangle.bounds
    candidates = mesh.codes_in_bbox(south, west, north, east, 3)
    expected = [c for c in candidates if mesh.code_polygon(c).intersection(triangle).area > 0]
    assert got == expected and 0 < len(got) < len(candidates)


def test_codes_covering_a_cell_polygon_and_a_point() -> None:
    """A cell's own polygon covers itself (not its touching neighbours); a point covers one cell."""
    polygon = mesh.code_polygon("53394611")
    assert mesh.codes_covering(polygon, 3) == ["53394611"]
    assert mesh.codes_covering(polygon, 4) == mesh.children("53394611")
    point = shapely.Point(TOKYO_STATION[1], TOKYO_STATION[0])
    assert mesh.codes_covering(point, 6) == [TOKYO_CODES[6]]
    assert mesh.codes_covering(shapely.Polygon(), 3) == []
