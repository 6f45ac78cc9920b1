"""Airline cohorts: groups, keys, contribution bounds and the departure slot rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from engine.parties.cohorts import arrival_cohort, departure_cohort, donor_cohort, slot_floor
from foundation.errors import InputError


def _members() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "member_id": ["m1", "m2", "m3"],
            "phone_e164": ["+819011111111", "+819022222222", "+819033333333"],
        }
    )


def _boardings() -> pd.DataFrame:
    rows = [
        ("m1", "HND", "SHM", "2025-08-01 09:20", "2025-08-01 10:40"),
        ("m1", "HND", "SHM", "2025-08-05 09:20", "2025-08-05 10:40"),
        ("m2", "HND", "SHM", "2025-07-01 09:20", "2025-07-01 10:40"),
        ("m2", "HND", "SHM", "2025-08-02 15:00", "2025-08-02 16:20"),
        ("m3", "ITM", "CTS", "2025-08-02 07:00", "2025-08-02 08:50"),
    ]
    frame = pd.DataFrame(
        rows, columns=["member_id", "origin", "destination", "departure", "arrival"]
    )
    frame["departure"] = pd.to_datetime(frame["departure"])
    frame["arrival"] = pd.to_datetime(frame["arrival"])
    return frame


def test_arrival_keys_per_day_offset_and_trip_bound() -> None:
    """One key per day after arrival; at most max_trips arrivals per member."""
    cohort = arrival_cohort(
        _members(), _boardings(), "SHM", dt.date(2025, 8, 1), dt.date(2025, 8, 31), days=2
    )
    assert cohort.family == "region:nanki_shirahama"
    keys = {group.label: group.keys for group in cohort.groups}
    assert keys[("0",)] == {("+819011111111", "2025-08-01"), ("+819022222222", "2025-08-02")}
    assert keys[("1",)] == {("+819011111111", "2025-08-02"), ("+819022222222", "2025-08-03")}
    both = arrival_cohort(
        _members(), _boardings(), "SHM", dt.date(2025, 8, 1), dt.date(2025, 8, 31),
        days=1, max_trips=2,
    )  # fmt: skip
    assert len(both.groups[0].keys) == 3


def test_repeat_flyer_threshold_uses_the_airlines_own_history() -> None:
    """Only members with enough earlier arrivals at the airport stay in the cohort."""
    cohort = arrival_cohort(
        _members(), _boardings(), "SHM", dt.date(2025, 8, 1), dt.date(2025, 8, 31),
        days=1, repeat_flyer_min=1, max_trips=3,
    )  # fmt: skip
    phones = {phone for group in cohort.groups for phone, _ in group.keys}
    assert phones == {"+819011111111", "+819022222222"}  # m1's second trip, m2's August trip
    assert len(cohort.groups[0].keys) == 2


def test_departure_slots_floor_to_twenty_minutes() -> None:
    """Departures fall to the latest 20-minute slot; the day before is a group of its own."""
    assert slot_floor(dt.datetime(2025, 8, 1, 9, 19)) == dt.datetime(2025, 8, 1, 9, 0)
    assert slot_floor(dt.datetime(2025, 8, 1, 4, 59)) is None
    cohort = departure_cohort(
        _members(), _boardings(), "ITM", dt.date(2025, 8, 1), dt.date(2025, 8, 31)
    )
    labels = {group.label: group.keys for group in cohort.groups}
    departure_slot = next(slot for day, slot in labels if day == "0")
    assert labels[("0", departure_slot)] == {("+819033333333", "2025-08-02")}
    assert labels[("-1", departure_slot)] == {("+819033333333", "2025-08-01")}
    assert set(labels) == {("0", departure_slot), ("-1", departure_slot)}


def test_donor_and_comparison_cohorts_are_disjoint() -> None:
    """Donors to a town and members who never gave to it never share a key."""
    donations = pd.DataFrame(
        {"member_id": ["m1"], "municipality_code": ["30401"],
         "donation_date": pd.to_datetime(["2025-08-03"]), "amount_jpy": [10000]}
    )  # fmt: skip
    cohort = donor_cohort(_members(), donations, "30401", ["2025-08"], months_after=1)
    keys = {group.label: group.keys for group in cohort.groups}
    assert keys[("donor", "2025-08", "1")] == {("+819011111111", "2025-09")}
    assert {p for p, _ in keys[("comparison", "2025-08", "*")]} == {
        "+819022222222",
        "+819033333333",
    }


def test_bad_ranges_are_refused() -> None:
    """A range that ends before it starts, or too many days, is an InputError."""
    with pytest.raises(InputError):
        arrival_cohort(_members(), _boardings(), "SHM", dt.date(2025, 8, 9), dt.date(2025, 8, 1))
    with pytest.raises(InputError):
        arrival_cohort(
            _members(), _boardings(), "SHM", dt.date(2025, 8, 1), dt.date(2025, 8, 9), days=30
        )
