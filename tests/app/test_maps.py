"""pydeck layers of released values: exact cells, suppressed cells without numbers, arcs, views."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from app import basemap, maps, overlay, projection
from geo.areas import N03Areas
from geo.mesh import code_bounds
from geo.places import AIRPORTS, MUNICIPALITIES, REGIONS

TEXT = maps.CellText(
    suppressed="秘匿", mesh="メッシュ", unit="人", reliable="信頼できる値", unreliable="参考値",
    withheld="人数が少ないため公開していません", day="到着後1日目",
)  # fmt: skip


def cells() -> pd.DataFrame:
    """Two published cells and one suppressed one."""
    return pd.DataFrame(
        {
            "mesh_code": ["50353224", "50353225", "50353226"],
            "value": pd.array([12, 40, None], dtype="Int64"),
            "suppressed": [False, False, True],
            "ci95": pd.array([5, 5, None], dtype="Int64"),
        }
    )


def test_published_cells_are_exact_jis_cells_with_value_and_interval() -> None:
    """A published cell's polygon is its JIS cell; it carries value, interval and colour."""
    published, _ = maps.cell_records(cells(), TEXT)
    first = published[0]
    bounds = code_bounds("50353224")
    xs = {x for x, _ in first["polygon"]}
    ys = {y for _, y in first["polygon"]}
    assert xs == {round(bounds.west, 7), round(bounds.east, 7)}
    assert ys == {round(bounds.south, 7), round(bounds.north, 7)}
    assert first["value"] == 12 and first["ci95"] == 5 and first["tip"] == "12 ± 5 人"
    assert published[1]["fill"] != first["fill"]


def test_suppressed_cells_carry_no_number_at_all() -> None:
    """A suppressed cell: no value, interval or colour, and no digit in its tooltip text."""
    _, suppressed = maps.cell_records(cells(), TEXT)
    [record] = suppressed
    assert set(record) == {
        "code",
        "title",
        "tip",
        "polygon",
        "suppressed",
        "place",
        "day",
        "status",
    }
    assert record["suppressed"] is True and not re.search(r"\d", record["tip"])


def test_cell_layers_split_published_and_suppressed() -> None:
    """Two layers; the suppressed one is drawn in one constant grey."""
    view = maps.view_for_bbox(REGIONS["nanki_shirahama"].bbox)
    spec = json.loads(maps.deck(maps.cell_layers(cells(), TEXT), view).to_json())
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert len(layers["cells"]["data"]) == 2 and len(layers["cells-suppressed"]["data"]) == 1
    assert layers["cells-suppressed"]["getFillColor"] == list(maps.SUPPRESSED_FILL)
    assert spec["initialViewState"]["pitch"] == 0


def test_arcs_go_to_published_areas_only_largest_first() -> None:
    """Arcs leave the airport for published municipalities; suppressed ones get none."""
    areas = pd.DataFrame(
        {
            "municipality_code": ["30401", "30206", "30391"],
            "value": pd.array([50, None, 20], dtype="Int64"),
            "suppressed": [False, True, False],
            "ci95": pd.array([9, None, 9], dtype="Int64"),
        }
    )
    targets = maps.municipality_targets(areas, {"30401": "白浜町"})
    layer = maps.arc_layer("SHM", targets, limit=1)
    [arc] = layer.data
    assert arc["code"] == "30401" and arc["value"] == 50 and arc["title"] == "SHM → 白浜町"
    dots = {layer.id: layer.data for layer in maps.area_layers(targets, TEXT)}
    assert [d["code"] for d in dots["areas-suppressed"]] == ["30206"]
    assert "value" not in dots["areas-suppressed"][0]


def test_colours_rise_with_value() -> None:
    """Larger values are darker on the scale (lower red channel in YlGnBu)."""
    reds = [maps.value_colour(value, 100)[0] for value in (0, 10, 50, 100)]
    assert reds == sorted(reds, reverse=True)
    assert maps.legend_stops(100, 10)[0][1] == 10


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_view_frames_the_whole_region(region: str) -> None:
    """The flat view is centred on the region and zoomed so that the box fits the map."""
    south, west, north, east = REGIONS[region].bbox
    view = maps.view_for_bbox(REGIONS[region].bbox)
    assert view.latitude == pytest.approx((south + north) / 2)
    world = projection.WORLD_PX * 2**view.zoom
    assert (east - west) / 360 * world <= maps.MAP_WIDTH


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_land_layer_has_an_area_per_municipality(region: str) -> None:
    """The offline land layer draws every municipality of the region that has anchors."""
    areas = basemap.approximate_areas(REGIONS[region])
    assert {code for code, _ in areas} <= set(REGIONS[region].municipality_codes)
    assert len(areas) >= len(REGIONS[region].municipality_codes) * 0.8
    layer = basemap.land_layer(REGIONS[region])
    assert layer.data and not any("value" in record for record in layer.data)


def test_land_layer_draws_imported_n03_boundaries() -> None:
    """With an N03 file, the land is the region's municipalities in their exact shapes."""
    source = Path(__file__).resolve().parents[3] / "shared" / "geo" / "N03-21_30_210101.json"
    if not source.exists():
        pytest.skip(f"MLIT N03 sample not available at {source}")
    polygons = N03Areas.from_file(source).polygons()
    region = REGIONS["nanki_shirahama"]
    codes = {code for code, _ in basemap.n03_areas(polygons, region)}
    assert codes == set(region.municipality_codes)
    assert basemap.land_layer(region, polygons).data


def _spec(layers: list[object]) -> dict[str, object]:
    view = maps.view_for_bbox(REGIONS["nanki_shirahama"].bbox)
    return json.loads(maps.deck(layers, view).to_json())  # type: ignore[arg-type, no-any-return]


def test_text_layers_carry_every_glyph_they_draw_and_a_cjk_font() -> None:
    """Each text layer's characterSet covers its labels (Japanese included); a CJK font."""
    region = REGIONS["nanki_shirahama"]
    names = {"30401": "白浜町", "30206": "田辺市", "30391": "みなべ町", "30404": "上富田町"}
    layers = [
        overlay.place_layer(region.municipality_codes, names),
        *overlay.airport_layers(["SHM"], {"SHM": "SHM 南紀白浜空港"}),
        *overlay.scale_bar_layers(region.bbox),
    ]
    texts = [layer for layer in _spec(layers)["layers"] if layer["@@type"] == "TextLayer"]
    assert {layer["id"] for layer in texts} == {"places", "airport-names", "scale-text"}
    for layer in texts:
        drawn = {ch for record in layer["data"] for ch in record["text"]}
        assert drawn and drawn <= set(layer["characterSet"])
        assert "Noto Sans CJK JP" in layer["fontFamily"]
        assert layer["fontSettings"]["buffer"] >= layer["fontSettings"]["radius"]
    assert "白" in texts[0]["characterSet"]


def test_ground_layers_are_sea_land_and_outlines_without_values() -> None:
    """Sea under land, municipal and prefecture outlines; none carries a released value."""
    layers = basemap.ground_layers(REGIONS["nanki_shirahama"])
    assert [layer.id for layer in layers] == ["sea", "land", "municipal-lines", "prefecture-lines"]
    assert all(layer.data for layer in layers)
    assert not any("value" in record for layer in layers for record in layer.data)


def test_scale_bar_is_a_round_length_true_at_the_latitude() -> None:
    """The bar spans a round number of km at the region's latitude, and says so."""
    bbox = REGIONS["nanki_shirahama"].bbox
    bar, label = overlay.scale_bar_layers(bbox)
    [record] = bar.data
    (west, lat), (east, _) = record["path"][1], record["path"][2]
    km = (east - west) * overlay.KM_PER_DEGREE * math.cos(math.radians(lat))
    assert km == pytest.approx(record["km"]) and record["km"] in overlay.ROUND_KM
    assert label.data[0]["text"] == f"{record['km']:g} km"


def test_tooltip_names_place_day_value_unit_and_reliability() -> None:
    """Every pickable record fills every tooltip field; a withheld cell is hatched, no number."""
    layers = maps.cell_layers(cells(), TEXT, {"50353224": "白浜町"})
    spec = _spec(layers)
    assert all(f"{{{field}}}" in spec_tooltip() for field in maps.TOOLTIP_FIELDS)
    by_id = {layer["id"]: layer for layer in spec["layers"]}
    first = by_id["cells"]["data"][0]
    assert (first["place"], first["day"], first["tip"]) == ("白浜町", "到着後1日目", "12 ± 5 人")
    assert (
        first["status"] == "信頼できる値" and by_id["cells"]["data"][1]["status"] == "信頼できる値"
    )
    [hidden] = by_id["cells-suppressed"]["data"]
    assert hidden["status"] == TEXT.withheld and "value" not in hidden
    assert len(by_id["cells-hatch"]["data"]) == 3


def spec_tooltip() -> str:
    """The deck's tooltip template."""
    return maps.TOOLTIP_HTML


def test_a_wide_interval_is_marked_as_a_rough_figure() -> None:
    """A value whose interval exceeds half of it is a rough figure, not a reliable one."""
    assert maps.status_text(10, 9, TEXT) == "参考値"
    assert maps.status_text(100, 20, TEXT) == "信頼できる値"


def _bounds(label: str) -> tuple[int, int]:
    """``"10〜16 人"`` → (10, 16); ``"11 人"`` → (11, 11)."""
    numbers = [int(part.replace(",", "")) for part in re.findall(r"[\d,]+", label)]
    return numbers[0], numbers[-1]


@pytest.mark.parametrize(("top", "low"), [(120, 10), (3000, 0), (12, 10), (11, 10)])
def test_legend_bins_are_exact_ranges_of_people_with_their_unit(top: int, low: int) -> None:
    """Whole people: the ranges follow each other without overlap from ``low`` to ``top``."""
    from app.ui import legend_entries

    entries = legend_entries(top, low)
    assert entries and all(label.endswith(" 人") for _, label in entries)
    bounds = [_bounds(label) for _, label in entries]
    assert bounds[0][0] == low and bounds[-1][1] == top
    for (_, high), (next_low, _) in itertools.pairwise(bounds):
        assert next_low == high + 1
    assert all(start <= end for start, end in bounds)
    assert legend_entries(low, low) == []  # nothing shown: no ranges to explain


def _kept_boxes(region_id: str, *, declutter: bool) -> tuple[list[overlay.Box], list[str]]:
    """The screen boxes of a region's airports and place names at its first view, and the
    names drawn (Japanese)."""
    region = REGIONS[region_id]
    zoom = float(maps.view_for_bbox(region.bbox).zoom)
    names = {code: place.name_ja for code, place in MUNICIPALITIES.items()}
    airport_names = {code: f"{code} {AIRPORTS[code].name_ja}" for code in region.airports}
    airports = overlay.airport_boxes(region.airports, airport_names, zoom)
    layer = overlay.place_layer(
        region.municipality_codes, names, zoom=zoom if declutter else None, clear_of=airports
    )
    boxes = [
        overlay.label_box(record["text"], *record["position"], zoom, size=overlay.PLACE_SIZE)
        for record in layer.data
    ]
    return airports + boxes, [record["text"] for record in layer.data]


def _overlapping(boxes: list[overlay.Box]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_place_names_overlap_no_airport_and_no_other_name(region: str) -> None:
    """At a region's first view no two names (places, airports, airport dots) overlap."""
    boxes, drawn = _kept_boxes(region, declutter=True)
    airports = 2 * len(REGIONS[region].airports)  # a dot and a name each, placed first
    clashes = [(i, j) for i, j in _overlapping(boxes) if j >= airports]
    assert clashes == [], [drawn[j - airports] for _, j in clashes]
    assert len(drawn) >= len(REGIONS[region].municipality_codes) // 2, "too few names left"


def test_east_hokkaido_names_clashed_before_and_cities_keep_theirs() -> None:
    """Without the layout the East Hokkaido map's names run into its airports' names; with it,
    the cities (釧路市, 網走市, 北見市…) keep their names and towns give way."""
    boxes, _ = _kept_boxes("east_hokkaido", declutter=False)
    assert _overlapping(boxes[6:]) or [p for p in _overlapping(boxes) if p[0] < 6 <= p[1]]
    _, drawn = _kept_boxes("east_hokkaido", declutter=True)
    cities = [
        MUNICIPALITIES[code].name_ja
        for code in REGIONS["east_hokkaido"].municipality_codes
        if code[2] == "2"
    ]
    assert cities and set(cities) <= set(drawn)
