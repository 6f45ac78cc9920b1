"""The PNG of a map: a real PNG of the page's size, with its legend, unit and credit written."""

from __future__ import annotations

import json
import struct

import pandas as pd
import pytest

from app import basemap, map_png, maps, overlay
from geo.places import region_of_airport

REGION = region_of_airport("SHM")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT = maps.CellText(
    "秘匿", "メッシュ", unit="人", reliable="信頼", unreliable="参考", day="到着日"
)
SHEET = map_png.MapSheet(
    "訪問・滞在エリア · 到着日",
    (("#c7e9b4", "10〜20 人"), ("#0c2c84", "20〜40 人"), ("hatch", "秘匿（数値なし）")),
    ("期間 2025-08-01〜2025-08-07 · ε = 1", "市区町村（国土数値情報 N03）: 出典 国土交通省"),
)


def _deck_json() -> dict:
    codes = ["50353255", "50353266"]  # two cells near Shirahama
    cells = pd.DataFrame(
        {"mesh_code": codes, "value": [30, None], "suppressed": [False, True],
         "ci95": [8, None]}
    )  # fmt: skip
    stack = [
        *basemap.ground_layers(REGION),
        *maps.cell_layers(cells, TEXT),
        overlay.place_layer(REGION.municipality_codes, {"30401": "白浜町"}),
        *overlay.airport_layers(["SHM"], {"SHM": "南紀白浜"}),
        *overlay.scale_bar_layers(REGION.bbox),
    ]
    return dict(json.loads(maps.deck(stack, maps.view_for_bbox(REGION.bbox)).to_json()))


@pytest.fixture(scope="module")
def picture() -> map_png.MapPicture:
    return map_png.render_png(_deck_json(), REGION.bbox, SHEET)


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def test_the_picture_is_a_png_of_the_page_map_size(picture: map_png.MapPicture) -> None:
    width, height = _size(picture.png)
    assert width == 900 and 560 < height < 1000  # the map, then title, legend and footer
    assert 20_000 < len(picture.png) < 2_000_000


def test_legend_ranges_with_unit_credit_and_labels_are_written(
    picture: map_png.MapPicture,
) -> None:
    """Every legend label, the footer's period, ε and N03 credit, the place and airport names."""
    assert picture.font_found  # Debian's fonts-noto-cjk is installed on this machine
    written = set(picture.texts)
    assert {label for _, label in SHEET.legend} <= written
    assert set(SHEET.footer) <= written and SHEET.title in written
    assert any("人" in text and "〜" in text for text in written)
    assert {"白浜町", "南紀白浜"} <= written
    assert any(text.endswith(" km") for text in written)  # the scale bar


def test_the_picture_carries_no_number_of_a_withheld_cell(picture: map_png.MapPicture) -> None:
    assert not any("±" in text for text in picture.texts)  # tooltips are not part of it


def test_without_a_japanese_font_the_picture_is_still_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(map_png, "cjk_font", lambda: None)
    fallback = map_png.render_png(_deck_json(), REGION.bbox, SHEET)
    assert not fallback.font_found
    assert _size(fallback.png)[0] == 900
