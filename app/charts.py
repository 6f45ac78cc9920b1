"""Altair charts of released values, each with its 95 % interval.

Pure functions from a display frame (released rows with readable columns) to an Altair chart; the
pages pass in the axis titles in the user's language. Only published rows are drawn — a
suppressed value has no number to draw — and the pages list what was suppressed beside the chart.

* :func:`bars` — one bar per category (optionally side by side per series), with error bars;
* :func:`lines` — a value over an ordered axis (hour of day, days or months after an event), a
  band for the interval and one line per series;
* :func:`stacked_shares` — the share of each class within each bar (pre-boarding locations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

__all__ = ["Axes", "bars", "lines", "published_with_bounds", "stacked_shares"]

CALM = ["#225ea8", "#41b6c4", "#e6782a", "#7fcdbb", "#0c2c84", "#a1a1a1"]
HEIGHT = 320


@dataclass(frozen=True)
class Axes:
    """Column names and their titles: ``x`` categories, ``y`` values, optional ``series``."""

    x: str
    x_title: str
    y_title: str
    series: str | None = None
    series_title: str = ""


def published_with_bounds(frame: pd.DataFrame) -> pd.DataFrame:
    """Published rows only, with ``low`` and ``high`` (value ∓ ci95, low clamped at 0)."""
    published = frame[~frame["suppressed"]].copy()
    value = published["value"].astype("float64")
    width = published["ci95"].astype("Float64").fillna(0).astype("float64")
    published["value"] = value
    published["low"] = (value - width).clip(lower=0)
    published["high"] = value + width
    return published


def _series_colour(axes: Axes) -> Any:
    if axes.series is None:
        return alt.Undefined
    return alt.Color(f"{axes.series}:N", title=axes.series_title, scale=alt.Scale(range=CALM))


def bars(frame: pd.DataFrame, axes: Axes, *, sort: list[str] | None = None) -> alt.LayerChart:
    """Bars of published values with their 95 % error bars."""
    data = published_with_bounds(frame)
    x = alt.X(f"{axes.x}:N", title=axes.x_title, sort=sort or "ascending")
    offset = alt.XOffset(f"{axes.series}:N") if axes.series else alt.Undefined
    base = alt.Chart(data).encode(x=x, xOffset=offset)
    bar = base.mark_bar(color=CALM[0], opacity=0.85).encode(
        y=alt.Y("value:Q", title=axes.y_title),
        color=_series_colour(axes),
        tooltip=[axes.x, *([axes.series] if axes.series else []), "value", "ci95"],
    )
    rule = base.mark_rule(color="#20303c").encode(y="low:Q", y2="high:Q")
    return (bar + rule).properties(height=HEIGHT)


def lines(frame: pd.DataFrame, axes: Axes) -> alt.LayerChart:
    """Lines of published values over an ordered axis, with the interval as a band."""
    data = published_with_bounds(frame)
    x = alt.X(f"{axes.x}:O", title=axes.x_title)
    colour = _series_colour(axes)
    base = alt.Chart(data).encode(x=x, color=colour)
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", title=axes.y_title), y2="high:Q")
    line = base.mark_line(point=True, color=CALM[0]).encode(
        y="value:Q",
        tooltip=[axes.x, *([axes.series] if axes.series else []), "value", "ci95"],
    )
    return (band + line).properties(height=HEIGHT)


def stacked_shares(frame: pd.DataFrame, axes: Axes, *, order: list[str]) -> alt.Chart:
    """Each bar split into the shares of its series (published values only)."""
    data = published_with_bounds(frame)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{axes.x}:N", title=axes.x_title, sort=order),
            y=alt.Y("value:Q", stack="normalize", title=axes.y_title, axis=alt.Axis(format="%")),
            color=_series_colour(axes),
            tooltip=[axes.x, *([axes.series] if axes.series else []), "value", "ci95"],
        )
        .properties(height=HEIGHT)
    )
