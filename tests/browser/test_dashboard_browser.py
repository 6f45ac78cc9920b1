"""The dashboard in a real browser: every page opens, a release runs, the map answers a hover.

Debian's chromium (headless, software GL) renders the app served on 127.0.0.1. The visit-map test
runs the secure release from the page, waits for the deck.gl canvas, hovers the largest published
cell (its pixel found by projecting the cell centre with the view the page frames its region
with), reads the tooltip and clicks it: the municipality's drill-down opens below the map. Every
page is photographed into ``docs/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from app.i18n import text
from app.inputs import DEFAULT_DAYS
from app.maps import view_for_bbox
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from foundation.atomic import atomic_write_bytes
from geo.mesh import code_center
from geo.places import region_of_airport
from tests.app.deck_checks import check_deck

pytestmark = pytest.mark.browser

# (URL path, i18n key of the title, screenshot name, run-button labels to press)
PAGES = (
    ("", "home.title", "01-home", ()),
    ("visit-map", "visit.title", "02-visit-map", ("run.button",)),
    ("flows", "flows.title", "03-flows", ("run.button",)),
    ("repeat", "repeat.title", "04-repeat", ("run.button",)),
    ("furusato", "furusato.title", "05-furusato", ("run.button",)),
    ("preboarding", "preboarding.title", "06-preboarding", ("run.button",)),
    ("east-hokkaido", "hokkaido.title", "07-east-hokkaido", ("run.button",)),
    ("ledger", "ledger.title", "08-ledger", ()),
    ("method", "method.title", "09-method", ()),
    ("compare", "compare.title", "10-compare", ("run.button",)),
    ("hourly", "hourly.title", "11-hourly", ("run.button",)),
)
MAP_PAGES = ("visit-map", "flows", "east-hokkaido", "hourly")
WAIT_MS = 60_000
MAX_SHOT = 4000  # pixels: the tallest screenshot
TILE = 512  # deck.gl's Web Mercator world is 512 px wide at zoom 0


def open_page(tab: Any, url: str, title_key: str) -> None:
    """Go to ``url`` and wait until the page's Japanese title is shown."""
    tab.goto(url, wait_until="domcontentloaded")
    heading = tab.locator("h1").filter(has_text=text(title_key, "ja"))
    heading.first.wait_for(state="visible", timeout=WAIT_MS)


def wait_idle(tab: Any) -> None:
    """Wait until the page's script has finished its run (Streamlit marks the app's root).

    A click on a chart sent while an earlier rerun is still drawing can reach a chart that
    rerun replaces; waiting for the run to end first makes the click land on the chart shown.
    """
    tab.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=WAIT_MS
    )


def click_until(tab: Any, at: tuple[float, float], shown: Any, failed: Path) -> None:
    """Click the canvas at ``at`` until ``shown`` appears (three tries, 30 s each).

    On a loaded machine deck.gl can drop a click that lands while it is still drawing; a reader
    clicks again. If ``shown`` never appears, the page is photographed to ``failed`` and its
    error boxes, if any, are in the message.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        wait_idle(tab)
        tab.mouse.click(*at)
        try:
            shown.wait_for(timeout=WAIT_MS // 2)
            return
        except PlaywrightTimeout:
            continue
    atomic_write_bytes(failed, tab.screenshot(full_page=True))
    errors = tab.locator('[data-testid="stException"]').all_inner_texts()
    raise AssertionError(f"nothing appeared after three clicks; page errors: {errors}")


def run_release(tab: Any, label_key: str = "run.button") -> None:
    """Press a run button and wait for the status to say the release is published."""
    tab.get_by_role("button", name=text(label_key, "ja")).first.click(timeout=WAIT_MS)
    tab.get_by_text(text("run.done", "ja")).first.wait_for(timeout=WAIT_MS)


def photograph(tab: Any, folder: Path, name: str, *, whole: bool = True) -> Path:
    """A PNG of the whole page (or of the viewport as it is), written atomically.

    Streamlit scrolls inside its main section, not the document, so the viewport is made as tall
    as that section's content for the shot and restored afterwards.
    """
    # Let charts, tables (glide-data-grid paints a canvas late) and the map draw their first frame.
    for grid in tab.locator('[data-testid="stDataFrame"] canvas').all():
        grid.wait_for(state="visible", timeout=WAIT_MS)
    tab.wait_for_timeout(1200)
    if not whole:
        path = folder / f"{name}.png"
        atomic_write_bytes(path, tab.screenshot())
        return path
    size = tab.viewport_size
    height = tab.evaluate(
        "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
    )
    tab.set_viewport_size({"width": size["width"], "height": min(max(height, 700), MAX_SHOT)})
    tab.wait_for_timeout(600)  # the map redraws at the new size
    path = folder / f"{name}.png"
    atomic_write_bytes(path, tab.screenshot())
    tab.set_viewport_size(size)
    return path


def _world(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at ``zoom``."""
    size = TILE * 2**zoom
    y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2
    return (lon + 180) / 360 * size, y * size


def pixel_of(code: str, view: dict[str, Any], box: dict[str, float]) -> tuple[float, float]:
    """Where the centre of mesh cell ``code`` is drawn on a canvas with an unpitched ``view``."""
    lat, lon = code_center(code)
    x, y = _world(lat, lon, view["zoom"])
    centre_x, centre_y = _world(view["latitude"], view["longitude"], view["zoom"])
    return box["x"] + box["width"] / 2 + x - centre_x, box["y"] + box["height"] / 2 + y - centre_y


def largest_published_cell(workspace: Path, data_dir: Path) -> tuple[str, int | None]:
    """The page's default release served again from the ledger (free): its largest cell on
    arrival day, or (its first cell, None) when every cell is withheld — as on the tiny world,
    whose busiest cell (12 people) is below the ±53 of ε = 1."""
    service = CrossmeshService.open(workspace, data_dir)
    status = service.status()
    assert status.start is not None and status.end is not None
    end = min(status.end, status.start + dt.timedelta(days=DEFAULT_DAYS - 1))
    spec = QuerySpec(kind="visit-map", airport="SHM", start=status.start, end=end, epsilon=1.0)
    frame = service.release(service.fit(spec)).to_frame()  # as the page fits it
    first_day = frame[frame["day_offset"].astype(int) == 0]
    shown = first_day[~first_day["suppressed"]]
    if shown.empty:
        return str(first_day.iloc[len(first_day) // 2]["mesh_code"]), None
    best = shown.sort_values("value", ascending=False).iloc[0]
    return str(best["mesh_code"]), int(best["value"])


def test_visit_map_release_map_and_tooltip(
    tab: Any, app_url: str, browser_workspace: tuple[Path, Path], screenshot_dir: Path
) -> None:
    """Run the release in the page, wait for the map canvas, hover a cell, read its tooltip."""
    received: list[bytes | str] = []
    tab.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda frame: received.append(frame)),
    )
    open_page(tab, f"{app_url}/visit-map", "visit.title")
    run_release(tab)
    chart = tab.locator('[data-testid="stDeckGlJsonChart"]').first
    canvas = chart.locator("canvas").first
    canvas.wait_for(state="visible", timeout=WAIT_MS)
    # Arcs pitch the view; an unpitched map lets the test project a cell to its pixel.
    tab.get_by_text(text("visit.arcs", "ja")).first.click()
    tab.wait_for_timeout(500)  # the toggle's rerun starts
    wait_idle(tab)
    tab.wait_for_timeout(1000)  # the map draws its first frame
    code, value = largest_published_cell(*browser_workspace)
    view = _view_from_defaults()
    assert view["pitch"] == 0
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = pixel_of(code, view, box)
    tab.mouse.move(x - 3, y - 3)
    tab.mouse.move(x, y, steps=4)
    tooltip = tab.locator(".deck-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    shown = tooltip.inner_text()
    if value is None:  # a withheld cell: its words, never a number
        assert code in shown and "±" not in shown
        assert text("map.suppressed", "ja") in shown or text("map.withheld", "ja") in shown
    else:
        assert code in shown and f"{value:,}" in shown and "±" in shown
        assert text("map.unit", "ja") in shown and text("visit.arrival_day", "ja") in shown
    photograph(tab, screenshot_dir, "02-visit-map-tooltip", whole=False)
    check_deck_spec(last_deck_spec(received))
    # A click on the cell opens its municipality below the map (the chart's selection reruns).
    place = shown.splitlines()[1].strip()
    drill = tab.get_by_text(text("visit.drill_cells", "ja", area=place))
    click_until(tab, (x, y), drill.first, screenshot_dir / "failed-visit-drill.png")
    drill.first.scroll_into_view_if_needed()
    photograph(tab, screenshot_dir, "12-visit-drill", whole=False)


DECK_START = '{\n  "initialViewState"'  # pydeck's JSON (sorted keys, indent 2) opens so


def last_deck_spec(frames: list[bytes | str]) -> dict[str, Any]:
    """The last deck JSON Streamlit sent the page (read out of its websocket messages)."""
    decoder = json.JSONDecoder()
    for frame in reversed(frames):
        data = frame if isinstance(frame, str) else frame.decode("utf-8", errors="replace")
        start = data.rfind(DECK_START)
        if start >= 0:
            spec, _ = decoder.raw_decode(data[start:])
            return dict(spec)
    raise AssertionError("the page received no deck.gl spec")


def check_deck_spec(spec: dict[str, Any]) -> None:
    """Base layers present; every text layer's character set covers every label it draws;
    every pickable record carries its tooltip words (:mod:`tests.app.deck_checks`)."""
    check_deck(spec)
    assert spec["initialViewState"]["pitch"] == 0


def _view_from_defaults() -> dict[str, Any]:
    """The view the visit map frames its region with (the same function the page calls)."""

    state = view_for_bbox(region_of_airport("SHM").bbox)
    return {
        "latitude": state.latitude,
        "longitude": state.longitude,
        "zoom": state.zoom,
        "pitch": state.pitch,
    }


@pytest.mark.parametrize(("path", "title_key", "name", "runs"), PAGES, ids=[p[2] for p in PAGES])
def test_every_page_opens_and_is_photographed(
    tab: Any,
    app_url: str,
    screenshot_dir: Path,
    path: str,
    title_key: str,
    name: str,
    runs: tuple[str, ...],
) -> None:
    """Each page opens at its own URL, runs its release if it has one, and is photographed; a
    map page's deck (as the browser received it) has its ground, glyphs and tooltip words."""
    received: list[bytes | str] = []
    tab.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda frame: received.append(frame)),
    )
    open_page(tab, f"{app_url}/{path}", title_key)
    for label_key in runs:
        run_release(tab, label_key)
    if path in MAP_PAGES:
        tab.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=WAIT_MS)
        check_deck_spec(last_deck_spec(received))
        # The PNG button is drawn under the map, after it: waited for, not counted at once.
        tab.get_by_role("button", name=text("download.png", "ja")).first.wait_for(timeout=WAIT_MS)
    assert not tab.locator('[data-testid="stException"]').count()
    assert photograph(tab, screenshot_dir, name).stat().st_size > 10_000


HOUR_SHOWN = """() => {
    const values = Array.from(document.querySelectorAll('[data-testid="stSliderThumbValue"]'));
    const hour = values.map(v => v.textContent.trim()).find(t => /^[0-9]+:00$/.test(t));
    return hour === undefined ? -1 : parseInt(hour, 10);
}"""


def test_hourly_playback_advances_the_hour_on_the_map(tab: Any, app_url: str) -> None:
    """The hour × place view plays back: with 再生 on, the hour slider moves on by itself (once a
    second) and the map is redrawn; with it off, the hour stays."""
    open_page(tab, f"{app_url}/hourly", "hourly.title")
    run_release(tab)
    tab.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=WAIT_MS)
    tab.wait_for_function(f"() => ({HOUR_SHOWN})() >= 0", timeout=WAIT_MS)
    before = int(tab.evaluate(HOUR_SHOWN))
    play = tab.get_by_text(text("hourly.play", "ja"), exact=True).first
    play.click(timeout=WAIT_MS)
    tab.wait_for_function(
        f"(before) => {{ const h = ({HOUR_SHOWN})(); return h >= 0 && h !== before; }}",
        arg=before,
        timeout=WAIT_MS,
    )
    assert int(tab.evaluate(HOUR_SHOWN)) in ((before + 1) % 24, (before + 2) % 24)
    play.click(timeout=WAIT_MS)  # stop
    tab.wait_for_timeout(2500)
    stopped = int(tab.evaluate(HOUR_SHOWN))
    tab.wait_for_timeout(2500)
    assert int(tab.evaluate(HOUR_SHOWN)) == stopped
    tab.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=WAIT_MS)
    assert not tab.locator('[data-testid="stException"]').count()
