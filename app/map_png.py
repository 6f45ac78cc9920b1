"""A PNG of the map on screen, with its legend and credit: a picture for a report or a slide.

The browser draws a map with deck.gl; a planner who wants it in a document needs a file. This
module draws the same deck — the JSON :func:`app.maps.deck` sends to the browser, so the picture
holds exactly what the page shows (released values only, withheld cells grey and hatched) —
with matplotlib, off screen, and puts under it what a map in a report must say on its own:

* a title (the page and the day shown), the legend entries of the page (colour and range with
  its unit, e.g. ``1〜12 人``; withheld, land, sea), and
* footer lines: how the values were made (period, ε) and the boundary data's credit (N03).

Japanese needs a font that has its glyphs. :func:`cjk_font` finds Noto Sans CJK (the Debian
``fonts-noto-cjk`` package) or another Japanese font matplotlib knows; nothing is shipped. Without
one the picture is still drawn — Latin text stays legible — and :attr:`MapPicture.font_found`
says so, so the page can tell the reader to install the font.

Layers are read by their deck.gl type: ``PolygonLayer`` (cells, land, sea), ``PathLayer``
(outlines, hatching, the scale bar), ``ScatterplotLayer`` (municipality dots, airports),
``ArcLayer`` (drawn as a curve from the airport) and ``TextLayer`` (names, with a white halo).

:func:`render_png` is the one entry point; the picture it returns lists every text it drew
(:attr:`MapPicture.texts`), so tests can check the legend and credit without reading pixels.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["FONT_DIR", "MapPicture", "MapSheet", "cjk_font", "render_png"]

LOG = logging.getLogger(__name__)
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
# Families matplotlib may know from the system (Linux, macOS, Windows), tried in turn.
CJK_FAMILIES = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Hiragino Sans", "Yu Gothic",
                "Meiryo", "TakaoGothic")  # fmt: skip
DPI = 100
MAP_INCHES = (9.0, 5.6)  # 900 × 560 px, the size of the map on the page
PX_TO_PT = 72 / DPI
Colour = tuple[float, float, float, float]
Record = dict[str, Any]


@dataclass(frozen=True)
class MapSheet:
    """What is written around the map: title, legend entries and footer lines."""

    title: str
    legend: tuple[tuple[str, str], ...]  # (CSS colour "#rrggbb" or "hatch", label)
    footer: tuple[str, ...]  # e.g. the release's period and ε, the boundary data's credit


@dataclass(frozen=True)
class MapPicture:
    """The PNG bytes and whether a Japanese font was found to draw them."""

    png: bytes
    font_found: bool
    texts: tuple[str, ...]  # the text of every matplotlib text artist drawn (title, legend…)


@cache
def cjk_font() -> Path | None:
    """A font file with Japanese glyphs: Noto Sans CJK from Debian, else a system one."""
    for name in FONT_FILES:
        if (FONT_DIR / name).is_file():
            return FONT_DIR / name
    from matplotlib import font_manager

    for family in CJK_FAMILIES:
        found = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        ) if _known(family) else None  # fmt: skip
        if found:
            return Path(found)
    return None


def _known(family: str) -> bool:
    from matplotlib import font_manager

    return any(entry.name == family for entry in font_manager.fontManager.ttflist)


def _colour(value: Any, record: Record, default: Sequence[int] = (0, 0, 0, 255)) -> Colour:
    """A deck.gl colour (constant list or ``@@=field`` accessor) as matplotlib RGBA."""
    if isinstance(value, str) and value.startswith("@@="):
        value = record.get(value[3:], default)
    parts = list(value if isinstance(value, list | tuple) else default)
    red, green, blue = (float(c) / 255 for c in parts[:3])
    alpha = float(parts[3]) / 255 if len(parts) > 3 else 1.0
    return red, green, blue, alpha


def _number(value: Any, record: Record, default: float) -> float:
    if isinstance(value, str) and value.startswith("@@="):
        value = record.get(value[3:], default)
    return float(value) if isinstance(value, int | float) else default


def _exterior(polygon: Any) -> list[list[float]]:
    """The outer ring of a deck.gl polygon (a ring, or a list of rings)."""
    if polygon and isinstance(polygon[0][0], list | tuple):
        return list(polygon[0])
    return list(polygon)


def _polygons(ax: Any, layer: Record) -> None:
    from matplotlib.collections import PolyCollection

    data = layer.get("data") or []
    if not data:
        return
    rings = [_exterior(record["polygon"]) for record in data]
    filled = layer.get("filled", True)
    fills = [_colour(layer.get("getFillColor"), r) if filled else (0, 0, 0, 0) for r in data]
    stroked = layer.get("stroked", False)
    lines = [_colour(layer.get("getLineColor"), r) if stroked else (0, 0, 0, 0) for r in data]
    width = float(layer.get("lineWidthMinPixels", 0.5)) * PX_TO_PT if stroked else 0
    ax.add_collection(PolyCollection(rings, facecolors=fills, edgecolors=lines, linewidths=width))


def _paths(ax: Any, layer: Record) -> None:
    from matplotlib.collections import LineCollection

    data = layer.get("data") or []
    if not data:
        return
    colours = [_colour(layer.get("getColor"), record) for record in data]
    width = _number(layer.get("getWidth", layer.get("widthMinPixels", 1)), {}, 1.0)
    width = max(width, float(layer.get("widthMinPixels", 0)))
    ax.add_collection(
        LineCollection([r["path"] for r in data], colors=colours, linewidths=width * PX_TO_PT)
    )


def _dots(ax: Any, layer: Record) -> None:
    data = layer.get("data") or []
    if not data:
        return
    radii = [_number(layer.get("getRadius"), record, 6.0) for record in data]
    if "radiusMinPixels" in layer:
        radii = [max(r, float(layer["radiusMinPixels"])) for r in radii]
    ax.scatter(
        [r["position"][0] for r in data],
        [r["position"][1] for r in data],
        s=[(2 * r * PX_TO_PT) ** 2 for r in radii],
        c=[_colour(layer.get("getFillColor"), record) for record in data],
        edgecolors=[_colour(layer.get("getLineColor"), record) for record in data],
        linewidths=float(layer.get("lineWidthMinPixels", 1)) * PX_TO_PT,
        zorder=3,
    )


def _arcs(ax: Any, layer: Record) -> None:
    """Each arc as a quadratic curve bowed to the left of its direction."""
    for record in layer.get("data") or []:
        (x0, y0), (x1, y1) = record["source"], record["target"]
        mid_x, mid_y = (x0 + x1) / 2 - (y1 - y0) * 0.2, (y0 + y1) / 2 + (x1 - x0) * 0.2
        steps = [i / 24 for i in range(25)]
        xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * mid_x + t**2 * x1 for t in steps]
        ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * mid_y + t**2 * y1 for t in steps]
        width = _number(layer.get("getWidth"), record, 2.0)
        colour = _colour(layer.get("getTargetColor"), record)
        ax.plot(xs, ys, color=colour, linewidth=width * PX_TO_PT, zorder=2.5)


def _texts(ax: Any, layer: Record, font: Any) -> None:
    from matplotlib import patheffects

    anchor = str(layer.get("getTextAnchor", "middle"))
    align = {"start": "left", "middle": "center", "end": "right"}.get(anchor, "center")
    offset = layer.get("getPixelOffset") or [0, 0]
    size = _number(layer.get("getSize"), {}, 14.0) * PX_TO_PT
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for record in layer.get("data") or []:
        x, y = record["position"]
        label = str(record["text"])
        ax.annotate(
            label, (x, y), xytext=(offset[0] * PX_TO_PT, -offset[1] * PX_TO_PT),
            textcoords="offset points", ha=align, va="center", fontsize=size,
            fontproperties=font, color=(0.12, 0.16, 0.2), path_effects=halo, zorder=4,
            annotation_clip=True,
        )  # fmt: skip


def _draw_layers(ax: Any, layers: Sequence[Record], font: Any) -> None:
    painters = {"PolygonLayer": _polygons, "PathLayer": _paths, "ScatterplotLayer": _dots,
                "ArcLayer": _arcs}  # fmt: skip
    for layer in layers:
        kind = layer.get("@@type")
        if kind == "TextLayer":
            _texts(ax, layer, font)
        elif kind in painters:
            painters[kind](ax, layer)


def _framed(
    bbox: tuple[float, float, float, float], aspect: float
) -> tuple[float, float, float, float]:
    """(west, east, south, north) around ``bbox`` with the picture's ``aspect`` (width / height),
    a kilometre as long east–west as north–south (the box grows in one direction, never shrinks)."""
    south, west, north, east = bbox
    squeeze = math.cos(math.radians((south + north) / 2))  # a degree of longitude, in latitude's
    width, height = (east - west) * squeeze, north - south
    if width / height < aspect:
        grow = (height * aspect - width) / squeeze / 2
        west, east = west - grow, east + grow
    else:
        grow = (width / aspect - height) / 2
        south, north = south - grow, north + grow
    margin = (north - south) * 0.04
    return west - margin / squeeze, east + margin / squeeze, south - margin, north + margin


def render_png(
    deck_json: dict[str, Any], bbox: tuple[float, float, float, float], sheet: MapSheet
) -> MapPicture:
    """The deck (``Deck.to_json`` parsed) framed on ``bbox`` (S, W, N, E), legend and footer."""
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    path = cjk_font()
    if path is None:
        LOG.warning("no Japanese font found: the map picture draws Latin text only")
    font = FontProperties(fname=str(path)) if path is not None else FontProperties()
    legend_rows = math.ceil(len(sheet.legend) / 3)
    footer_inches = 0.35 + 0.25 * legend_rows + 0.2 * len(sheet.footer)
    width, height = MAP_INCHES
    figure = Figure(figsize=(width, height + 0.45 + footer_inches), dpi=DPI)
    total = height + 0.45 + footer_inches
    ax = figure.add_axes((0.0, footer_inches / total, 1.0, height / total))
    figure.text(0.03, 1 - 0.22 / total, sheet.title, va="center", fontsize=12,
                fontproperties=font, weight="bold")  # fmt: skip
    west, east, south, north = _framed(bbox, width / height)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_axis_off()
    _draw_layers(ax, deck_json.get("layers", []), font)
    legend_area = figure.add_axes((0, 0, 1, footer_inches / total))
    legend_area.set_axis_off()
    _legend_into(legend_area, sheet, font)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # without a Japanese font every kana warns: said once above
        if path is None:
            warnings.filterwarnings("ignore", "Glyph .* missing from font")
        figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    written = tuple(str(artist.get_text()) for artist in figure.findobj(Text) if artist.get_text())
    return MapPicture(buffer.getvalue(), path is not None, written)


def _legend_into(area: Any, sheet: MapSheet, font: Any) -> None:
    """The legend and footer in the strip under the map (axes coordinates 0–1)."""
    from matplotlib.patches import Rectangle

    rows = max(math.ceil(len(sheet.legend) / 3), 1)
    lines = len(sheet.footer)
    step = 1 / (rows + lines + 0.8)
    for index, (colour, label) in enumerate(sheet.legend):
        row, column = divmod(index, 3)
        x, y = 0.03 + column * 0.32, 1 - (row + 0.8) * step
        hatch = colour == "hatch"
        area.add_patch(Rectangle(
            (x, y - step * 0.3), 0.02, step * 0.6, facecolor="#dddddd" if hatch else colour,
            edgecolor="#777777", hatch="////" if hatch else None, linewidth=0.8,
        ))  # fmt: skip
        area.text(x + 0.028, y, label, va="center", fontsize=9, fontproperties=font)
    for number, line in enumerate(sheet.footer):
        y = 1 - (rows + 0.8 + number + 0.3) * step
        area.text(0.03, y, line, va="center", fontsize=8, fontproperties=font, color="#4a5560")
