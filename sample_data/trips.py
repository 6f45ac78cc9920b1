"""Who travels where and when: trips from home to a study region and back.

A trip is a departure day, a number of nights, a destination region and the way there and back.
Visitors (Tokyo and Osaka area) travel to any study region; Sapporo residents travel to East
Hokkaido. Members travel more than non-members (frequent flyers join loyalty programmes), and a
tenth of travellers are *repeat visitors* who travel several times as often, mostly to the same
favourite region. Most trips are flown; some go by train or car (common to Shirahama, Takamatsu
and Fukuoka from Osaka), and some flown trips return by other means, with no return boarding.

Scheduling keeps a person's trips apart: the window, extended by :data:`LEAD_IN_DAYS` before its
start, is cut into one segment per trip, and each trip lies in its segment with at least one free
day before it (the day before departure is spent at home, which the pre-boarding view looks at).
Trips may begin before the window or end after it, as they do in any extract of real data: people
are already travelling on its first day and still away on its last; what falls outside the window
is simply not in the files. Departure days are drawn with the calendar's demand weights, so
departures, and hence arrivals, peak on weekends and holidays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from geo.places import REGIONS
from sample_data.draws import pick_by_share
from sample_data.flights import choose_flights, served, timetable
from sample_data.scales import Scale
from sample_data.travel_calendar import TravelCalendar
from sample_data.world import People

__all__ = ["GROUND", "LEAD_IN_DAYS", "MAX_NIGHTS", "Trips", "plan_trips"]

GROUND = -1  # flight index meaning "not by plane"
LEAD_IN_DAYS = 6
_FAVOURITE_SHARES = {
    "HND": {
        "sapporo": 0.30,
        "east_hokkaido": 0.15,
        "nanki_shirahama": 0.10,
        "takamatsu": 0.15,
        "fukuoka": 0.30,
    },
    "ITM": {
        "sapporo": 0.35,
        "east_hokkaido": 0.15,
        "nanki_shirahama": 0.15,
        "takamatsu": 0.10,
        "fukuoka": 0.25,
    },
}
_AIRPORT_SHARES = {"east_hokkaido": {"MMB": 0.4, "KUH": 0.4, "SHB": 0.2}}
_GROUND_SHARE = {
    ("HND", "nanki_shirahama"): 0.15,
    ("HND", "takamatsu"): 0.12,
    ("HND", "fukuoka"): 0.08,
    ("ITM", "nanki_shirahama"): 0.45,
    ("ITM", "takamatsu"): 0.40,
    ("ITM", "fukuoka"): 0.30,
    ("CTS", "east_hokkaido"): 0.25,
    ("OKD", "east_hokkaido"): 0.25,
}
_DEFAULT_GROUND_SHARE = 0.03
_RETURN_GROUND_SHARE = 0.10
_NIGHTS = (0.07, 0.25, 0.30, 0.20, 0.10, 0.05, 0.03)  # P(0 nights), P(1), …
MAX_NIGHTS = len(_NIGHTS) - 1
_REPEATER_SHARE = 0.10
_REPEATER_FACTOR = 3.5
_MEMBER_FACTOR = 1.5
_NON_MEMBER_FACTOR = 0.6
_SAPPORO_FACTOR = 0.4
_SAME_DAY_GAP_MINUTES = 240  # a day trip allows at least four hours on the ground


@dataclass(frozen=True)
class Trips:
    """Column arrays, one entry per trip, sorted by person then departure day."""

    person: npt.NDArray[np.int64]
    region: npt.NDArray[np.str_]
    home_airport: npt.NDArray[np.str_]  # where a flown trip starts (HND, ITM, CTS or OKD)
    airport: npt.NDArray[np.str_]  # destination airport (also set for trips by ground)
    depart_day: npt.NDArray[np.int64]
    nights: npt.NDArray[np.int64]
    out_flight: npt.NDArray[np.int64]  # index into timetable(), GROUND if not flown
    back_flight: npt.NDArray[np.int64]
    town: npt.NDArray[np.str_]  # a municipality the trip must visit ("" none): donors' visits

    @property
    def count(self) -> int:
        """Number of trips."""
        return len(self.person)

    @property
    def last_day(self) -> npt.NDArray[np.int64]:
        """Day index of the way home."""
        return self.depart_day + self.nights

    def span(self, k: int) -> tuple[int, int]:
        """First and last day of trip ``k`` (cheap: no whole-column arithmetic)."""
        first = int(self.depart_day[k])
        return first, first + int(self.nights[k])

    def legs(self, window_days: int) -> tuple[npt.NDArray[np.int64], ...]:
        """Flown legs inside the window as (person, flight index, day) arrays, outbound first."""
        parts = []
        for flight, day in ((self.out_flight, self.depart_day), (self.back_flight, self.last_day)):
            flown = (flight >= 0) & (day >= 0) & (day < window_days)
            parts.append((self.person[flown], flight[flown], day[flown]))
        return tuple(np.concatenate([part[k] for part in parts]) for k in range(3))

    def with_towns(self, town: npt.NDArray[np.str_]) -> Trips:
        """The same trips with the municipalities they must visit."""
        return replace(self, town=town)


def plan_trips(
    scale: Scale, calendar: TravelCalendar, people: People, rng: np.random.Generator
) -> Trips:
    """Draw every trip of the window."""
    person = _travellers(scale, people, rng)
    depart, nights = _schedule(calendar, person, rng)
    region, home_airport, airport = _destinations(people, person, rng)
    out_flight, back_flight = _flights(rng, home_airport, airport, region, nights)
    seen = depart + nights >= 0  # trips over before the window starts leave no trace
    return Trips(
        person=person[seen],
        region=region[seen],
        home_airport=home_airport[seen],
        airport=airport[seen],
        depart_day=depart[seen],
        nights=nights[seen],
        out_flight=out_flight[seen],
        back_flight=back_flight[seen],
        town=np.full(int(seen.sum()), "", dtype="<U5"),
    )


def _travellers(scale: Scale, people: People, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """One entry per trip: the travelling person's index, sorted."""
    rate = np.where(people.is_member, _MEMBER_FACTOR, _NON_MEMBER_FACTOR)
    rate = rate * scale.trips_per_month * (scale.days + LEAD_IN_DAYS) / 30
    repeater = rng.random(people.count) < _REPEATER_SHARE
    base_factor = (1 - _REPEATER_SHARE * _REPEATER_FACTOR) / (1 - _REPEATER_SHARE)
    rate = rate * np.where(repeater, _REPEATER_FACTOR, base_factor)
    rate = rate * np.select(
        [people.region == "", people.region == "sapporo"], [1.0, _SAPPORO_FACTOR], 0.0
    )
    trips = np.minimum(rng.poisson(rate), (scale.days + LEAD_IN_DAYS) // 4)
    return np.repeat(np.arange(people.count, dtype=np.int64), trips)


def _schedule(
    calendar: TravelCalendar, person: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Departure day and nights of each trip, inside the trip's own segment of the window."""
    span = calendar.days + LEAD_IN_DAYS
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    sizes = np.diff(np.r_[starts, len(person)])
    index = np.arange(len(person)) - np.repeat(starts, sizes)
    total = np.repeat(sizes, sizes)
    segment_lo = index * span // total
    segment_hi = (index + 1) * span // total - 1
    earliest = segment_lo + (index > 0)  # a free day after the previous trip
    last = index == total - 1  # the last trip may run past the window's end
    drawn = rng.choice(len(_NIGHTS), size=len(person), p=np.asarray(_NIGHTS) / sum(_NIGHTS))
    nights = np.where(last, drawn, np.minimum(drawn, np.maximum(segment_hi - earliest, 0)))
    latest = np.where(last, segment_hi, np.maximum(segment_hi - nights, earliest))
    cumulative = np.r_[0.0, np.cumsum(calendar.demand(-LEAD_IN_DAYS, calendar.days))]
    spread = cumulative[latest + 1] - cumulative[earliest]
    draw = cumulative[earliest] + rng.random(len(person)) * spread
    depart = np.clip(np.searchsorted(cumulative, draw, side="right") - 1, earliest, latest)
    return (depart - LEAD_IN_DAYS).astype(np.int64), nights.astype(np.int64)


def _destinations(
    people: People, person: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    """Region, home airport and destination airport of each trip."""
    count = len(person)
    favourite = np.full(people.count, "east_hokkaido", dtype="<U16")
    for origin, shares in _FAVOURITE_SHARES.items():
        rows = np.flatnonzero(people.home_airport == origin)
        favourite[rows] = pick_by_share(rng, shares, rows.size)
    loyal = rng.random(count) < 0.75
    region = np.where(loyal, favourite[person], "")
    home_airport = people.home_airport[person].astype("<U3")
    for origin, shares in _FAVOURITE_SHARES.items():
        rows = np.flatnonzero((region == "") & (home_airport == origin))
        region[rows] = pick_by_share(rng, shares, rows.size)
    sapporo = people.region[person] == "sapporo"
    region[sapporo] = "east_hokkaido"
    home_airport[sapporo] = np.where(rng.random(int(sapporo.sum())) < 0.5, "CTS", "OKD")
    return region, home_airport, _airports(rng, region, home_airport)


def _airports(
    rng: np.random.Generator, region: npt.NDArray[np.str_], home_airport: npt.NDArray[np.str_]
) -> npt.NDArray[np.str_]:
    """A destination airport of the region, served from the home airport when possible."""
    airport = np.asarray([REGIONS[r].airports[0] for r in region.tolist()], dtype="<U3")
    for region_id, shares in _AIRPORT_SHARES.items():
        rows = np.flatnonzero(region == region_id)
        airport[rows] = pick_by_share(rng, shares, rows.size)
    for row in np.flatnonzero(~_served(home_airport, airport)):
        options = [a for a in REGIONS[region[row]].airports if served(home_airport[row], a)]
        airport[row] = options[0] if options else airport[row]
    return airport


def _served(
    origin: npt.NDArray[np.str_], destination: npt.NDArray[np.str_]
) -> npt.NDArray[np.bool_]:
    """Whether each origin–destination pair has a flight."""
    pairs = {(f.origin, f.destination) for f in timetable()}
    return np.array(
        [pair in pairs for pair in zip(origin.tolist(), destination.tolist(), strict=True)],
        dtype=bool,
    )


def _flights(
    rng: np.random.Generator,
    home_airport: npt.NDArray[np.str_],
    airport: npt.NDArray[np.str_],
    region: npt.NDArray[np.str_],
    nights: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Outbound and return flights (GROUND for trips or legs not flown)."""
    count = len(region)
    ground_share = np.array(
        [
            _GROUND_SHARE.get(pair, _DEFAULT_GROUND_SHARE)
            for pair in zip(home_airport.tolist(), region.tolist(), strict=True)
        ]
    )
    flown = (rng.random(count) >= ground_share) & _served(home_airport, airport)
    out = np.where(
        flown, choose_flights(rng, home_airport, airport, np.zeros(count, np.int64), True), GROUND
    )
    arrival = np.array(
        [timetable()[i].arrival_minute if i >= 0 else 0 for i in out.tolist()], dtype=np.int64
    )
    earliest = np.where(nights == 0, arrival + _SAME_DAY_GAP_MINUTES, 0)
    back = choose_flights(rng, airport, home_airport, earliest, False)
    back_flown = flown & (rng.random(count) >= _RETURN_GROUND_SHARE)
    return out.astype(np.int64), np.where(back_flown, back, GROUND).astype(np.int64)
