"""Input widgets the pages share: an airport, a date range inside the data, ε.

Each returns plain values; the page builds its :class:`engine.queries.QuerySpec` from them. Keys
are prefixed by the page so that two pages keep their own choices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.names import airport_label
from app.state import language, tr

__all__ = ["DEFAULT_DAYS", "DEFAULT_EPSILON", "airport_select", "date_range", "epsilon_slider"]

DEFAULT_EPSILON = 1.0
# Four weeks of arrivals by default: enough people for values above the noise, and with three
# days after arrival the release still reads a single month of data (one budget scope).
DEFAULT_DAYS = 28


def airport_select(
    column: Any, page: str, codes: Sequence[str], default: str, label_key: str = "input.airport"
) -> str:
    """One airport of ``codes`` (shown with its name in the user's language)."""
    lang = language()
    choice: str = column.selectbox(
        tr(label_key),
        list(codes),
        index=list(codes).index(default),
        format_func=lambda code: airport_label(code, lang),
        key=f"{page}:airport",
    )
    return choice


def date_range(
    column: Any,
    page: str,
    status: Any,
    label_key: str = "input.dates",
    default_days: int = DEFAULT_DAYS,
) -> tuple[dt.date, dt.date]:
    """A range of dates inside the loaded data (the first ``default_days`` by default)."""
    first = status.start or dt.date.today()
    last = status.end or first + dt.timedelta(days=30)
    default = (first, min(last, first + dt.timedelta(days=default_days - 1)))
    picked = column.date_input(
        tr(label_key), value=default, min_value=first, max_value=last, key=f"{page}:dates"
    )
    # While the user is between the two clicks of a range, only the first date is set.
    dates = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    return dates[0], dates[-1]


def epsilon_slider(column: Any, page: str) -> float:
    """The ε the user wants to spend on this release."""
    value = column.slider(
        tr("input.epsilon"), 0.1, 2.0, DEFAULT_EPSILON, 0.1, key=f"{page}:epsilon",
        help=tr("input.epsilon_help"),
    )  # fmt: skip
    return float(value)
