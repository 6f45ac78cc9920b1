"""What a planner downloads in the browser: a CSV for Japanese Excel (BOM, metadata, headers)
and a PNG of the map."""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path
from typing import Any

import pytest

from app.i18n import text
from tests.browser.test_dashboard_browser import WAIT_MS, open_page, run_release

pytestmark = pytest.mark.browser


def test_preboarding_csv_download_is_a_japanese_report(
    tab: Any, app_url: str, tmp_path: Path
) -> None:
    """Run the release, press the CSV download, read the file the browser saved."""
    open_page(tab, f"{app_url}/preboarding", "preboarding.title")
    run_release(tab)
    button = tab.get_by_role("button", name=text("download.csv", "ja")).first
    with tab.expect_download(timeout=WAIT_MS) as download:
        button.click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [text("report.item", "ja"), text("report.content", "ja")]
    block = dict(row for row in rows[1 : rows.index([])])
    assert {"ε", "δ", text("report.period", "ja"), text("report.rule", "ja")} <= set(block)
    header = rows[rows.index([]) + 1]
    assert text("col.half", "ja") in header and text("col.value", "ja") in header


def test_visit_map_png_download_is_a_picture_of_the_map(
    tab: Any, app_url: str, tmp_path: Path
) -> None:
    """Run (or reopen free) the visit map, press the PNG download, check the file is a PNG."""
    open_page(tab, f"{app_url}/visit-map", "visit.title")
    run_release(tab)
    button = tab.get_by_role("button", name=text("download.png", "ja")).first
    button.wait_for(timeout=WAIT_MS)
    with tab.expect_download(timeout=WAIT_MS) as download:
        button.click()
    saved = tmp_path / "map.png"
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 900 and height > 560 and len(data) > 20_000
    assert download.value.suggested_filename.endswith(".png")
