"""From a query spec to a release plan: the cohort, the view blocks read, the bounds, the rows.

Each query kind (:mod:`engine.queries`) reads one carrier view family and some of its blocks. A
:class:`ReleasePlan` says which, builds the airline's cohort from its own data, states the
contribution bounds the cohort enforces (so the sensitivities follow from them), and projects the
decrypted noisy vectors onto the rows people see — dropping, or summing, slots is
post-processing and costs no privacy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.cohorts import (
    DEPARTURE_MINUTES,
    Cohort,
    CohortGroup,
    arrival_cohort,
    departure_cohort,
    donor_cohort,
)
from engine.dp import ContributionBounds
from engine.errors import InputError
from engine.inputs import AirlineInputs
from engine.layout import PackedLayout, Segment
from engine.queries import EAST_HOKKAIDO_AIRPORTS, QuerySpec
from engine.views import ViewFamily, view_family
from geo.places import region_of_airport

__all__ = ["ProjectedRows", "ReleasePlan", "plan_release"]


@dataclass(frozen=True)
class ProjectedRows:
    """Release rows: labels, noisy values, and how many noisy slots each value sums."""

    label_names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    values: tuple[int, ...]
    summed: tuple[int, ...]


Projector = Callable[
    [Sequence[Segment], Sequence[tuple[str, ...]], Sequence[npt.NDArray[np.int64]]], ProjectedRows
]


@dataclass(frozen=True)
class ReleasePlan:
    """Everything a cross release needs besides the data: what to read and how to show it."""

    family: ViewFamily
    blocks: tuple[str, ...]
    cohort: Cohort
    bounds: ContributionBounds
    project: Projector

    def segments(self, layout: PackedLayout) -> tuple[Segment, ...]:
        """The layout segments holding the plan's blocks, in order."""
        found: list[Segment] = []
        for block in self.blocks:
            segment = layout.segment_of(block)
            if segment not in found:
                found.append(segment)
        return tuple(sorted(found, key=lambda s: s.slot_start))


def _block_reader(
    family: ViewFamily, segments: Sequence[Segment], block: str
) -> Callable[[npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
    """A function taking a group's concatenated segment values to one block's values."""
    offset = 0
    for segment in sorted(segments, key=lambda s: s.slot_start):
        if block in segment.blocks:
            start = offset + family.block_offset(block) - segment.slot_start
            size = len(family.block(block).labels)
            return lambda vector: vector[start : start + size]
        offset += segment.length
    raise InputError(f"block {block!r} is not among the released segments")


def _slots_projector(
    family: ViewFamily, blocks: Sequence[str], names: tuple[str, ...]
) -> Projector:
    """Rows ``(*group label, [block,] slot label)`` for every slot of ``blocks``."""

    def project(
        segments: Sequence[Segment],
        labels: Sequence[tuple[str, ...]],
        vectors: Sequence[npt.NDArray[np.int64]],
    ) -> ProjectedRows:
        readers = [(b, _block_reader(family, segments, b)) for b in blocks]
        rows, values = [], []
        for label, vector in zip(labels, vectors, strict=True):
            for block, read in readers:
                prefix = (block,) if len(blocks) > 1 else ()
                for slot_label, value in zip(family.block(block).labels, read(vector), strict=True):
                    rows.append((*label, *prefix, slot_label))
                    values.append(int(value))
        return ProjectedRows(names, tuple(rows), tuple(values), tuple(1 for _ in values))

    return project


def _arrivals(
    spec: QuerySpec, airline: AirlineInputs, airports: Sequence[str], days: int
) -> Cohort:
    """Arrival cohorts of one or more airports of one region, groups labelled by offset."""
    cohorts = [
        arrival_cohort(
            airline.members, airline.boardings, airport, spec.start, spec.end,
            days=days, repeat_flyer_min=spec.repeat_flyer_min, max_trips=spec.max_trips,
        )
        for airport in airports
    ]  # fmt: skip
    if len(cohorts) == 1:
        return cohorts[0]
    groups = tuple(
        CohortGroup((airport, *group.label), group.keys)
        for airport, cohort in zip(airports, cohorts, strict=True)
        for group in cohort.groups
    )
    return Cohort(cohorts[0].family, groups, ("airport", *cohorts[0].label_names))


def plan_release(spec: QuerySpec, airline: AirlineInputs) -> ReleasePlan:
    """The plan for a cross release (every kind but ``population``)."""
    kind = spec.kind
    if kind in ("visit-map", "flows", "profile", "repeat"):
        return _arrival_plan(spec, airline)
    if kind == "hokkaido":
        cohort = _arrivals(spec, airline, EAST_HOKKAIDO_AIRPORTS, spec.days)
        family = view_family(cohort.family)
        bounds = ContributionBounds(
            len(EAST_HOKKAIDO_AIRPORTS) * spec.days, spec.max_trips, family.block("area").cap
        )
        names = ("airport", "day_offset", "municipality_code")
        return _plan(family, ("area",), cohort, bounds, _slots_projector(family, ["area"], names))
    if kind == "furusato":
        return _furusato_plan(spec, airline)
    if kind == "preboarding":
        return _preboarding_plan(spec, airline)
    raise InputError(f"{kind} is not a cross release")


def _plan(
    family: ViewFamily,
    blocks: tuple[str, ...],
    cohort: Cohort,
    bounds: ContributionBounds,
    projector: Projector,
) -> ReleasePlan:
    plan = ReleasePlan(family, blocks, cohort, bounds, projector)
    return plan


def _arrival_plan(spec: QuerySpec, airline: AirlineInputs) -> ReleasePlan:
    region = region_of_airport(str(spec.airport))
    if spec.level is not None and spec.level != region.mesh_level:
        raise InputError(
            f"the {region.name_en} region is released on level-{region.mesh_level} cells, "
            f"not level {spec.level}",
            field="level",
        )
    days = 1 if spec.kind == "repeat" else spec.days
    cohort = _arrivals(spec, airline, [str(spec.airport)], days)
    family = view_family(cohort.family)
    blocks, names = {
        "visit-map": (("mesh",), ("day_offset", "mesh_code")),
        "flows": (("area",), ("day_offset", "municipality_code")),
        "profile": (("hour", "demographic"), ("day_offset", "dimension", "category")),
        "repeat": (("prior_visits",), ("day_offset", "prior_bucket")),
    }[spec.kind]
    nonzero = _nonzero(family, blocks)
    bounds = ContributionBounds(days, spec.max_trips, nonzero)
    return _plan(family, blocks, cohort, bounds, _slots_projector(family, blocks, names))


def _nonzero(family: ViewFamily, blocks: Sequence[str]) -> int:
    """Caps of every block in the segments that hold ``blocks`` (all of it is decrypted)."""
    from engine.layout import segment_blocks

    read = {b for segment in segment_blocks(family) if set(segment) & set(blocks) for b in segment}
    return sum(family.block(b).cap for b in read)


def _furusato_plan(spec: QuerySpec, airline: AirlineInputs) -> ReleasePlan:
    months = sorted({d.strftime("%Y-%m") for d in _days(spec.start, spec.end)})
    municipality = str(spec.municipality)
    cohort = donor_cohort(
        airline.members, airline.donations, municipality, months, months_after=spec.months_after
    )
    family = view_family("month")
    if municipality not in family.block("visited").labels:
        raise InputError(
            f"municipality {municipality} is not in a study region", field="municipality"
        )
    bounds = ContributionBounds(
        len(months) * (spec.months_after + 1), 1, _nonzero(family, ("visited",))
    )
    members = {group.label: len(group.keys) for group in cohort.groups}

    def project(
        segments: Sequence[Segment],
        labels: Sequence[tuple[str, ...]],
        vectors: Sequence[npt.NDArray[np.int64]],
    ) -> ProjectedRows:
        read = _block_reader(family, segments, "visited")
        slot = family.block("visited").labels.index(municipality)
        rows = tuple((*label, str(members[label])) for label in labels)
        values = tuple(int(read(vector)[slot]) for vector in vectors)
        names = ("cohort", "donation_month", "month_offset", "cohort_keys")
        return ProjectedRows(names, rows, values, tuple(1 for _ in values))

    return _plan(family, ("visited",), cohort, bounds, project)


def _preboarding_plan(spec: QuerySpec, airline: AirlineInputs) -> ReleasePlan:
    cohort = departure_cohort(
        airline.members, airline.boardings, str(spec.airport), spec.start, spec.end,
        max_trips=spec.max_trips,
    )  # fmt: skip
    family = view_family("depart")
    minutes = len(DEPARTURE_MINUTES)
    trips = spec.max_trips
    bounds = ContributionBounds(minutes * trips, trips, _nonzero(family, ("class_at",)))
    labels_of = family.block("class_at").labels

    def project(
        segments: Sequence[Segment],
        labels: Sequence[tuple[str, ...]],
        vectors: Sequence[npt.NDArray[np.int64]],
    ) -> ProjectedRows:
        read = _block_reader(family, segments, "class_at")
        totals: dict[tuple[str, ...], list[int]] = {}
        for (half, before, slot), vector in zip(labels, vectors, strict=True):
            for slot_label, value in zip(labels_of, read(vector), strict=True):
                time, location_class = slot_label.split("|")
                if time == slot:
                    entry = totals.setdefault((half, before, location_class), [0, 0])
                    entry[0] += int(value)
                    entry[1] += 1
        keys = tuple(sorted(totals, key=lambda k: (k[0], -int(k[1]), k[2])))
        return ProjectedRows(
            ("half", "minutes_before", "location_class"),
            keys,
            tuple(totals[k][0] for k in keys),
            tuple(totals[k][1] for k in keys),
        )

    return _plan(family, ("class_at",), cohort, bounds, project)


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
