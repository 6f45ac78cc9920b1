"""The building blocks of the world: phones, timetable, calendar, scales, trips, itineraries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import phonenumbers
import pytest

from foundation.errors import InputError
from geo.places import ORIGIN_AIRPORTS, STUDY_AIRPORTS
from sample_data import SCALES, scale_named
from sample_data.flights import timetable
from sample_data.itinerary import FLIGHT
from sample_data.phones import FORMATS, _written, draw_mobile_numbers, to_e164
from sample_data.planner import build_itineraries
from sample_data.travel_calendar import DAY, TravelCalendar
from sample_data.trips import plan_trips
from sample_data.world import build_people


def test_mobile_numbers_are_valid_and_unique() -> None:
    """Drawn numbers are distinct valid Japanese mobile numbers."""
    numbers = draw_mobile_numbers(np.random.default_rng(0), 3000)
    assert len(set(numbers)) == 3000
    for number in numbers[:500]:
        parsed = phonenumbers.parse(number, "JP")
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE


@pytest.mark.parametrize("style", [name for name, _ in FORMATS])
def test_every_writing_style_parses_back(style: str) -> None:
    """Each writing style of a number normalises to the same E.164 number."""
    parsed = phonenumbers.parse(_written("09012345678", style), "JP")
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert formatted == to_e164("09012345678") == "+819012345678"


def test_timetable_serves_the_study_routes() -> None:
    """HND and ITM reach every study airport but OKD; Sapporo reaches East Hokkaido."""
    flights = timetable()
    routes = {(f.origin, f.destination) for f in flights}
    for origin in ORIGIN_AIRPORTS:
        for airport in set(STUDY_AIRPORTS) - {"OKD"}:
            assert (origin, airport) in routes and (airport, origin) in routes
    for sapporo in ("CTS", "OKD"):
        assert any((sapporo, east) in routes for east in ("MMB", "KUH", "SHB"))
    assert len({f.number for f in flights}) == len(flights)


def test_calendar_demand_follows_weekends_holidays_and_obon() -> None:
    """Obon Saturday beats an ordinary September Tuesday; Mountain Day is a day off."""
    calendar = TravelCalendar(dt.date(2025, 8, 1), 61)
    demand = calendar.demand(0, 61)
    obon_saturday, september_tuesday = 15, 32  # 2025-08-16, 2025-09-02
    assert demand[obon_saturday] > 2 * demand[september_tuesday]
    assert calendar.is_day_off(10) and not calendar.is_day_off(11)  # 08-11 holiday, 08-12 not


def test_unknown_scale_names_the_known_ones() -> None:
    """scale_named refuses an unknown name and lists the valid ones."""
    with pytest.raises(InputError, match="tiny, demo, large"):
        scale_named("huge")
    assert SCALES["demo"].end == dt.date(2025, 9, 30)


def test_trips_of_a_person_never_overlap() -> None:
    """Each trip starts at least two days after the previous one ended (a day at home between)."""
    scale = SCALES["tiny"]
    rng = np.random.default_rng(5)
    people = build_people(scale, rng)
    trips = plan_trips(scale, TravelCalendar(scale.start, scale.days), people, rng)
    same = trips.person[1:] == trips.person[:-1]
    gap = trips.depart_day[1:] - trips.last_day[:-1]
    assert same.any() and (gap[same] >= 2).all()


def test_itineraries_are_ordered_and_cover_observed_days() -> None:
    """Stops run forward in time per person, and flights carry no position."""
    scale = SCALES["tiny"]
    rng = np.random.default_rng(5)
    people = build_people(scale, rng)
    calendar = TravelCalendar(scale.start, scale.days)
    trips = plan_trips(scale, calendar, people, rng)
    persons = np.arange(300, dtype=np.int64)
    plan = build_itineraries(people, trips, persons, calendar, rng)
    assert (plan.end > plan.start).all()
    same = plan.person[1:] == plan.person[:-1]
    assert (plan.start[1:][same] >= plan.start[:-1][same]).all()
    assert np.isnan(plan.lat[plan.kind == FLIGHT]).all()
    assert set(plan.day_person) <= set(np.flatnonzero(people.is_subscriber[:300]))
    assert ((plan.day >= 0) & (plan.day < scale.days)).all()
    assert (plan.start >= -7 * DAY).all()
