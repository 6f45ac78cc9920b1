"""Itineraries: where each subscriber is, minute by minute, on the days the carrier observes them.

An itinerary is a sorted list of *stops* per person: a place (latitude, longitude) with an arrival
and a departure time, or a flight (no position: phones are off in the air). Between two stops the
person travels in a straight line at a plausible speed. :mod:`sample_data.movement` later samples
positions from these stops at observation times.

Which days are observed (planned by :mod:`sample_data.planner`): every day for residents of a
study region; for visitors only the days around a trip — the day before departure, the way out,
the days in the region and the way home. People who stay at home in Tokyo or Osaka are not
observed at all, which keeps the carrier's data small. Departure days from home carry a *dense
window*, the three hours before the flight, where the phone is seen every 20 minutes. Only days
inside the window are recorded: the carrier's extract covers the window only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sample_data.geography import EARTH_RADIUS_M
from sample_data.travel_calendar import MINUTE

__all__ = ["FLIGHT", "STAY", "Itineraries", "ItineraryLog", "Point", "travel_seconds"]

STAY = 0
FLIGHT = 1
Point = tuple[float, float]


@dataclass(frozen=True)
class Itineraries:
    """Stops sorted by (person, start), and the observed person-days with their dense windows."""

    person: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    kind: npt.NDArray[np.int8]
    day_person: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    dense_from: npt.NDArray[np.int64]  # -1 where the day has no dense window
    dense_to: npt.NDArray[np.int64]


def travel_seconds(a: Point, b: Point) -> int:
    """Door-to-door time between two points: walking/driving nearby, trains further away."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    metres = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))
    speed = 8.0 if metres < 20_000 else 17.0 if metres < 150_000 else 42.0  # m/s
    return int(10 * MINUTE + metres / speed)


class ItineraryLog:
    """Collects stops and observed days as plain lists (fast appends), then packs arrays."""

    def __init__(self, window_days: int) -> None:
        self.window_days = window_days
        self.stops: list[tuple[int, int, int, float, float, int]] = []
        self.days: list[tuple[int, int, int, int]] = []

    def stay(self, person: int, start: float, end: float, at: Point) -> None:
        """``person`` is at ``at`` from ``start`` to ``end`` (at least a minute)."""
        self.stops.append((person, int(start), int(max(end, start + MINUTE)), at[0], at[1], STAY))

    def flight(self, person: int, departure: int, arrival: int) -> None:
        """``person`` is in the air from ``departure`` to ``arrival`` (no position)."""
        self.stops.append((person, departure, arrival, math.nan, math.nan, FLIGHT))

    def observed(self, person: int, day: int, dense: tuple[int, int] = (-1, -1)) -> None:
        """The carrier observes ``person`` on ``day`` (densely within ``dense``, if given)."""
        if 0 <= day < self.window_days:  # the carrier's extract covers the window only
            self.days.append((person, day, dense[0], dense[1]))

    def pack(self) -> Itineraries:
        """Everything logged as sorted arrays."""
        stops = sorted(self.stops)
        days = sorted(self.days)

        def column(rows: Sequence[tuple[int | float, ...]], k: int, dtype: type) -> np.ndarray:
            return np.array([row[k] for row in rows], dtype=dtype)

        return Itineraries(
            column(stops, 0, np.int64),
            column(stops, 1, np.int64),
            column(stops, 2, np.int64),
            column(stops, 3, np.float64),
            column(stops, 4, np.float64),
            column(stops, 5, np.int8),
            column(days, 0, np.int64),
            column(days, 1, np.int64),
            column(days, 2, np.int64),
            column(days, 3, np.int64),
        )
