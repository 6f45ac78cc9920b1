"""Altair charts of released values, each with its 95 % interval.

Pure functions from a display frame (released rows with readable columns) to an Altair chart; the
pages pass in the axis titles in the user's language. Only published rows are drawn — a
suppressed value has no number to draw — and the pages list what was suppressed beside the chart.

* :func:`bars` — one bar per category (optionally side by side per series), with error bars;
* :func:`lines` — a value over an ordered axis (hour of day, days or months after an event), a
  band for the interval and one line per series;
* :func:`stacked_shares` — the share of each class within each bar (pre-boarding locations);
* :func:`budget_bars` — the share of each budget scope spent and left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

__all__ = [
    "Axes",
    "BudgetWords",
    "bars",
    "budget_bars",
    "lines",
    "published_with_bounds",
    "stacked_shares",
]

CALM = ["#225ea8", "#41b6c4", "#e6782a", "#7fcdbb", "#0c2c84", "#a1a1a1"]
HEIGHT = 320
LEVEL_LABELS = alt.Axis(labelAngle=0)  # category labels read left to right


@dataclass(frozen=True)
class Axes:
    """Column names and their titles: ``x`` categories, ``y`` values, optional ``series``."""

    x: str
    x_title: str
    y_title: str
    series: str | None = None
    series_title: str = ""


def published_with_bounds(frame: pd.DataFrame, ceiling: float | None = None) -> pd.DataFrame:
    """Published rows only, with ``low`` and ``high`` (value ∓ ci95, within 0 and ``ceiling``);
    a frame that brings its own ``low`` and ``high`` (rates, shares) keeps them."""
    published = frame[~frame["suppressed"]].copy()
    value = published["value"].astype("float64")
    if {"low", "high"} <= set(published.columns):
        published["value"] = value
        published["low"] = published["low"].astype("float64")
        published["high"] = published["high"].astype("float64")
        return published
    width = published["ci95"].astype("Float64").fillna(0).astype("float64")
    published["value"] = value
    published["low"] = (value - width).clip(lower=0)
    published["high"] = (value + width).clip(upper=ceiling)
    return published


def _series_colour(axes: Axes) -> Any:
    if axes.series is None:
        return alt.Undefined
    return alt.Color(f"{axes.series}:N", title=axes.series_title, scale=alt.Scale(range=CALM))


def _tooltip(axes: Axes) -> list[alt.Tooltip]:
    """Category, series, value and interval, with explicit types (data may be empty)."""
    tips = [alt.Tooltip(f"{axes.x}:N", title=axes.x_title)]
    if axes.series:
        tips.append(alt.Tooltip(f"{axes.series}:N", title=axes.series_title))
    tips.append(alt.Tooltip("value:Q", title=axes.y_title, format=",.1f"))
    tips.append(alt.Tooltip("ci95:Q", title="± 95%", format=",.1f"))
    return tips


def bars(
    frame: pd.DataFrame, axes: Axes, *, sort: list[str] | None = None, horizontal: bool = False
) -> alt.LayerChart:
    """Bars of published values with their 95 % error bars (``horizontal`` for long names)."""
    data = published_with_bounds(frame)
    order = sort or "ascending"
    look: dict[str, Any] = {"opacity": 0.85} if axes.series else {"opacity": 0.85, "color": CALM[0]}
    if horizontal:
        category = alt.Y(f"{axes.x}:N", title=axes.x_title, sort=order)
        value, low = alt.X("value:Q", title=axes.y_title), alt.X("low:Q", title=axes.y_title)
        offset: dict[str, Any] = {"yOffset": alt.YOffset(f"{axes.series}:N")} if axes.series else {}
        base = alt.Chart(data).encode(y=category, **offset)
        ends: dict[str, Any] = {"x": low, "x2": "high:Q"}
        bar = base.mark_bar(**look).encode(x=value, color=_series_colour(axes))
    else:
        category_x = alt.X(f"{axes.x}:N", title=axes.x_title, sort=order, axis=LEVEL_LABELS)
        offset = {"xOffset": alt.XOffset(f"{axes.series}:N")} if axes.series else {}
        base = alt.Chart(data).encode(x=category_x, **offset)
        # Every layer titles the shared axis: Vega-Lite joins differing titles ("人数, low").
        ends = {"y": alt.Y("low:Q", title=axes.y_title), "y2": "high:Q"}
        bar = base.mark_bar(**look).encode(
            y=alt.Y("value:Q", title=axes.y_title), color=_series_colour(axes)
        )
    bar = bar.encode(tooltip=_tooltip(axes))
    rule = base.mark_rule(color="#20303c").encode(**ends)
    rows = data[axes.x].nunique() * (data[axes.series].nunique() if axes.series else 1)
    height = max(HEIGHT // 2, 22 * rows) if horizontal else HEIGHT
    return (bar + rule).properties(height=height)


def lines(
    frame: pd.DataFrame,
    axes: Axes,
    *,
    order: list[Any] | None = None,
    ceiling: float | None = None,
) -> alt.LayerChart:
    """Lines of published values over an ordered axis, with the interval as a band.

    ``ceiling`` bounds the band where values cannot exceed it (a rate of 100 %).
    """
    data = published_with_bounds(frame, ceiling)
    x = alt.X(f"{axes.x}:O", title=axes.x_title, sort=order or "ascending", axis=LEVEL_LABELS)
    base = alt.Chart(data).encode(x=x)
    if axes.series is None:
        band = base.mark_area(opacity=0.18, color=CALM[0])
        line = base.mark_line(point=True, color=CALM[0])
    else:
        # Neutral bands, one per series; the coloured lines carry the legend.
        band = base.mark_area(opacity=0.12, color="#5a6b78").encode(detail=f"{axes.series}:N")
        line = base.mark_line(point=True).encode(color=_series_colour(axes))
    band = band.encode(y=alt.Y("low:Q", title=axes.y_title), y2="high:Q")
    line = line.encode(y=alt.Y("value:Q", title=axes.y_title), tooltip=_tooltip(axes))
    return (band + line).properties(height=HEIGHT)


def stacked_shares(frame: pd.DataFrame, axes: Axes, *, order: list[str]) -> alt.Chart:
    """Each bar split into the shares of its series (published values only)."""
    data = published_with_bounds(frame)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{axes.x}:N", title=axes.x_title, sort=order, axis=LEVEL_LABELS),
            y=alt.Y("value:Q", stack="normalize", title=axes.y_title, axis=alt.Axis(format="%")),
            color=_series_colour(axes),
            tooltip=_tooltip(axes),
        )
        .properties(height=HEIGHT)
    )


@dataclass(frozen=True)
class BudgetWords:
    """The words of the budget chart."""

    spent: str
    left: str
    axis: str


def budget_bars(budgets: pd.DataFrame, words: BudgetWords) -> alt.Chart:
    """One bar per budget scope (``label``): the share spent and the share left.

    Shares are of ρ, which adds up exactly; ε (shown in the tooltip) does not add up, so the bar
    is not drawn in ε.
    """
    rows = budgets.assign(spent=100 * (1 - budgets["share_left"]), left=100 * budgets["share_left"])
    long = rows.melt(
        ["label", "remaining_epsilon", "total_epsilon"], ["spent", "left"], "part", "percent"
    )
    long["rank"] = long["part"].map({"spent": 0, "left": 1})  # spent first, from the left
    long["part"] = long["part"].map({"spent": words.spent, "left": words.left})
    colour = alt.Scale(domain=[words.spent, words.left], range=["#e6782a", "#a6cfe0"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(
                "label:N",
                title=None,
                sort=list(rows["label"]),
                axis=alt.Axis(labelOverlap=False, labelLimit=260),  # 航空×通信 2025年8月 in full
            ),
            x=alt.X("percent:Q", title=words.axis, stack="zero", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("part:N", title=None, scale=colour),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("label:N", title=""),
                alt.Tooltip("part:N", title=""),
                alt.Tooltip("percent:Q", format=".0f", title="%"),
                alt.Tooltip("remaining_epsilon:Q", format=".2f", title="ε"),
            ],
        )
        .properties(height=max(90, 26 * len(rows)))
    )
