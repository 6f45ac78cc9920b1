"""deck.gl's Web Mercator in pixels: where a point of the map lands on the screen.

At zoom 0 deck.gl's world is :data:`WORLD_PX` pixels wide; at zoom ``z`` it is ``2**z`` times
that. The map pages fit a region's box to the map (:func:`app.maps.view_for_bbox`) and lay out
place names so that they do not overlap at that first view (:func:`app.overlay.place_layer`).
"""

from __future__ import annotations

import math

__all__ = ["WORLD_PX", "mercator", "screen_px"]

WORLD_PX = 512  # deck.gl's Web Mercator world at zoom 0


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at zoom 0 (x east, y south)."""
    y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2
    return (lon + 180) / 360 * WORLD_PX, y * WORLD_PX


def screen_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Pixel coordinates at ``zoom``, up to the view's offset (differences are screen pixels)."""
    x, y = mercator(lat, lon)
    scale = 2.0**zoom
    return x * scale, y * scale
