"""Planning the observed days: a day at home or work, a resident's day, a trip from door to door.

:func:`build_itineraries` plans every subscriber of a chunk of people into an
:class:`~sample_data.itinerary.ItineraryLog`. The planner draws times and places from a
:class:`~sample_data.draws.Draws` stream and follows simple habits:

* a working day: home until 07:30–08:45, work until 17:30–19:30, home;
* a resident's day off: home, then an outing to a sight of the region or shopping, home;
* a trip: the day before at home (visitors), the way out (to the airport with time to spare, the
  flight, the destination airport; or overland to the hotel), sights each day (a donor's town
  first, if it fits) and evenings at a hotel near a town centre, station or onsen, and on the last
  day sights until it is time to fly home or travel home overland.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.places import AIRPORTS, MUNICIPALITIES
from sample_data.draws import Draws
from sample_data.flights import Flight, timetable
from sample_data.geography import RegionPlaces, region_places
from sample_data.itinerary import Itineraries, ItineraryLog, Point, travel_seconds
from sample_data.travel_calendar import DAY, HOUR, MINUTE, TravelCalendar
from sample_data.trips import LEAD_IN_DAYS, MAX_NIGHTS, Trips
from sample_data.world import People

__all__ = ["build_itineraries"]

_WORKER_SHARE = 0.65


@dataclass
class _Person:
    """What the planner needs to know about one person."""

    index: int
    home: Point
    work: Point
    shop: Point
    worker: bool
    visitor: bool


class _Planner:
    """Plans the observed days of one chunk of people into a :class:`_Log`."""

    def __init__(self, draws: Draws, calendar: TravelCalendar) -> None:
        self.log = ItineraryLog(calendar.days)
        self.draws = draws
        self.window_days = calendar.days
        self.days_off = calendar.days_off(-LEAD_IN_DAYS - 1, calendar.days + MAX_NIGHTS + 2)
        self.flights: tuple[Flight, ...] = timetable()

    def near(self, at: Point, low_m: float, high_m: float) -> Point:
        """A point ``low_m``–``high_m`` metres from ``at`` in a random direction."""
        radius, angle = self.draws.uniform(low_m, high_m), self.draws.uniform(0, 2 * math.pi)
        dlat = radius * math.cos(angle) / 111_195.0
        return at[0] + dlat, at[1] + radius * math.sin(angle) / (
            111_195.0 * math.cos(math.radians(at[0]))
        )

    def sight(self, places: RegionPlaces, cumulative: list[float]) -> Point:
        """A weighted random sight of the region, somewhere on its grounds."""
        k = self.draws.index(cumulative)
        return self.near((float(places.sight_lat[k]), float(places.sight_lon[k])), 20, 150)

    def at_home_or_work(self, who: _Person, day: int, works: bool) -> None:
        """A day at home, or a working day (home → work → home)."""
        d0 = day * DAY
        if not works:
            self.log.stay(who.index, d0, d0 + DAY, who.home)
        else:
            leave, back = (
                d0 + self.draws.uniform(7.5, 8.75) * HOUR,
                d0 + self.draws.uniform(17.5, 19.5) * HOUR,
            )
            self.log.stay(who.index, d0, leave, who.home)
            self.log.stay(who.index, leave + travel_seconds(who.home, who.work), back, who.work)
            self.log.stay(who.index, back + travel_seconds(who.work, who.home), d0 + DAY, who.home)
        self.log.observed(who.index, day)

    def resident_day(
        self, who: _Person, day: int, places: RegionPlaces, cumulative: list[float]
    ) -> None:
        """A resident's ordinary day: work on working days, an outing or shopping otherwise."""
        d0 = day * DAY
        if who.worker and not self.days_off[day]:
            self.at_home_or_work(who, day, True)
            return
        leave = d0 + self.draws.uniform(9.5, 12.0) * HOUR
        outing = self.draws.uniform() < 0.5
        target = self.sight(places, cumulative) if outing else who.shop
        dwell = self.draws.uniform(1.5, 3.5 if outing else 1.5) * HOUR
        arrive = leave + travel_seconds(who.home, target)
        self.log.stay(who.index, d0, leave, who.home)
        self.log.stay(who.index, arrive, arrive + dwell, target)
        self.log.stay(
            who.index, arrive + dwell + travel_seconds(target, who.home), d0 + DAY, who.home
        )
        self.log.observed(who.index, day)

    def sightsee(
        self,
        who: _Person,
        clock: float,
        at: Point,
        region: tuple[RegionPlaces, list[float]],
        deadline: float,
        final: Point | None,
        town: Point | None,
    ) -> tuple[float, Point, bool]:
        """Visit sights (the donor's town first, if it fits) while the deadline allows."""
        town_done = False
        for _ in range(5):
            is_town = town is not None and not town_done
            target = town if is_town and town is not None else self.sight(*region)
            dwell = (
                self.draws.uniform(1.5, 2.5) * HOUR
                if is_town
                else self.draws.uniform(0.75, 2.5) * HOUR
            )
            arrive = clock + travel_seconds(at, target)
            back = travel_seconds(target, final) if final is not None else 0
            if arrive + dwell + back > deadline:
                if is_town:
                    town = None  # does not fit today; try ordinary sights instead
                    continue
                break
            self.log.stay(who.index, arrive, arrive + dwell, target)
            clock, at, town_done = arrive + dwell, target, town_done or is_town
        return clock, at, town_done

    def trip(self, who: _Person, trips: Trips, k: int) -> None:
        """Every observed day of trip ``k``: the day before, the way out, the stay, the way home."""
        first, last = trips.span(k)
        places = region_places(str(trips.region[k]))
        region = (places, np.cumsum(places.sight_weight).tolist())
        hotel = self.lodging(places)
        town_code = str(trips.town[k])
        town = self.near(_town_point(town_code), 50, 250) if town_code else None
        if who.visitor and first >= 1:
            works = not self.days_off[first - 1] and self.draws.uniform() < 0.5
            self.at_home_or_work(who, first - 1, works)
        clock, at = self.go_out(who, trips, k, hotel)
        for day in range(first, last + 1):
            if day > first:
                self.log.observed(who.index, day)
            if day == last:
                self.go_home(who, trips, k, clock, at, region, town)
                return
            evening = day * DAY + self.draws.uniform(18.0, 20.5) * HOUR
            clock, at, done = self.sightsee(who, clock, at, region, evening, hotel, town)
            town = None if done else town
            clock, at = self.overnight(who, trips, k, day, clock + travel_seconds(at, hotel), hotel)

    def lodging(self, places: RegionPlaces) -> Point:
        """A hotel a few hundred metres from a weighted town centre, station or onsen."""
        k = self.draws.index(np.cumsum(places.lodging_weight).tolist())
        return self.near((float(places.lodging_lat[k]), float(places.lodging_lon[k])), 50, 400)

    def overnight(
        self, who: _Person, trips: Trips, k: int, day: int, check_in: float, hotel: Point
    ) -> tuple[float, Point]:
        """The night after ``day`` at the hotel; leave early enough for a morning flight home."""
        morning = (day + 1) * DAY + self.draws.uniform(8.0, 9.5) * HOUR
        if day + 1 == trips.span(k)[1] and trips.back_flight[k] >= 0:
            flight = self.flights[int(trips.back_flight[k])]
            take_off = (day + 1) * DAY + flight.departure_minute * MINUTE
            latest = take_off - HOUR - travel_seconds(hotel, _airport_point(flight.origin))
            morning = min(morning, latest)
        self.log.stay(who.index, check_in, morning, hotel)
        return morning, hotel

    def go_out(self, who: _Person, trips: Trips, k: int, hotel: Point) -> tuple[float, Point]:
        """Home → airport → flight → destination airport, or home → overland → hotel."""
        d0 = int(trips.depart_day[k]) * DAY
        out = int(trips.out_flight[k])
        if out < 0:
            leave = d0 + self.draws.uniform(7.0, 9.5) * HOUR
            self.log.stay(who.index, d0, leave, who.home)
            arrive = leave + travel_seconds(who.home, hotel)
            self.log.stay(who.index, arrive, arrive + self.draws.uniform(15, 30) * MINUTE, hotel)
            self.log.observed(who.index, int(trips.depart_day[k]))
            return arrive + 30 * MINUTE, hotel
        flight = self.flights[out]
        departure = d0 + flight.departure_minute * MINUTE
        arrival = d0 + flight.arrival_minute * MINUTE
        origin, destination = _airport_point(flight.origin), _airport_point(flight.destination)
        at_airport = departure - self.draws.uniform(40, 75) * MINUTE
        self.log.stay(who.index, d0, at_airport - travel_seconds(who.home, origin), who.home)
        self.log.stay(who.index, at_airport, departure, self.near(origin, 0, 300))
        self.log.flight(who.index, departure, arrival)
        leave = arrival + self.draws.uniform(15, 30) * MINUTE
        self.log.stay(who.index, arrival, leave, self.near(destination, 0, 300))
        self.log.observed(who.index, int(trips.depart_day[k]), (departure - 3 * HOUR, departure))
        return leave, destination

    def go_home(
        self,
        who: _Person,
        trips: Trips,
        k: int,
        clock: float,
        at: Point,
        region: tuple[RegionPlaces, list[float]],
        town: Point | None,
    ) -> None:
        """The last day: sights, then the flight home or the long way overland, then home."""
        day = trips.span(k)[1]
        back = int(trips.back_flight[k])
        if back < 0:
            leave = day * DAY + self.draws.uniform(13.0, 16.0) * HOUR
            clock, at, _ = self.sightsee(who, clock, at, region, leave, None, town)
            self.arrive_home(who, max(clock, leave) + travel_seconds(at, who.home))
            return
        flight = self.flights[back]
        departure = day * DAY + flight.departure_minute * MINUTE
        airport = _airport_point(flight.origin)
        at_airport = departure - self.draws.uniform(50, 80) * MINUTE
        clock, at, _ = self.sightsee(who, clock, at, region, at_airport, airport, town)
        at_airport = min(
            max(at_airport, clock + travel_seconds(at, airport)), departure - 10 * MINUTE
        )
        self.fly_home(who, flight, day, at_airport)

    def fly_home(self, who: _Person, flight: Flight, day: int, at_airport: float) -> None:
        """Wait at the airport from ``at_airport``, fly, land and travel home."""
        departure = day * DAY + flight.departure_minute * MINUTE
        self.log.stay(
            who.index, at_airport, departure, self.near(_airport_point(flight.origin), 0, 300)
        )
        arrival = day * DAY + flight.arrival_minute * MINUTE
        self.log.flight(who.index, departure, arrival)
        home_airport = _airport_point(flight.destination)
        leave = arrival + self.draws.uniform(15, 30) * MINUTE
        self.log.stay(who.index, arrival, leave, self.near(home_airport, 0, 300))
        self.arrive_home(who, leave + travel_seconds(home_airport, who.home))

    def arrive_home(self, who: _Person, arrival: float) -> None:
        """Home from ``arrival`` to the end of that day (at least an hour)."""
        end_of_day = (arrival // DAY + 1) * DAY
        self.log.stay(who.index, arrival, max(end_of_day, arrival + HOUR), who.home)


def _airport_point(code: str) -> Point:
    return AIRPORTS[code].lat, AIRPORTS[code].lon


def _town_point(code: str) -> Point:
    return MUNICIPALITIES[code].lat, MUNICIPALITIES[code].lon


def build_itineraries(
    people: People,
    trips: Trips,
    persons: npt.NDArray[np.int64],
    calendar: TravelCalendar,
    rng: np.random.Generator,
) -> Itineraries:
    """Plan the observed days of the subscribers among ``persons`` (sorted person indices)."""
    planner = _Planner(Draws(rng), calendar)
    first_trip = np.searchsorted(trips.person, persons, side="left")
    last_trip = np.searchsorted(trips.person, persons, side="right")
    for index, lo, hi in zip(
        persons.tolist(), first_trip.tolist(), last_trip.tolist(), strict=True
    ):
        if people.subscriber_id[index]:
            _plan_person(planner, people, trips, index, range(lo, hi))
    return planner.log.pack()


def _plan_person(planner: _Planner, people: People, trips: Trips, index: int, own: range) -> None:
    """Plan one subscriber: their trips, and every other day if they live in a study region."""
    home = (float(people.home_lat[index]), float(people.home_lon[index]))
    who = _Person(
        index,
        home,
        (float(people.work_lat[index]), float(people.work_lon[index])),
        planner.near(home, 300, 1500),
        planner.draws.uniform() < _WORKER_SHARE,
        people.region[index] == "",
    )
    for k in own:
        planner.trip(who, trips, k)
    if who.visitor:
        return
    away = {day for k in own for day in range(trips.span(k)[0], trips.span(k)[1] + 1)}
    places = region_places(str(people.region[index]))
    cumulative = np.cumsum(places.sight_weight).tolist()
    for day in range(planner.window_days):
        if day not in away:
            planner.resident_day(who, day, places, cumulative)
