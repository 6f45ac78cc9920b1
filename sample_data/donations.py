"""Furusato-nozei (hometown tax) donations, and the visits some donors pay afterwards.

A share of the visiting members donate to a municipality of a study region during the window. For
about half of the donors who travel, the donation comes a few days to six weeks before one of their
trips with at least one night, the municipality lies in that trip's region, and the trip is made to
pass through it (``Trips.town``): that is the effect the furusato view should find, donors visiting
"their" town more often than members who never donated to it. The other donations go to any
study-region municipality on any day, with no follow-up. Some donors give twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from geo.places import MUNICIPALITIES, REGIONS
from sample_data.geography import distance_m, region_places
from sample_data.scales import Scale
from sample_data.trips import Trips
from sample_data.world import People

__all__ = ["Donations", "plan_donations"]

_FOLLOW_UP_SHARE = 0.6
_TRAVELLER_FACTOR = 2.0
_SECOND_DONATION_SHARE = 0.15
_LEAD_DAYS = (2, 42)  # a follow-up trip departs this many days after the donation
_AMOUNT_MEDIAN_JPY = 20_000


@dataclass(frozen=True)
class Donations:
    """Column arrays, one entry per donation."""

    person: npt.NDArray[np.int64]
    municipality: npt.NDArray[np.str_]
    day: npt.NDArray[np.int64]
    amount_jpy: npt.NDArray[np.int64]


def plan_donations(
    scale: Scale, people: People, trips: Trips, rng: np.random.Generator
) -> tuple[Donations, Trips]:
    """Draw the donations and return the trips with the donors' towns to visit."""
    donors = _donors(scale, people, trips, rng)
    trip_of = _follow_up_trips(trips, donors, scale.days, rng)
    followed = trip_of >= 0
    linked_town = np.asarray(
        [_town_in(rng, trips.region[t]) for t in trip_of[followed].tolist()], dtype="<U5"
    )
    lead = rng.integers(_LEAD_DAYS[0], _LEAD_DAYS[1] + 1, size=int(followed.sum()))
    follow_day = np.maximum(trips.depart_day[trip_of[followed]] - lead, 0)
    free = np.concatenate(
        [donors[~followed], donors[rng.random(donors.size) < _SECOND_DONATION_SHARE]]
    )
    person = np.concatenate([donors[followed], free])
    municipality = np.concatenate([linked_town, _any_towns(rng, free.size)])
    day = np.concatenate([follow_day, rng.integers(0, scale.days, size=free.size)])
    donations = _sorted_donations(person, municipality, day, _amounts(rng, person.size))
    town = np.full(trips.count, "", dtype="<U5")
    town[trip_of[followed]] = linked_town
    return donations, trips.with_towns(town)


def _donors(
    scale: Scale, people: People, trips: Trips, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Visiting members who donate in the window, travellers to the regions twice as often."""
    visitors = np.flatnonzero(people.is_member & (people.region == ""))
    # People who travel to the regions are the ones who hear of their towns and donate.
    travels = np.isin(visitors, trips.person[_eligible(trips, scale.days)])
    share = scale.donor_share * np.where(travels, _TRAVELLER_FACTOR, 1 / _TRAVELLER_FACTOR)
    return visitors[rng.random(visitors.size) < share]


def _sorted_donations(
    person: npt.NDArray[np.int64],
    municipality: npt.NDArray[np.str_],
    day: npt.NDArray[np.int64],
    amount: npt.NDArray[np.int64],
) -> Donations:
    """Donations sorted by person, day and municipality."""
    order = np.lexsort((municipality, day, person))
    return Donations(
        person=person[order].astype(np.int64),
        municipality=municipality[order],
        day=day[order].astype(np.int64),
        amount_jpy=amount[order],
    )


def _eligible(trips: Trips, window_days: int) -> npt.NDArray[np.bool_]:
    """Trips a donation can lead to: overnight, departing inside the window after a lead time."""
    return (
        (trips.nights >= 1)
        & (trips.depart_day >= _LEAD_DAYS[0])
        & (trips.depart_day < window_days - 1)
    )


def _follow_up_trips(
    trips: Trips, donors: npt.NDArray[np.int64], window_days: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """For each donor, the index of a trip they will visit their town on, or -1."""
    eligible = _eligible(trips, window_days)
    first_trip = np.full(int(trips.person.max(initial=-1)) + 1, -1, dtype=np.int64)
    rows = np.flatnonzero(eligible)[::-1]  # reversed, so the earliest trip is written last
    first_trip[trips.person[rows]] = rows
    chosen = np.where(
        donors < first_trip.size, first_trip[np.minimum(donors, first_trip.size - 1)], -1
    )
    return np.where(rng.random(donors.size) < _FOLLOW_UP_SHARE, chosen, -1)


@cache
def _town_weights(region_id: str) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Municipalities of a region inside its box; those near sights are more popular."""
    region = REGIONS[region_id]
    places = region_places(region_id)
    towns = [
        MUNICIPALITIES[code]
        for code in region.municipality_codes
        if region.contains(MUNICIPALITIES[code].lat, MUNICIPALITIES[code].lon)
    ]
    near = [
        distance_m(m.lat, m.lon, places.sight_lat, places.sight_lon).min() < 10_000 for m in towns
    ]
    return [m.code for m in towns], np.where(near, 4.0, 1.0)


def _town_in(rng: np.random.Generator, region_id: str) -> str:
    """One municipality of ``region_id``, weighted by popularity."""
    codes, weights = _town_weights(region_id)
    return codes[int(rng.choice(len(codes), p=weights / weights.sum()))]


def _any_towns(rng: np.random.Generator, count: int) -> npt.NDArray[np.str_]:
    """``count`` municipalities from any study region, weighted by popularity."""
    codes: list[str] = []
    weights: list[float] = []
    for region_id in sorted(REGIONS):
        region_codes, region_weights = _town_weights(region_id)
        codes += region_codes
        weights += region_weights.tolist()
    p = np.asarray(weights) / sum(weights)
    return np.asarray(codes, dtype="<U5")[rng.choice(len(codes), size=count, p=p)]


def _amounts(rng: np.random.Generator, count: int) -> npt.NDArray[np.int64]:
    """Donation amounts in yen: log-normal around the median, whole thousands, 5 000–500 000."""
    raw = np.exp(rng.normal(np.log(_AMOUNT_MEDIAN_JPY), 0.7, size=count))
    return np.clip(np.round(raw, -3), 5_000, 500_000).astype(np.int64)
