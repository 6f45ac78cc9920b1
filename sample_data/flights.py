"""The airline's timetable and the choice of flights for trips.

Routes follow the study: HND and ITM to every study airport with scheduled service (OKD has none
from Tokyo or Osaka), and Sapporo (CTS, OKD) to East Hokkaido (MMB, KUH, SHB). Outbound flights
get odd numbers, return flights even ones, in the airline's ``JL0501`` style.

Every scheduled departure lies on the 20-minute grid between 06:20 and 21:00. The pre-boarding view
asks where a traveller was 20, 40, 60 and 1440 minutes before departure, and the carrier evaluates
locations at 20-minute slots (05:00–22:40): on this grid every such moment *is* a slot, so the
secure engine reproduces the truth table exactly (see ``docs/views.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["Flight", "choose_flights", "timetable"]

SLOT_MINUTES = 20


@dataclass(frozen=True)
class Flight:
    """One daily scheduled flight; times are minutes after midnight JST."""

    number: str
    origin: str
    destination: str
    departure_minute: int
    block_minutes: int

    def __post_init__(self) -> None:
        if self.departure_minute % SLOT_MINUTES or not 380 <= self.departure_minute <= 1260:
            raise ValueError(f"flight {self.number}: departure must be on the 20-minute grid")
        if not 30 <= self.block_minutes <= 360 or self.origin == self.destination:
            raise ValueError(f"flight {self.number}: implausible route or block time")

    @property
    def arrival_minute(self) -> int:
        """Arrival, minutes after midnight of the departure day."""
        return self.departure_minute + self.block_minutes


# (origin, destination, first flight number, block minutes, outbound times, return times)
_ROUTES: tuple[tuple[str, str, int, int, str, str], ...] = (
    (
        "HND",
        "CTS",
        501,
        95,
        "06:20 07:40 09:00 10:40 12:20 14:00 16:00 17:40 19:20",
        "08:20 10:00 11:40 13:20 15:00 16:40 18:20 20:00 21:00",
    ),
    ("HND", "MMB", 563, 105, "07:20 11:00 14:40", "09:40 13:20 17:20"),
    ("HND", "KUH", 541, 100, "07:40 11:20 15:40", "10:00 14:00 18:00"),
    ("HND", "SHB", 585, 105, "08:00 12:40", "10:40 15:20"),
    ("HND", "SHM", 211, 75, "07:20 11:40 16:40", "09:20 13:40 18:40"),
    ("HND", "TAK", 471, 80, "06:40 09:40 13:00 17:20", "08:40 11:40 15:20 19:40"),
    (
        "HND",
        "FUK",
        301,
        110,
        "06:20 07:40 09:00 10:20 12:00 13:40 15:20 17:00 18:40 20:00",
        "07:20 08:40 10:00 11:40 13:20 15:00 16:40 18:20 20:00 21:00",
    ),
    ("ITM", "CTS", 2001, 110, "07:40 10:20 13:40 16:20", "09:40 12:40 15:40 18:20"),
    ("ITM", "MMB", 2381, 115, "09:20", "12:00"),
    ("ITM", "KUH", 2371, 110, "10:00", "13:00"),
    ("ITM", "SHB", 2391, 120, "08:40", "12:20"),
    ("ITM", "SHM", 2171, 45, "08:20 17:00", "09:40 18:20"),
    ("ITM", "TAK", 2181, 45, "08:00 16:20", "09:20 17:40"),
    ("ITM", "FUK", 2051, 75, "07:20 09:40 12:20 15:40 18:40", "08:40 11:20 14:20 17:20 20:20"),
    ("CTS", "MMB", 2711, 45, "08:40 12:40 17:20", "10:00 14:00 18:40"),
    ("CTS", "KUH", 2731, 45, "09:00 15:20", "10:40 17:00"),
    ("OKD", "KUH", 2871, 50, "08:20 15:00", "10:00 16:40"),
    ("OKD", "MMB", 2881, 50, "08:00 14:20", "09:40 16:00"),
    ("OKD", "SHB", 2891, 55, "09:20", "11:00"),
)


def _minutes(text: str) -> list[int]:
    """``"07:20 11:00"`` as minutes after midnight."""
    return [int(hhmm[:2]) * 60 + int(hhmm[3:]) for hhmm in text.split()]


@cache
def timetable() -> tuple[Flight, ...]:
    """Every daily flight, sorted by route and departure time."""
    flights = []
    for origin, destination, first, block, out_times, back_times in _ROUTES:
        for k, minute in enumerate(_minutes(out_times)):
            flights.append(Flight(f"JL{first + 2 * k:04d}", origin, destination, minute, block))
        for k, minute in enumerate(_minutes(back_times)):
            flights.append(Flight(f"JL{first + 1 + 2 * k:04d}", destination, origin, minute, block))
    return tuple(sorted(flights, key=lambda f: (f.origin, f.destination, f.departure_minute)))


def served(origin: str, destination: str) -> bool:
    """Whether the timetable has a flight from ``origin`` to ``destination``."""
    return any(f.origin == origin and f.destination == destination for f in timetable())


def choose_flights(
    rng: np.random.Generator,
    origin: npt.NDArray[np.str_],
    destination: npt.NDArray[np.str_],
    earliest_minute: npt.NDArray[np.int64],
    prefer_morning: bool,
) -> npt.NDArray[np.int64]:
    """Index into :func:`timetable` of a flight per row departing at or after ``earliest_minute``.

    Morning flights (before 12:00) are favoured outbound, afternoon ones on the way back. Rows
    without a suitable flight get -1.
    """
    flights = timetable()
    chosen = np.full(len(origin), -1, dtype=np.int64)
    for route in sorted(set(zip(origin.tolist(), destination.tolist(), strict=True))):
        rows = np.flatnonzero((origin == route[0]) & (destination == route[1]))
        options = [i for i, f in enumerate(flights) if (f.origin, f.destination) == route]
        if rows.size and options:
            chosen[rows] = _pick_option(
                rng, flights, options, earliest_minute[rows], prefer_morning
            )
    return chosen


def _pick_option(
    rng: np.random.Generator,
    flights: tuple[Flight, ...],
    options: list[int],
    earliest: npt.NDArray[np.int64],
    prefer_morning: bool,
) -> npt.NDArray[np.int64]:
    """Weighted pick among one route's flights, per row, honouring the earliest departure."""
    minutes = np.array([flights[i].departure_minute for i in options])
    liked = (minutes < 720) if prefer_morning else (minutes >= 840)
    weights = np.where(liked, 2.0, 1.0)[None, :] * (minutes[None, :] >= earliest[:, None])
    totals = weights.sum(axis=1)
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(earliest)) * totals
    picks = (cumulative <= draws[:, None]).sum(axis=1)
    picks = np.minimum(picks, len(options) - 1)
    return np.where(totals > 0, np.asarray(options)[picks], -1)
