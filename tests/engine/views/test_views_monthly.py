"""The month view: visited study-region municipalities per subscriber and calendar month."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from engine.views import build_payloads, view_family
from foundation.errors import InputError
from geo.areas import ApproximateAreas
from geo.places import MUNICIPALITIES

MONTH = view_family("month")
Frames = Callable[[list], pd.DataFrame]


def _town(code: str) -> tuple[float, float]:
    return MUNICIPALITIES[code].lat, MUNICIPALITIES[code].lon


@pytest.fixture
def frames(subscribers: Frames, observations: Frames) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One subscriber seen in Sapporo (August), Takamatsu (September) and Tokyo (October)."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations(
        [
            ("a", "2025-08-03 10:00", *_town("01101")),
            ("a", "2025-08-20 10:00", *_town("01101")),
            ("a", "2025-08-31 23:59:59", *_town("01102")),
            ("a", "2025-09-01 00:00", *_town("37201")),
            ("a", "2025-10-05 10:00", *_town("13101")),
        ]
    )
    return subs, obs


def test_month_records_list_visited_municipalities(
    frames: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """One record per month with a region visit; months seen only outside regions make none."""
    table = build_payloads(MONTH, *frames, area_map)
    assert table.periods.tolist() == ["2025-08", "2025-09"]
    assert [label for _, label in table.row_labels(0)] == ["01101", "01102"]
    assert [label for _, label in table.row_labels(1)] == ["37201"]


def test_month_periods_filter(
    frames: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """periods keeps only the named months; malformed months raise InputError."""
    table = build_payloads(MONTH, *frames, area_map, periods=["2025-09"])
    assert table.periods.tolist() == ["2025-09"]
    for bad in (["2025-9"], ["2025-09-01"], ["2025-13"]):
        with pytest.raises(InputError, match="YYYY-MM"):
            build_payloads(MONTH, *frames, area_map, periods=bad)
