"""The clean tables each party holds, in the column layout of ``docs/data-formats.md``.

These are built from the world before any mess is added (:mod:`sample_data.mess` adds it). Rows are
sorted by their ID and time columns, so the output does not depend on how the world was stored.
Phone numbers are written in mixed formats here already: that is how the parties' systems hold
them, and the truth does not depend on it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from sample_data.donations import Donations
from sample_data.flights import timetable
from sample_data.movement import Observations
from sample_data.phones import format_phones
from sample_data.travel_calendar import DAY, MINUTE, TravelCalendar
from sample_data.trips import Trips
from sample_data.world import People

__all__ = [
    "OBSERVATION_SCHEMA",
    "boardings_table",
    "donations_table",
    "links_table",
    "members_table",
    "observation_table",
    "subscribers_table",
]

OBSERVATION_SCHEMA = pa.schema(
    [
        pa.field("subscriber_id", pa.string()),
        pa.field("observed_at", pa.timestamp("ms")),  # Parquet has no second unit
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
    ]
)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows sorted by ``keys`` (stable), with a fresh index."""
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def members_table(people: People, rng: np.random.Generator) -> pd.DataFrame:
    """``members.csv``: member_id, phone, age_band, gender, home_prefecture."""
    rows = np.flatnonzero(people.is_member)
    frame = pd.DataFrame(
        {
            "member_id": people.member_id[rows],
            "phone": format_phones(rng, people.phone[rows].tolist()),
            "age_band": people.age_band[rows],
            "gender": people.gender[rows],
            "home_prefecture": people.home_municipality[rows].astype("<U2"),
        }
    )
    return _sorted(frame, ["member_id"])


def subscribers_table(people: People, rng: np.random.Generator) -> pd.DataFrame:
    """``subscribers.csv``: subscriber_id, phone, age_band, gender, home_municipality, opt_out."""
    rows = np.flatnonzero(people.is_subscriber)
    frame = pd.DataFrame(
        {
            "subscriber_id": people.subscriber_id[rows],
            "phone": format_phones(rng, people.phone[rows].tolist()),
            "age_band": people.age_band[rows],
            "gender": people.gender[rows],
            "home_municipality": people.home_municipality[rows],
            "opt_out": np.where(people.opt_out[rows], "1", "0"),
        }
    )
    return _sorted(frame, ["subscriber_id"])


def boardings_table(people: People, trips: Trips, calendar: TravelCalendar) -> pd.DataFrame:
    """``boardings.csv``: every flown leg of a member in the window, times in JST."""
    person, index, day = trips.legs(calendar.days)
    member = people.is_member[person]
    chosen = [timetable()[i] for i in index[member].tolist()]
    start = day[member] * DAY
    frame = pd.DataFrame(
        {
            "member_id": people.member_id[person[member]],
            "flight": [f.number for f in chosen],
            "origin": [f.origin for f in chosen],
            "destination": [f.destination for f in chosen],
            "departure": _iso(calendar, start + _minutes(chosen, "departure_minute") * MINUTE),
            "arrival": _iso(calendar, start + _minutes(chosen, "arrival_minute") * MINUTE),
        }
    )
    return _sorted(frame, ["member_id", "departure"])


def _minutes(chosen: list, attribute: str) -> npt.NDArray[np.int64]:
    return np.array([getattr(f, attribute) for f in chosen], dtype=np.int64)


def _iso(calendar: TravelCalendar, seconds: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Window seconds as ``YYYY-MM-DDTHH:MM:SS`` text."""
    return np.datetime_as_string(calendar.datetimes(seconds), unit="s")


def donations_table(people: People, donations: Donations, calendar: TravelCalendar) -> pd.DataFrame:
    """``donations.csv``: member_id, municipality_code, donation_date, amount_jpy."""
    frame = pd.DataFrame(
        {
            "member_id": people.member_id[donations.person],
            "municipality_code": donations.municipality,
            "donation_date": np.datetime_as_string(
                calendar.datetimes(donations.day * DAY), unit="D"
            ),
            "amount_jpy": donations.amount_jpy.astype(str),
        }
    )
    return _sorted(frame, ["member_id", "donation_date", "municipality_code"])


def links_table(people: People) -> pd.DataFrame:
    """``truth/links.csv``: member_id, subscriber_id of every linked person (tests only)."""
    rows = np.flatnonzero(people.is_linked)
    frame = pd.DataFrame(
        {"member_id": people.member_id[rows], "subscriber_id": people.subscriber_id[rows]}
    )
    return _sorted(frame, ["member_id"])


def observation_table(obs: Observations, people: People, calendar: TravelCalendar) -> pa.Table:
    """``observations.parquet`` rows: subscriber_id, observed_at (JST, seconds), lat, lon."""
    return pa.table(
        {
            "subscriber_id": pa.array(people.subscriber_id[obs.person].tolist(), pa.string()),
            "observed_at": pa.array(calendar.datetimes(obs.second), pa.timestamp("ms")),
            "lat": pa.array(obs.lat, pa.float64()),
            "lon": pa.array(obs.lon, pa.float64()),
        },
        schema=OBSERVATION_SCHEMA,
    )
