"""Location observations: when the carrier sees a phone, and where.

On an observed day a phone is seen about once an hour while its owner is awake (from 06:00–08:00 to
22:00–24:00), each time with a few minutes of jitter and a 15 % chance of being missed; in the dense
window before a departure it is seen every 20 minutes. At each observation time the position comes
from the itinerary: the stop the person is at, or a point on the straight line between two stops
while travelling; observations during a flight are dropped. Positions get GPS-like noise of 30–100
metres and are rounded to 6 decimals (about 0.1 m), which is also what the written files hold, so
the truth tables are computed on exactly the values the engine reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sample_data.geography import jitter
from sample_data.itinerary import FLIGHT, Itineraries
from sample_data.travel_calendar import DAY, HOUR, MINUTE

__all__ = ["Observations", "observe"]

_HOURLY_TICKS = 19
_MISS_SHARE = 0.15
_DENSE_TICKS = 9  # 180, 160, …, 20 minutes before departure
_DENSE_MISS_SHARE = 0.10
_NOISE_M = (30.0, 100.0)
_DECIMALS = 6


@dataclass(frozen=True)
class Observations:
    """Clean observations sorted by (person, second), at most one per person and second."""

    person: npt.NDArray[np.int64]
    second: npt.NDArray[np.int64]  # seconds since 00:00 JST of the window's first day
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]

    @property
    def count(self) -> int:
        """Number of observations."""
        return len(self.person)


def observe(itineraries: Itineraries, rng: np.random.Generator) -> Observations:
    """Sample observations for every observed day of the itineraries."""
    person, second = _ticks(itineraries, rng)
    keep, lat, lon = _positions(itineraries, person, second)
    person, second, lat, lon = person[keep], second[keep], lat[keep], lon[keep]
    lat, lon = jitter(rng, lat, lon, *_NOISE_M)
    return _tidy(person, second, np.round(lat, _DECIMALS), np.round(lon, _DECIMALS))


def _ticks(
    it: Itineraries, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Observation times: hourly while awake plus the dense windows, with random misses."""
    days = len(it.day)
    wake = it.day * DAY + rng.uniform(6.0, 8.0, days) * HOUR
    sleep = it.day * DAY + rng.uniform(22.0, 24.0, days) * HOUR
    hourly = wake[:, None] + np.arange(_HOURLY_TICKS)[None, :] * HOUR
    hourly = hourly + rng.uniform(-10, 10, hourly.shape) * MINUTE
    hourly_ok = (hourly < sleep[:, None]) & (rng.random(hourly.shape) >= _MISS_SHARE)
    before = np.arange(_DENSE_TICKS, 0, -1) * 20 * MINUTE
    dense = (
        it.dense_to[:, None] - before[None, :] + rng.uniform(-3, 3, (days, _DENSE_TICKS)) * MINUTE
    )
    dense_ok = (it.dense_from[:, None] >= 0) & (rng.random(dense.shape) >= _DENSE_MISS_SHARE)
    person = np.concatenate(
        [
            np.broadcast_to(it.day_person[:, None], hourly.shape)[hourly_ok],
            np.broadcast_to(it.day_person[:, None], dense.shape)[dense_ok],
        ]
    )
    second = np.concatenate([hourly[hourly_ok], dense[dense_ok]]).astype(np.int64)
    return person.astype(np.int64), second


def _positions(
    it: Itineraries, person: npt.NDArray[np.int64], second: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Position at each tick from the stops (None where in flight or outside the itinerary)."""
    stop_key = it.person * (1 << 32) + it.start
    tick_key = person * (1 << 32) + second
    k = np.searchsorted(stop_key, tick_key, side="right") - 1
    found = (k >= 0) & (it.person[np.maximum(k, 0)] == person)
    k = np.maximum(k, 0)
    nxt = np.minimum(k + 1, len(it.person) - 1)
    at_stop = second < it.end[k]
    travelling = ~at_stop & (nxt != k) & (it.person[nxt] == person)
    span = np.maximum(it.start[nxt] - it.end[k], 1)
    share = np.clip((second - it.end[k]) / span, 0.0, 1.0)
    lat = np.where(at_stop, it.lat[k], it.lat[k] + share * (it.lat[nxt] - it.lat[k]))
    lon = np.where(at_stop, it.lon[k], it.lon[k] + share * (it.lon[nxt] - it.lon[k]))
    in_flight = (it.kind[k] == FLIGHT) | (~at_stop & (it.kind[nxt] == FLIGHT))
    keep = found & (at_stop | travelling) & ~in_flight & np.isfinite(lat) & np.isfinite(lon)
    return keep, lat, lon


def _tidy(
    person: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
) -> Observations:
    """Sort by (person, second) and keep one observation per person and second.

    A phone is seen at most once a second, so "the latest observation before t" is never a tie.
    """
    order = np.lexsort((lon, lat, second, person))
    person, second, lat, lon = person[order], second[order], lat[order], lon[order]
    repeat = np.r_[False, (person[1:] == person[:-1]) & (second[1:] == second[:-1])]
    return Observations(person[~repeat], second[~repeat], lat[~repeat], lon[~repeat])
