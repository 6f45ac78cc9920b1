"""Only periods inside the data: a release never reads days the parties have no data for.

Why: a release over days without observations is not an error in the arithmetic — the counts of
those days are simply zero — but it reads as "nobody went there": a furusato page showed visit
rates for a month after the data ended, charged like any other. So every door a person uses (the
CLI, the service, the dashboard) fits a spec to the data before anything is charged, and says so.

Two periods matter, both public metadata of a deployment:

* the **events** the airline selects on (arrivals, departures, donations): its own data's period;
* the **observations** the carrier counts in: the first and last day of its prepared data, sent
  to the airline in :class:`~engine.wire.messages.CarrierHello`.

What a spec reads (:func:`read_window`): arrivals ``start … end + days − 1``; pre-boarding the day
before each departure too; furusato whole calendar months from the first donation month to the
last one plus ``months_after``; population ``start … end``. Repeat releases look back a year for
prior visits; that look-back is counted within the observations there are (documented, not
clipped), since its buckets say "at least".

:func:`fit_to_data` clips a spec to what lies inside: the event window to both periods and its end
so that its last day's reach stays inside the observations (for furusato: ``months_after`` to the
months observed); it raises :class:`~foundation.errors.InputError` when nothing is left.
:func:`check_inside` refuses a spec that would need clipping, naming the valid range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from engine.queries.spec import QuerySpec
from foundation.errors import InputError

__all__ = ["DataPeriod", "check_inside", "fit_to_data", "read_window"]

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DataPeriod:
    """The first and last day (inclusive) a party has data for."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InputError(f"a data period ends ({self.last}) before it starts ({self.first})")

    def overlap(self, other: DataPeriod | None) -> DataPeriod | None:
        """The days both periods cover, or None."""
        if other is None:
            return self
        first, last = max(self.first, other.first), min(self.last, other.last)
        return DataPeriod(first, last) if first <= last else None

    def __str__(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def read_window(spec: QuerySpec) -> tuple[dt.date, dt.date]:
    """The first and last day of observations ``spec`` reads (the year of look-back aside)."""
    if spec.kind == "furusato":
        last_month = _month_start(spec.end, spec.months_after)
        return _month_start(spec.start), _month_start(last_month, 1) - _ONE_DAY
    if spec.kind == "preboarding":
        return spec.start - _ONE_DAY, spec.end
    reach = spec.days if spec.kind in ("visit-map", "flows", "profile", "hourly", "hokkaido") else 1
    return spec.start, spec.end + dt.timedelta(days=reach - 1)


def fit_to_data(
    spec: QuerySpec, observations: DataPeriod, events: DataPeriod | None = None
) -> QuerySpec:
    """``spec`` clipped so that its events and everything it reads lie inside the data."""
    if spec.kind == "furusato":
        return _fit_months(spec, observations, events)
    lead = _ONE_DAY if spec.kind == "preboarding" else dt.timedelta(0)
    tail = read_window(spec)[1] - spec.end  # days read after the last event
    start = max(spec.start, observations.first + lead, events.first if events else spec.start)
    end = min(spec.end, observations.last - tail, events.last if events else spec.end)
    if start > end:
        raise InputError(
            f"the period {spec.start} – {spec.end} lies outside the data "
            f"(observations {observations}"
            + (f", {spec.kind} events {events}" if events else "")
            + "); choose dates inside it",
            field="start",
        )
    return spec if (start, end) == (spec.start, spec.end) else replace(spec, start=start, end=end)


def _fit_months(spec: QuerySpec, observations: DataPeriod, events: DataPeriod | None) -> QuerySpec:
    """Furusato: donation months inside both periods, months after only as far as observed."""
    start = max(spec.start, _month_start(observations.first))
    end = min(spec.end, observations.last, events.last if events else spec.end)
    if events is not None:
        start = max(start, _month_start(events.first))
    if start > end:
        raise InputError(
            f"no donation month of {spec.start} – {spec.end} lies inside the data "
            f"(observations {observations}); choose months inside it",
            field="start",
        )
    months_after = min(spec.months_after, _months_between(end, observations.last))
    fitted = replace(spec, start=start, end=end, months_after=months_after)
    return spec if fitted == spec else fitted


def check_inside(
    spec: QuerySpec, observations: DataPeriod, events: DataPeriod | None = None
) -> QuerySpec:
    """Return ``spec`` if it lies inside the data; else an InputError naming what would fit."""
    fitted = fit_to_data(spec, observations, events)
    if fitted != spec:
        what = f"{fitted.start} – {fitted.end}"
        if spec.kind == "furusato":
            what += f" with {fitted.months_after} month(s) after"
        raise InputError(
            f"the {spec.kind} release reads days outside the data (observations "
            f"{observations}); the largest part inside is {what}",
            field="end",
        )
    return spec
