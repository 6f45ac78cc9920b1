"""Where a person was at a given moment, as one of four classes (the pre-boarding view).

The class at time *t* is that of the person's latest observation in the closed interval
[*t* − 120 min, *t*]: ``home`` if that observation lies in the subscriber's home municipality,
else ``airport`` if it lies within 5 km (great circle) of any airport in ``geo.places.AIRPORTS``,
else ``elsewhere``; ``none`` if there is no observation in the interval. "In the home municipality"
uses the nearest built-in representative point over every municipality
(:func:`sample_data.geography.home_areas`), because the product's area map only covers study
regions and homes lie mostly in Tokyo and Osaka.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from geo.places import AIRPORTS
from sample_data.geography import distance_m, home_areas
from sample_data.movement import Observations
from sample_data.travel_calendar import MINUTE
from sample_data.world import People

__all__ = ["AIRPORT_RADIUS_M", "LOOKBACK_SECONDS", "classify_locations"]

LOOKBACK_SECONDS = 120 * MINUTE
AIRPORT_RADIUS_M = 5000.0
_KEY_SHIFT = 1 << 32


def classify_locations(
    obs: Observations,
    people: People,
    person: npt.NDArray[np.int64],
    at: npt.NDArray[np.int64],
) -> npt.NDArray[np.str_]:
    """The location class of each (person, second) query; observations sorted by person, second."""
    latest = _latest_observation(obs, person, at)
    found = latest >= 0
    classes = np.full(len(person), "none", dtype="<U9")
    rows = latest[found]
    lat, lon = obs.lat[rows], obs.lon[rows]
    at_home = home_areas().assign(lat, lon).astype(str) == people.home_municipality[person[found]]
    classes[found] = np.where(
        at_home, "home", np.where(near_airport(lat, lon), "airport", "elsewhere")
    )
    return classes


def _latest_observation(
    obs: Observations, person: npt.NDArray[np.int64], at: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Row of the latest observation in [at − 120 min, at] per query, or -1."""
    keys = obs.person * _KEY_SHIFT + obs.second
    k = np.searchsorted(keys, person * _KEY_SHIFT + at, side="right") - 1
    safe = np.maximum(k, 0)
    ok = (k >= 0) & (obs.person[safe] == person) & (obs.second[safe] >= at - LOOKBACK_SECONDS)
    return np.where(ok, k, -1)


def near_airport(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Whether each point lies within :data:`AIRPORT_RADIUS_M` of any airport."""
    near = np.zeros(len(lat), dtype=bool)
    for airport in AIRPORTS.values():
        near |= distance_m(lat, lon, airport.lat, airport.lon) <= AIRPORT_RADIUS_M
    return near
