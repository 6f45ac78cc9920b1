"""The synthetic world behaves like the real one in the ways the statistics are meant to show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jpholiday
import pandas as pd
import phonenumbers

from geo.places import STUDY_AIRPORTS

ISO = "%Y-%m-%dT%H:%M:%S"


def _clean_boardings(tiny: dict[str, Any]) -> pd.DataFrame:
    """Boardings without duplicates and malformed rows, with parsed times."""
    frame = tiny["boardings"].drop_duplicates()
    frame = frame.assign(
        departure=pd.to_datetime(frame["departure"], format=ISO, errors="coerce"),
        arrival=pd.to_datetime(frame["arrival"], format=ISO, errors="coerce"),
    )
    return frame[frame["departure"].notna() & (frame["flight"] != "")]


def test_donors_visit_their_town_more_than_others(tiny: dict[str, Any]) -> None:
    """Linked donors are seen in the town they donated to far more often than non-donors."""
    furusato = tiny["truth/furusato"].astype({"visited": int, "cohort_size": int})
    rates = furusato.groupby("cohort")[["visited", "cohort_size"]].sum()
    rate = rates["visited"] / rates["cohort_size"]
    assert rates.loc["donor", "cohort_size"] >= 10
    assert rate["donor"] > 3 * rate["comparison"]


def test_arrivals_peak_on_weekends_and_holidays(tiny: dict[str, Any]) -> None:
    """Days off (Saturday, Sunday, national holiday) see more arrivals than working days."""
    boardings = _clean_boardings(tiny)
    arrivals = boardings[boardings["destination"].isin(STUDY_AIRPORTS)]
    per_day = arrivals.groupby(arrivals["arrival"].dt.date).size()
    off = [day.weekday() >= 5 or jpholiday.is_holiday(day) for day in per_day.index]
    off_mean = per_day[off].mean()
    work_mean = per_day[[not flag for flag in off]].mean()
    assert off_mean > 1.3 * work_mean


def test_departures_lie_on_the_twenty_minute_grid(tiny: dict[str, Any]) -> None:
    """Scheduled departures are at 06:20–21:00 on the 20-minute grid (the carrier's slots)."""
    departure = _clean_boardings(tiny)["departure"]
    minutes = departure.dt.hour * 60 + departure.dt.minute
    assert (minutes % 20 == 0).all() and (departure.dt.second == 0).all()
    assert minutes.between(6 * 60 + 20, 21 * 60).all()


def test_observations_lie_in_japan(tiny: dict[str, Any]) -> None:
    """Every well-formed observation lies within Japan's extent and inside the window."""
    frame = tiny["observations"].to_pandas().dropna()
    frame = frame[frame["lat"] != 200]
    assert frame["lat"].between(20, 46).all() and frame["lon"].between(122, 154).all()
    days = frame["observed_at"].dt.date
    assert days.min() >= dt.date(2025, 8, 1) and days.max() <= dt.date(2025, 8, 14)
    assert (frame["lat"].round(6) == frame["lat"]).all()


def test_travellers_leave_from_home_and_board_at_the_airport(tiny: dict[str, Any]) -> None:
    """A day before departure most are at home; 20 minutes before, almost all at the airport."""
    pre = tiny["truth/preboarding"].astype({"minutes_before": int, "count": int})
    seen = pre[pre["location_class"] != "none"]
    share = seen.pivot_table("count", "minutes_before", "location_class", aggfunc="sum")
    share = share.fillna(0).div(share.fillna(0).sum(axis=1), axis=0)
    assert share.loc[1440, "home"] > 0.5
    assert share.loc[20, "airport"] > 0.8


def test_linked_people_have_the_same_attributes_in_both_parties(tiny: dict[str, Any]) -> None:
    """Age band and gender agree between the member and the subscriber record of a person."""
    members = tiny["members"].drop_duplicates("member_id")
    subscribers = tiny["subscribers"].drop_duplicates("subscriber_id")
    pairs = (
        tiny["truth/links"]
        .merge(members, on="member_id")
        .merge(subscribers, on="subscriber_id", suffixes=("_a", "_c"))
    )
    assert len(pairs) == len(tiny["truth/links"])
    assert (pairs["age_band_a"] == pairs["age_band_c"]).all()
    assert (pairs["gender_a"] == pairs["gender_c"]).all()
    assert (pairs["home_municipality"].str[:2] == pairs["home_prefecture"]).all()


def test_phone_numbers_are_unique_valid_mobiles(tiny: dict[str, Any]) -> None:
    """Well-formed member numbers are valid Japanese mobile numbers, one per member."""
    numbers = []
    for text in tiny["members"].drop_duplicates()["phone"]:
        parsed = phonenumbers.parse(text, "JP")
        if phonenumbers.is_valid_number(parsed):
            assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
            numbers.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    assert len(numbers) == len(set(numbers)) >= 0.99 * len(tiny["members"])


def test_a_few_subscribers_opted_out(tiny: dict[str, Any]) -> None:
    """About 3 % of subscribers opted out, and none of them is linked."""
    subscribers = tiny["subscribers"].drop_duplicates()
    share = (subscribers["opt_out"] == "1").mean()
    assert 0.005 < share < 0.07
    opted = set(subscribers.loc[subscribers["opt_out"] == "1", "subscriber_id"])
    assert not opted & set(tiny["truth/links"]["subscriber_id"])


def test_departure_days_are_observed_densely(tiny: dict[str, Any]) -> None:
    """Linked travellers are seen about every 20 minutes in the 3 hours before departure."""
    boardings = _clean_boardings(tiny)
    links = tiny["truth/links"].set_index("member_id")["subscriber_id"]
    outbound = boardings[boardings["origin"].isin(["HND", "ITM"])]
    outbound = outbound[outbound["member_id"].isin(links.index)]
    obs = tiny["observations"].to_pandas().drop_duplicates()
    by_person = dict(tuple(obs.groupby("subscriber_id")["observed_at"]))
    counts = []
    for member_id, departure in zip(outbound["member_id"], outbound["departure"], strict=True):
        times = by_person.get(links[member_id], pd.Series(dtype="datetime64[ms]"))
        window = (times >= departure - pd.Timedelta(hours=3)) & (times < departure)
        counts.append(int(window.sum()))
    assert len(counts) >= 20
    assert sum(counts) / len(counts) >= 6


def test_residents_are_seen_every_day(tiny: dict[str, Any]) -> None:
    """The carrier sees residents of the Sapporo region on every day of the window."""
    population = tiny["truth/population"]
    residents = population[(population["region"] == "sapporo")]
    residents = residents[residents["residency"] == "resident"]
    assert residents["date"].nunique() == 14
