"""Region day views: records, mesh and area caps with tie-breaks, hours, demographics, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engine.views import PayloadTable, build_payloads, view_family
from engine.views.history import bucket_of
from engine.views.presence import top_k_pairs
from geo.areas import ApproximateAreas
from geo.mesh import code_center
from geo.places import MUNICIPALITIES, region_domain

SAPPORO = view_family("region:sapporo")
TOKYO = (35.6940, 139.7536)  # Chiyoda, outside every study region
Frames = Callable[[list], pd.DataFrame]


def _cell_point(index: int) -> tuple[float, float]:
    """A point inside the index-th cell of the Sapporo domain."""
    return code_center(region_domain("sapporo")[index])


def _town(code: str) -> tuple[float, float]:
    municipality = MUNICIPALITIES[code]
    return municipality.lat, municipality.lon


def _blocks(table: PayloadTable, row: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block, label in table.row_labels(row):
        found.setdefault(block, []).append(label)
    return found


def test_top_k_pairs_prefers_counts_then_smaller_slots() -> None:
    """Most frequent slots first; ties go to the smaller slot; each key capped separately."""
    keys = np.array([1, 1, 1, 1, 1, 1, 2, 2], dtype=np.int64)
    slots = np.array([9, 9, 4, 7, 2, 7, 5, 3], dtype=np.int64)
    pair_keys, pair_slots = top_k_pairs(keys, slots, 3)
    kept = sorted(zip(pair_keys.tolist(), pair_slots.tolist(), strict=True))
    assert kept == [(1, 2), (1, 7), (1, 9), (2, 3), (2, 5)]


def test_mesh_cap_keeps_busiest_cells_with_smaller_code_on_ties(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Eight cells seen, six kept: the busiest, then the smallest codes among equal counts."""
    counts = [1, 1, 1, 1, 2, 2, 3, 3]  # cell index → observations that day
    rows = []
    for cell, count in enumerate(counts):
        lat, lon = _cell_point(cell * 10)
        rows += [("a", f"2025-08-01 {8 + cell}:{minute:02d}", lat, lon) for minute in range(count)]
    table = build_payloads(
        SAPPORO, subscribers([("a", "30-39", "F", "13101", False)]), observations(rows), area_map
    )
    assert len(table) == 1
    domain = region_domain("sapporo")
    assert _blocks(table, 0)["mesh"] == [domain[i * 10] for i in (0, 1, 4, 5, 6, 7)]
    assert _blocks(table, 0)["hour"] == [f"{8 + cell:02d}" for cell in range(8)]


def test_area_cap_keeps_four_municipalities(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Six municipalities seen, four kept by count, ties to the smaller code."""
    counts = {"01101": 1, "01102": 2, "01103": 2, "01104": 1, "01105": 3, "01106": 1}
    rows = [
        ("a", f"2025-08-01 {10 + i}:{minute:02d}", *_town(code))
        for i, (code, count) in enumerate(counts.items())
        for minute in range(count)
    ]
    table = build_payloads(
        SAPPORO, subscribers([("a", "30-39", "F", "13101", False)]), observations(rows), area_map
    )
    assert _blocks(table, 0)["area"] == ["01101", "01102", "01103", "01105"]


def test_records_need_an_observation_in_the_domain(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """A day seen only outside the region makes no record; hours count domain observations."""
    subs = subscribers([("a", "30-39", "F", "13101", False), ("b", "20-29", "M", "13101", False)])
    obs = observations(
        [
            ("a", "2025-08-01 09:15", *_town("01101")),
            ("a", "2025-08-01 15:00", *TOKYO),
            ("a", "2025-08-02 09:00", *TOKYO),
            ("b", "2025-08-01 09:00", *TOKYO),
        ]
    )
    table = build_payloads(SAPPORO, subs, obs, area_map)
    assert table.subscriber_ids.tolist() == ["a"]
    assert table.periods.tolist() == ["2025-08-01"]
    blocks = _blocks(table, 0)
    assert blocks["hour"] == ["09"]
    assert blocks["demographic"] == ["30-39|F"]
    assert len(blocks["mesh"]) == 1 and blocks["area"] == ["01101"]


def test_demographic_is_exactly_one_slot_with_unknowns(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Unknown or unrecognised attributes fall into the unknown slots, one per record."""
    subs = subscribers(
        [
            ("a", "unknown", "F", "13101", False),
            ("b", "70+", "X", "13101", False),
        ]
    )
    obs = observations([(sid, "2025-08-01 12:00", *_town("01101")) for sid in "ab"])
    table = build_payloads(SAPPORO, subs, obs, area_map)
    assert [_blocks(table, r)["demographic"] for r in range(2)] == [["unknown|F"], ["70+|unknown"]]


@pytest.mark.parametrize(
    ("count", "bucket"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (5, 3), (6, 4), (10, 4), (11, 5), (365, 5)],
)
def test_bucket_edges(count: int, bucket: int) -> None:
    """Counts map to 0, 1, 2, 3–5, 6–10, 11+."""
    assert bucket_of(np.array([count]))[0] == bucket


def test_prior_visit_days_use_the_365_day_window(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Distinct earlier domain days within 365 count; the day itself and older days do not."""
    day = dt.date(2025, 8, 20)
    earlier = [366, 365, 10, 1, 1, 0]  # days before ``day`` with an observation (1 twice)
    rows = [
        ("a", f"{day - dt.timedelta(days=back)} {10 + i}:00", *_town("01101"))
        for i, back in enumerate(earlier)
    ]
    rows.append(("a", f"{day - dt.timedelta(days=3)} 10:00", *TOKYO))  # outside: not a visit
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    table = build_payloads(SAPPORO, subs, observations(rows), area_map)
    buckets = {p: _blocks(table, r)["prior_visits"][0] for r, p in enumerate(table.periods)}
    assert list(buckets.values()) == ["0", "1", "2", "3-5", "3-5"]
    assert buckets[str(day)] == "3-5"  # 365, 10 and 1 days before; 366 is out of the window
    only_day = build_payloads(SAPPORO, subs, observations(rows), area_map, periods=[str(day)])
    assert only_day.periods.tolist() == [str(day)]
    assert _blocks(only_day, 0)["prior_visits"] == ["3-5"]  # history still read in full
