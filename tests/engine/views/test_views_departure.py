"""The departure view: the class of the latest observation in [t − 120 min, t] per slot time."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from engine.views import PayloadTable, build_payloads, prepare_observations, view_family
from engine.views.departure import departure_pairs
from engine.views.prepare import AIRPORT, ELSEWHERE, HOME
from geo.areas import ApproximateAreas
from geo.places import AIRPORTS, MUNICIPALITIES

DEPART = view_family("depart")
Frames = Callable[[list], pd.DataFrame]
CHIYODA = (MUNICIPALITIES["13101"].lat, MUNICIPALITIES["13101"].lon)
HANEDA = (AIRPORTS["HND"].lat, AIRPORTS["HND"].lon)
SAPPORO_STREET = (43.06, 141.35)  # Sapporo Chuo-ku, 7 km from Okadama airport
KM_PER_DEGREE_LAT = 111.195


def _classes(table: PayloadTable, row: int) -> dict[str, str]:
    """slot time → class of one record."""
    return dict(label.split("|") for _, label in table.row_labels(row))


def _build(subs: pd.DataFrame, obs: pd.DataFrame, area_map: ApproximateAreas) -> PayloadTable:
    return build_payloads(DEPART, subs, obs, area_map)


def test_latest_observation_in_window_sets_the_class(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Home at 06:00, Haneda at 07:10: home until 07:00, airport 07:20–09:00, then none."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations([("a", "2025-08-01 06:00", *CHIYODA), ("a", "2025-08-01 07:10", *HANEDA)])
    classes = _classes(_build(subs, obs, area_map), 0)
    assert [classes[t] for t in ("06:00", "06:20", "06:40", "07:00")] == ["home"] * 4
    assert classes["07:20"] == "airport" and classes["09:00"] == "airport"
    assert "05:40" not in classes and "09:20" not in classes
    assert len(classes) == 4 + 6


def test_window_ends_are_included(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """An observation exactly at t counts for t and for t + 120 minutes, not later."""
    subs = subscribers([("a", "30-39", "F", "01101", False)])
    obs = observations([("a", "2025-08-01 10:00:00", *SAPPORO_STREET)])
    classes = _classes(_build(subs, obs, area_map), 0)
    assert sorted(classes) == ["10:00", "10:20", "10:40", "11:00", "11:20", "11:40", "12:00"]
    assert set(classes.values()) == {"home"}  # a Sapporo resident at home, in a study region
    late = observations([("a", "2025-08-01 09:59:59", *SAPPORO_STREET)])
    assert "12:00" not in _classes(_build(subs, late, area_map), 0)


def test_airport_radius_is_five_kilometres(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """4.9 km from an airport is airport, 5.1 km is elsewhere."""
    shm = AIRPORTS["SHM"]
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    rows = [
        ("a", "2025-08-01 08:00", shm.lat + 4.9 / KM_PER_DEGREE_LAT, shm.lon),
        ("a", "2025-08-02 08:00", shm.lat + 5.1 / KM_PER_DEGREE_LAT, shm.lon),
    ]
    table = _build(subs, observations(rows), area_map)
    assert [_classes(table, r)["08:00"] for r in range(2)] == ["airport", "elsewhere"]


def test_home_wins_over_airport_and_ties_prefer_home(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """At the same second, home beats elsewhere whatever the row order."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    rows = [("a", "2025-08-01 08:00", *SAPPORO_STREET), ("a", "2025-08-01 08:00", *CHIYODA)]
    for ordered in (rows, rows[::-1]):
        assert _classes(_build(subs, observations(ordered), area_map), 0)["08:00"] == "home"


def test_class_codes_of_prepared_observations(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Home via the nationwide map, airport near HND, elsewhere in Sapporo."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations(
        [
            ("a", "2025-08-01 06:00", *CHIYODA),
            ("a", "2025-08-01 07:00", *HANEDA),
            ("a", "2025-08-01 12:00", *SAPPORO_STREET),
        ]
    )
    prepared = prepare_observations(subs, obs, area_map)
    assert prepared.location_class.tolist() == [HOME, AIRPORT, ELSEWHERE]


def test_day_without_window_observations_is_an_empty_record(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """A person-day seen only at 23:30 is a record with no slot set (class none everywhere)."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations([("a", "2025-08-01 23:30", *CHIYODA), ("a", "2025-08-02 02:00", *CHIYODA)])
    table = _build(subs, obs, area_map)
    assert table.periods.tolist() == ["2025-08-01", "2025-08-02"]
    assert table.indptr.tolist() == [0, 0, 0]
    prepared = prepare_observations(subs, obs, area_map)
    records, keys, _ = departure_pairs(DEPART, prepared, None)
    assert len(records) == 2 and len(keys) == 0
