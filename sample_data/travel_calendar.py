"""The study window as days, and how much people like to travel on each of them.

Time inside the generator is an integer number of seconds since 00:00 JST of the window's first
day (day index 0); every table converts to dates and datetimes only when it is written. Demand for
departures follows what airlines see in Japan: weekends and national holidays (``jpholiday``) are
busy, Friday evenings and the Obon week in mid-August busier still, and August more than September.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jpholiday
import numpy as np
import numpy.typing as npt

__all__ = ["DAY", "HOUR", "MINUTE", "TravelCalendar"]

MINUTE = 60
HOUR = 3600
DAY = 86400

_WEEKDAY_DEMAND = (0.8, 0.75, 0.75, 0.85, 1.2, 1.7, 1.3)  # Monday … Sunday
_HOLIDAY_DEMAND = 1.7
_OBON = (dt.date(2025, 8, 9), dt.date(2025, 8, 17))  # the 2025 Obon travel peak
_OBON_FACTOR = 1.5
_MONTH_FACTOR = {7: 1.1, 8: 1.25, 9: 1.0}


@dataclass(frozen=True)
class TravelCalendar:
    """The days of the window with their holiday flags and relative departure demand."""

    start: dt.date
    days: int

    def date_of(self, day: int) -> dt.date:
        """The calendar date of day index ``day``."""
        return self.start + dt.timedelta(days=day)

    def is_day_off(self, day: int) -> bool:
        """Whether day index ``day`` is a Saturday, Sunday or national holiday."""
        date = self.date_of(day)
        return date.weekday() >= 5 or jpholiday.is_holiday(date)

    def days_off(self, first: int, stop: int) -> dict[int, bool]:
        """Day-off flags of day indices ``first`` … ``stop - 1`` (may lie outside the window)."""
        return {day: self.is_day_off(day) for day in range(first, stop)}

    def demand(self, first: int, stop: int) -> npt.NDArray[np.float64]:
        """Relative number of departures on the day indices ``first`` … ``stop - 1``."""
        return np.array([self._demand_on(self.date_of(day)) for day in range(first, stop)])

    def _demand_on(self, date: dt.date) -> float:
        weight = _WEEKDAY_DEMAND[date.weekday()]
        if jpholiday.is_holiday(date):
            weight = max(weight, _HOLIDAY_DEMAND)
        if _OBON[0] <= date <= _OBON[1]:
            weight *= _OBON_FACTOR
        return weight * _MONTH_FACTOR.get(date.month, 1.0)

    def month_of(self, day: int) -> str:
        """The ``YYYY-MM`` month of day index ``day``."""
        return self.date_of(day).strftime("%Y-%m")

    def datetimes(self, seconds: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
        """Window seconds as naive JST ``datetime64[s]`` values."""
        origin = np.datetime64(self.start.isoformat(), "s")
        return origin + seconds.astype("timedelta64[s]")
