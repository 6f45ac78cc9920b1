"""The truth: plaintext cross tables the secure engine must reproduce exactly.

Computed with pandas from the *clean* world (before any mess is added), over the linked people —
members who are subscribers and did not opt out — joined through the world's own identities; the
carrier-only ``population`` table covers every subscriber who did not opt out. Every definition is
spelled out in ``docs/views.md``; this module is that text as code.

All tables count distinct people, and the world is generated in chunks of people, so each chunk
yields partial tables (:func:`chunk_truth`) that :func:`combine_truth` adds up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.places import ORIGIN_AIRPORTS, STUDY_AIRPORTS, region_of_airport
from sample_data.donations import Donations
from sample_data.flights import timetable
from sample_data.furusato_truth import furusato_table
from sample_data.location_class import classify_locations
from sample_data.movement import Observations
from sample_data.presence import Presence, compute_presence
from sample_data.travel_calendar import DAY, MINUTE, TravelCalendar
from sample_data.trips import Trips
from sample_data.world import People

__all__ = [
    "DAY_OFFSETS",
    "PREBOARDING_MINUTES",
    "TABLE_KEYS",
    "ChunkInputs",
    "chunk_truth",
    "combine_truth",
]

DAY_OFFSETS = (0, 1, 2)
PREBOARDING_MINUTES = (1440, 60, 40, 20)
PRIOR_BUCKETS = (
    (0, 0, "0"),
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 5, "3-5"),
    (6, 10, "6-10"),
    (11, 10**9, "11+"),
)
# Key columns of each table (the value columns are the rest: count, or visited and cohort_size).
TABLE_KEYS: dict[str, list[str]] = {
    "visit_mesh": ["airport", "arrival_date", "day_offset", "mesh_code"],
    "visit_area": ["airport", "arrival_date", "day_offset", "municipality_code"],
    "hour_profile": ["airport", "arrival_date", "day_offset", "hour"],
    "profile": ["airport", "arrival_date", "age_band", "gender"],
    "repeat": ["airport", "arrival_date", "prior_bucket"],
    "furusato": ["municipality_code", "donation_month", "cohort", "month_offset"],
    "preboarding": ["origin", "departure_date", "half", "minutes_before", "location_class"],
    "population": ["region", "date", "mesh_code", "residency"],
}


@dataclass(frozen=True)
class ChunkInputs:
    """One chunk of people with everything the truth needs about them."""

    people: People
    persons: npt.NDArray[np.int64]  # the chunk's person indices
    trips: Trips
    donations: Donations
    observations: Observations
    calendar: TravelCalendar
    furusato_groups: pd.DataFrame  # from furusato_groups(), over the whole world


def chunk_truth(inputs: ChunkInputs) -> dict[str, pd.DataFrame]:
    """Partial truth tables for one chunk of people (day columns still as day indices)."""
    cal = inputs.calendar
    months = [cal.month_of(day) for day in range(cal.days)]
    presence = compute_presence(inputs.observations, months)
    linked = inputs.persons[inputs.people.is_linked[inputs.persons]]
    legs = _linked_legs(inputs.trips, linked, cal.days)
    arrivals = _arrivals(legs)
    tables = {
        "visit_mesh": _visits(arrivals, presence.mesh, "cell"),
        "visit_area": _visits(arrivals, presence.area, "municipality"),
        "hour_profile": _visits(arrivals, presence.hours, "hour"),
        "profile": _profile(_seen_on_arrival(arrivals, presence), inputs.people),
        "repeat": _repeat(_seen_on_arrival(arrivals, presence), presence),
        "furusato": furusato_table(
            inputs.donations, linked, presence.monthly, months, inputs.furusato_groups
        ),
        "preboarding": _preboarding(inputs, legs),
        "population": _population(inputs, presence),
    }
    return tables


def _linked_legs(trips: Trips, linked: npt.NDArray[np.int64], days: int) -> pd.DataFrame:
    """Flown legs of linked people in the window: person, origin, destination, departure, day."""
    person, index, day = trips.legs(days)
    keep = np.isin(person, linked)
    chosen = [timetable()[i] for i in index[keep].tolist()]
    minute = np.array([f.departure_minute for f in chosen], dtype=np.int64)
    return pd.DataFrame(
        {
            "person": person[keep],
            "origin": np.array([f.origin for f in chosen], dtype="<U3"),
            "airport": np.array([f.destination for f in chosen], dtype="<U3"),
            "day": day[keep],
            "departure": day[keep] * DAY + minute * MINUTE,
        }
    )


def _arrivals(legs: pd.DataFrame) -> pd.DataFrame:
    """Distinct (person, airport, day) of linked people landing at a study airport."""
    frame = legs.loc[legs["airport"].isin(STUDY_AIRPORTS), ["person", "airport", "day"]]
    frame = frame.drop_duplicates()
    frame["region"] = frame["airport"].map(lambda code: region_of_airport(code).id)
    return frame.reset_index(drop=True)


def _with_offsets(arrivals: pd.DataFrame) -> pd.DataFrame:
    """Arrivals repeated for each day offset, with the observed day they look at."""
    parts = [
        arrivals.assign(day_offset=offset, view_day=arrivals["day"] + offset)
        for offset in DAY_OFFSETS
    ]
    return pd.concat(parts, ignore_index=True)


def _visits(arrivals: pd.DataFrame, view: pd.DataFrame, column: str) -> pd.DataFrame:
    """Count arrivals per (airport, arrival day, offset, value) whose view on that day has it."""
    joined = _with_offsets(arrivals).merge(
        view,
        left_on=["person", "view_day", "region"],
        right_on=["person", "day", "region"],
        suffixes=("", "_view"),
    )
    counts = joined.groupby(["airport", "day", "day_offset", column]).size()
    return counts.reset_index(name="count")


def _seen_on_arrival(arrivals: pd.DataFrame, presence: Presence) -> pd.DataFrame:
    """Arrivals with a visit (an observation in the region's domain) on the arrival day."""
    return arrivals.merge(presence.visit_days, on=["person", "region", "day"])


def _profile(arrivals: pd.DataFrame, people: People) -> pd.DataFrame:
    """Arrivals (seen on the arrival day) by the carrier's age band and gender."""
    frame = arrivals.assign(
        age_band=people.age_band[arrivals["person"].to_numpy()],
        gender=people.gender[arrivals["person"].to_numpy()],
    )
    return frame.groupby(["airport", "day", "age_band", "gender"]).size().reset_index(name="count")


def _repeat(arrivals: pd.DataFrame, presence: Presence) -> pd.DataFrame:
    """Arrivals (seen on the arrival day) by earlier days (within 365) seen in the region."""
    joined = arrivals.merge(presence.visit_days, on=["person", "region"], suffixes=("", "_seen"))
    earlier = joined[
        (joined["day_seen"] < joined["day"]) & (joined["day_seen"] >= joined["day"] - 365)
    ]
    prior = earlier.groupby(["person", "airport", "day"]).size().rename("prior")
    frame = arrivals.merge(prior.reset_index(), on=["person", "airport", "day"], how="left")
    frame["prior_bucket"] = _bucket(np.asarray(frame["prior"].fillna(0), dtype=np.int64))
    return frame.groupby(["airport", "day", "prior_bucket"]).size().reset_index(name="count")


def _bucket(prior: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """The prior-visit bucket label of each count."""
    labels = np.full(prior.shape, "", dtype="<U5")
    for low, high, label in PRIOR_BUCKETS:
        labels[(prior >= low) & (prior <= high)] = label
    return labels


def _preboarding(inputs: ChunkInputs, legs: pd.DataFrame) -> pd.DataFrame:
    """Where linked travellers were 1440, 60, 40 and 20 minutes before leaving HND or ITM."""
    departures = legs.loc[legs["origin"].isin(ORIGIN_AIRPORTS), ["person", "origin", "departure"]]
    departures = departures.drop_duplicates()
    queries = pd.concat(
        [
            departures.assign(minutes_before=m, at=departures["departure"] - m * MINUTE)
            for m in PREBOARDING_MINUTES
        ],
        ignore_index=True,
    )
    queries["location_class"] = classify_locations(
        inputs.observations, inputs.people, queries["person"].to_numpy(), queries["at"].to_numpy()
    )
    queries["day"] = queries["departure"] // DAY
    queries["half"] = np.where(queries["departure"] % DAY < 12 * 3600, "am", "pm")
    keys = ["origin", "day", "half", "minutes_before", "location_class"]
    distinct = queries.drop_duplicates(["person", *keys])
    return distinct.groupby(keys).size().reset_index(name="count")


def _population(inputs: ChunkInputs, presence: Presence) -> pd.DataFrame:
    """Subscribers (not opted out) per region, day and cell, residents against visitors."""
    people = inputs.people
    mesh = presence.mesh
    keep = ~people.opt_out[mesh["person"].to_numpy()]
    mesh = mesh[keep]
    home_region = people.region[mesh["person"].to_numpy()]
    residency = np.where(home_region == mesh["region"].to_numpy(), "resident", "visitor")
    frame = mesh.assign(residency=residency)
    return frame.groupby(["region", "day", "cell", "residency"]).size().reset_index(name="count")


def combine_truth(
    parts: list[dict[str, pd.DataFrame]], calendar: TravelCalendar
) -> dict[str, pd.DataFrame]:
    """Add up the chunks' partial tables and give them their published columns and order."""
    combined = {}
    for name, keys in TABLE_KEYS.items():
        frames = [_published(name, part[name], calendar) for part in parts if len(part[name])]
        if not frames:
            combined[name] = pd.DataFrame(columns=[*keys, *_values(name)])
            continue
        total = pd.concat(frames, ignore_index=True).groupby(keys, sort=True)[_values(name)].sum()
        total = total.reset_index()
        if name == "furusato":
            total = total[total["cohort_size"] > 0].reset_index(drop=True)
        combined[name] = total
    return combined


def _values(name: str) -> list[str]:
    return ["visited", "cohort_size"] if name == "furusato" else ["count"]


def _published(name: str, frame: pd.DataFrame, calendar: TravelCalendar) -> pd.DataFrame:
    """A partial table with dates as ``YYYY-MM-DD`` text and the published column names."""
    dates = np.array([calendar.date_of(d).isoformat() for d in range(calendar.days + 3)])
    renamed = frame.rename(
        columns={
            "cell": "mesh_code",
            "municipality": "municipality_code",
            "month": "donation_month",
        }
    )
    if "day" in renamed.columns:
        target = {"preboarding": "departure_date", "population": "date"}.get(name, "arrival_date")
        renamed[target] = dates[renamed.pop("day").to_numpy()]
    if "mesh_code" in renamed.columns:
        renamed["mesh_code"] = renamed["mesh_code"].astype(np.int64).astype(str)
    return renamed[[*TABLE_KEYS[name], *_values(name)]]
