"""Airline-side cohorts: who to look up, for which periods, in which groups (A2's input).

A cohort is built by the airline from its own data alone. It names the carrier view family it reads
(``region:<id>`` day records, ``depart`` day records, ``month`` records) and holds groups; each
group has a label only the airline knows (an arrival day offset, a departure slot, a donation
month) and a set of join keys ``(normalised phone, period)``. The contribution bounds are applied
here, where the data lives: at most ``max_trips`` events per person per release and a fixed number
of keys per event; a person appears at most once per group.

The builders:

- :func:`arrival_cohort` — members who landed at a study airport in a date range, with keys for the
  arrival day and the following days, optionally only repeat flyers (at least N earlier arrivals
  at that airport in the airline's own history).
- :func:`departure_cohort` — members departing from an airport, keys for the departure day (and the
  day before, for "24 hours before"), grouped by morning/afternoon, minutes before departure and
  the carrier's 20-minute slot that time falls in.
- :func:`donor_cohort` — furusato-nozei donors to a municipality by donation month, and a comparison
  cohort of members who never donated to it, with monthly keys after the donation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from engine.inputs import AirlineInputs
from engine.queries.shapes import DEPARTURE_MINUTES, QueryShape, donation_months
from engine.queries.spec import EAST_HOKKAIDO_AIRPORTS, QuerySpec
from foundation.errors import InputError
from geo.places import region_of_airport

__all__ = [
    "DEPARTURE_MINUTES",
    "Cohort",
    "CohortGroup",
    "arrival_cohort",
    "build_cohort",
    "departure_cohort",
    "donor_cohort",
    "slot_floor",
]

SLOT_MINUTES = 20
FIRST_SLOT = dt.time(5, 0)
LAST_SLOT = dt.time(22, 40)


@dataclass(frozen=True)
class CohortGroup:
    """One group: an airline-only label and the join keys ``(phone_e164, period)`` it sums."""

    label: tuple[str, ...]
    keys: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Cohort:
    """The groups of one query, all reading the same carrier view family."""

    family: str
    groups: tuple[CohortGroup, ...]
    label_names: tuple[str, ...]
    bounds: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = [group.label for group in self.groups]
        if len(set(labels)) != len(labels):
            raise InputError(f"cohort for {self.family}: group labels must be unique")


def _group(entries: Iterable[tuple[tuple[str, ...], str, str]]) -> tuple[CohortGroup, ...]:
    """Collect ``(label, phone, period)`` rows into sorted groups (a person once per group)."""
    keys: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    for label, phone, period in entries:
        keys.setdefault(label, set()).add((phone, period))
    return tuple(CohortGroup(label, frozenset(keys[label])) for label in sorted(keys))


def _check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InputError(f"date range ends ({end}) before it starts ({start})")


def _first_events(frame: pd.DataFrame, time_column: str, max_trips: int) -> pd.DataFrame:
    """Keep each member's first ``max_trips`` events (the contribution bound)."""
    ordered = frame.sort_values(["member_id", time_column], kind="stable")
    return ordered.groupby("member_id", sort=False).head(max_trips)


def arrival_cohort(
    members: pd.DataFrame,
    boardings: pd.DataFrame,
    airport: str,
    start: dt.date,
    end: dt.date,
    *,
    days: int = 3,
    repeat_flyer_min: int = 0,
    by_date: bool = False,
    max_trips: int = 1,
) -> Cohort:
    """Members who landed at ``airport`` between ``start`` and ``end``; keys for ``days`` days."""
    _check_range(start, end)
    if not 1 <= days <= 14:
        raise InputError(f"days after arrival must be 1–14, not {days}")
    region = region_of_airport(airport)
    arrivals = boardings[boardings["destination"] == airport].copy()
    arrivals["arrival_date"] = arrivals["arrival"].dt.date
    arrivals = arrivals.sort_values(["member_id", "arrival"], kind="stable")
    arrivals["earlier"] = arrivals.groupby("member_id").cumcount()
    window = arrivals[(arrivals["arrival_date"] >= start) & (arrivals["arrival_date"] <= end)]
    window = window[window["earlier"] >= repeat_flyer_min]
    window = _first_events(window, "arrival", max_trips)
    phones = _phones(members)
    rows = []
    for member_id, day in zip(window["member_id"], window["arrival_date"], strict=True):
        for offset in range(days):
            label = (day.isoformat(), str(offset)) if by_date else (str(offset),)
            rows.append((label, phones[member_id], (day + dt.timedelta(days=offset)).isoformat()))
    names = ("arrival_date", "day_offset") if by_date else ("day_offset",)
    bounds = {"max_trips": max_trips, "keys_per_trip": days}
    return Cohort(f"region:{region.id}", _group(rows), names, bounds)


def slot_floor(moment: dt.datetime) -> dt.datetime | None:
    """The latest carrier slot time (05:00, 05:20, …, 22:40) at or before ``moment``, same day."""
    minute = moment.hour * 60 + moment.minute
    floored = minute - minute % SLOT_MINUTES
    slot = moment.replace(hour=floored // 60, minute=floored % 60, second=0, microsecond=0)
    if not FIRST_SLOT <= slot.time() <= LAST_SLOT:
        return None
    return slot


def _phones(members: pd.DataFrame) -> dict[str, str]:
    """member id → E.164 phone, as a dict (a lookup per key; a Series lookup costs 15 µs)."""
    return dict(zip(members["member_id"].tolist(), members["phone_e164"].tolist(), strict=True))


def departure_cohort(
    members: pd.DataFrame,
    boardings: pd.DataFrame,
    airport: str,
    start: dt.date,
    end: dt.date,
    *,
    max_trips: int = 1,
) -> Cohort:
    """Members departing ``airport`` in the range, grouped by (day, departure slot).

    Each departure gives two keys: the departure day in group ``("0", slot)`` and the day before
    in group ``("-1", slot)``, ``slot`` being the carrier slot time at or before departure. The
    carrier's view of those days holds the location class at every slot time, so "24 hours
    before" is the day before at ``slot`` and "60, 40, 20 minutes before" are earlier slots of
    the departure day (:mod:`engine.queries.shapes` reads them).
    """
    _check_range(start, end)
    departures = boardings[boardings["origin"] == airport]
    dates = departures["departure"].dt.date
    departures = _first_events(
        departures[(dates >= start) & (dates <= end)], "departure", max_trips
    )
    phones = _phones(members)
    rows = []
    for member_id, when in zip(departures["member_id"], departures["departure"], strict=True):
        slot = slot_floor(when.to_pydatetime())
        if slot is None:
            continue
        label = slot.strftime("%H:%M")
        day = slot.date()
        rows.append((("0", label), phones[member_id], day.isoformat()))
        rows.append((("-1", label), phones[member_id], (day - dt.timedelta(days=1)).isoformat()))
    bounds = {"max_trips": max_trips, "keys_per_trip": 2}
    return Cohort("depart", _group(rows), ("day", "departure_slot"), bounds)


def _month_plus(month: str, offset: int) -> str:
    year, mon = (int(part) for part in month.split("-"))
    total = year * 12 + (mon - 1) + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def donor_cohort(
    members: pd.DataFrame,
    donations: pd.DataFrame,
    municipality: str,
    months: Sequence[str],
    *,
    months_after: int = 2,
) -> Cohort:
    """Donors to ``municipality`` by donation month, and members who never donated to it.

    A donor counts in the first window month they gave in (one donation month per person per
    release: the contribution bound), with keys for that month and the ``months_after`` after it,
    grouped ``(donor, donation month, offset)``. The comparison members' visits do not depend on
    a donation month, so they are grouped by calendar month, ``(comparison, month, *)``: a
    comparison key sits in exactly one group (the release reads month ``m + o`` for every
    ``(m, o)``), never in several.
    """
    if not 0 <= months_after <= 12:
        raise InputError(f"months after donation must be 0–12, not {months_after}")
    to_town = donations[donations["municipality_code"] == municipality].copy()
    to_town["month"] = to_town["donation_date"].dt.strftime("%Y-%m")
    phones = _phones(members)
    never = sorted(set(members["member_id"]) - set(to_town["member_id"]))
    in_window = to_town[to_town["month"].isin(list(months))].sort_values("month", kind="stable")
    first_month = in_window.groupby("member_id", sort=True)["month"].first()
    rows: list[tuple[tuple[str, ...], str, str]] = []
    for member_id, month in zip(first_month.index, first_month.to_numpy(), strict=True):
        for offset in range(months_after + 1):
            label = ("donor", str(month), str(offset))
            rows.append((label, str(phones[member_id]), _month_plus(str(month), offset)))
    calendar_months = sorted({_month_plus(m, o) for m in months for o in range(months_after + 1)})
    for month in calendar_months:
        rows.extend((("comparison", month, "*"), phones[member_id], month) for member_id in never)
    bounds = {"max_trips": 1, "keys_per_trip": max(months_after + 1, len(calendar_months))}
    return Cohort("month", _group(rows), ("cohort", "donation_month", "month_offset"), bounds)


# -- the airline's cohort for a shape ---------------------------------------------------------
def build_cohort(shape: QueryShape, airline: AirlineInputs) -> Cohort:
    """The airline's cohort for ``shape``: one group per public label, in order (A only)."""
    spec = shape.spec
    if spec.kind == "furusato":
        cohort = donor_cohort(
            airline.members, airline.donations, str(spec.municipality),
            donation_months(spec), months_after=spec.months_after,
        )  # fmt: skip
    elif spec.kind == "preboarding":
        cohort = departure_cohort(
            airline.members, airline.boardings, str(spec.airport), spec.start, spec.end,
            max_trips=spec.max_trips,
        )  # fmt: skip
    else:
        airports = EAST_HOKKAIDO_AIRPORTS if spec.kind == "hokkaido" else (str(spec.airport),)
        cohort = _arrivals(spec, airline, airports, shape.family.name)
    return _aligned(cohort, shape)


def _arrivals(
    spec: QuerySpec, airline: AirlineInputs, airports: Sequence[str], family: str
) -> Cohort:
    days = 1 if spec.kind == "repeat" else spec.days
    groups = []
    for airport in airports:
        cohort = arrival_cohort(
            airline.members, airline.boardings, airport, spec.start, spec.end,
            days=days, repeat_flyer_min=spec.repeat_flyer_min, max_trips=spec.max_trips,
        )  # fmt: skip
        prefix = (airport,) if len(airports) > 1 else ()
        groups += [CohortGroup((*prefix, *group.label), group.keys) for group in cohort.groups]
    return Cohort(family, tuple(groups), ())


def _aligned(cohort: Cohort, shape: QueryShape) -> Cohort:
    """The cohort's groups in the shape's public order, empty ones included, keys disjoint.

    A join key sits in at most one group (the first, in public order): sent twice, the same
    blinded point in two groups would tell the carrier how many keys are shared, and the
    airline how many matched positions belong to several groups — counts no dummy noise covers.
    Keys are only ever shared by overlapping trips of one person (``max_trips`` > 1, or
    arrivals at two East Hokkaido airports within the day window); dropping the repeat is part
    of the contribution bound.
    """
    keys = {group.label: group.keys for group in cohort.groups}
    unknown = set(keys) - set(shape.group_labels)
    if unknown:
        raise InputError(f"the cohort has {len(unknown)} group(s) outside the query's shape")
    taken: set[tuple[str, str]] = set()
    groups = []
    for label in shape.group_labels:
        own = keys.get(label, frozenset()) - taken
        taken |= own
        groups.append(CohortGroup(label, frozenset(own)))
    return Cohort(shape.family.name, tuple(groups), shape.label_names)
