"""From a query spec to its public shape: groups, scope, blocks read, bounds and the rows shown.

Both parties must agree on everything about a query that is not data — how many groups the
cohort has, which view family and months the scope covers, which payload slots are summed, the
contribution bounds the noise is calibrated to, and how decrypted vectors become the rows people
see. :func:`shape_of` derives all of it from the :class:`~engine.queries.QuerySpec` alone, so the
airline and the carrier compute the same :class:`QueryShape` without exchanging anything but the
spec. In particular the groups are *enumerated* from the spec (every day offset, every departure
slot, every donation month), never taken from the data: the number of groups and their order say
nothing about who travelled.

The airline fills the groups from its own data (:func:`engine.parties.cohorts.build_cohort`,
which applies the per-person bounds). Projecting the decrypted vectors onto rows — dropping or
summing slots — is post-processing and costs no privacy.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.dp import ContributionBounds, NoiseMechanism, mechanism_for
from engine.queries.adaptive import LEVEL_NAMES, MeshHierarchy, mesh_hierarchy, two_level_projector
from engine.queries.spec import EAST_HOKKAIDO_AIRPORTS, QuerySpec
from engine.views import SLOT_TIMES, ViewFamily, view_family
from foundation.errors import InputError
from geo.places import region_of_airport

__all__ = [
    "DEPARTURE_MINUTES",
    "ProjectedRows",
    "QueryShape",
    "RunLinks",
    "ScopeBlock",
    "Segment",
    "donation_months",
    "shape_of",
]

IntArray = npt.NDArray[np.int64]
Label = tuple[str, ...]
DEPARTURE_MINUTES = (1440, 60, 40, 20)  # the pre-boarding times read: 24 h and 60/40/20 min


@dataclass(frozen=True)
class ProjectedRows:
    """Release rows: labels, noisy values, and how many noisy slots each value sums.

    Rows of a two-level map also carry ``noise_sd`` (the exact standard deviation of each
    reconciled estimate, replacing ``summed``) and ``parent_of`` (per row, the row of its parent
    cell, −1 for a parent row); both are empty for every other release.
    """

    label_names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    values: tuple[int, ...]
    summed: tuple[int, ...]
    noise_sd: tuple[float, ...] = ()
    parent_of: tuple[int, ...] = ()


Projector = Callable[[Sequence[Label], Sequence[IntArray], Sequence[int]], ProjectedRows]


@dataclass(frozen=True)
class Segment:
    """A block of the family that a query sums: its slot range and its cap on non-zero slots."""

    blocks: tuple[str, ...]
    slot_start: int
    slot_stop: int
    max_nonzero: int

    @property
    def length(self) -> int:
        """Slots in the block."""
        return self.slot_stop - self.slot_start


@dataclass(frozen=True)
class ScopeBlock:
    """Part of the carrier's scope: one month of a family, whole or days ``first``–``last``.

    A scope is always whole months plus the spill days a day offset reaches past them, never an
    arbitrary part of a month; each block's noisy size is drawn once and reused (DESIGN §3.4).
    """

    month: str
    first_day: int | None = None
    last_day: int | None = None

    @property
    def key(self) -> str:
        """A stable name of the block (for the carrier's cache of noisy sizes)."""
        if self.first_day is None:
            return self.month
        return f"{self.month}:{self.first_day:02d}-{self.last_day:02d}"

    def days(self) -> int:
        """Periods in the block: days of a day family (sensitivity of its size)."""
        year, month = (int(part) for part in self.month.split("-"))
        if self.first_day is None or self.last_day is None:
            return calendar.monthrange(year, month)[1]
        return self.last_day - self.first_day + 1


@dataclass(frozen=True)
class RunLinks:
    """Per column of a group's vector, the column of the same label at the previous and at
    the next time (−1 where there is none): the runs the carrier sums by."""

    previous: IntArray
    following: IntArray


@dataclass(frozen=True)
class QueryShape:
    """Everything public about one cross query, the same on both sides."""

    spec: QuerySpec
    family: ViewFamily
    blocks: tuple[str, ...]
    group_labels: tuple[Label, ...]
    label_names: tuple[str, ...]
    bounds: ContributionBounds
    scope: tuple[ScopeBlock, ...]
    project: Projector
    hierarchy: MeshHierarchy | None = None  # parents of a two-level map (engine.queries.adaptive)

    @property
    def mechanism(self) -> NoiseMechanism:
        """The noise each party adds to every released cell, calibrated to the full cost.

        For a two-level map: the child cells' mechanism (the parents' is in ``hierarchy``).
        """
        if self.hierarchy is not None:
            return self.hierarchy.levels.child
        return mechanism_for(self.spec.cost, self.bounds)

    @property
    def tail_bound(self) -> int:
        """A bound on any one noise draw of any slot (both levels of a two-level map)."""
        if self.hierarchy is not None:
            return self.hierarchy.tail_bound
        return self.mechanism.tail_bound

    def lane_bounds(self, positions: int) -> tuple[int, int]:
        """``(records, noise)`` a lane must hold: a parent slot adds up to K per record."""
        reach = 1 if self.hierarchy is None else self.hierarchy.lane_reach()
        return positions * reach, self.tail_bound

    def slot_reach(self) -> IntArray:
        """Per column of a group's vector, the most one record adds to it (1 for a plain slot)."""
        if self.hierarchy is not None:
            return self.hierarchy.slot_reach()
        return np.ones(self.vector_length(), dtype=np.int64)

    def sample_noise(self) -> IntArray:
        """One party's noise for every group's vector (groups × :meth:`vector_length`)."""
        if self.hierarchy is not None:
            return self.hierarchy.sample_noise(self.groups)
        length = self.vector_length()
        return self.mechanism.sample(self.groups * length).reshape(self.groups, length)

    @property
    def groups(self) -> int:
        """Number of cohort groups (lanes)."""
        return len(self.group_labels)

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The blocks read, as slot ranges of the family, in slot order."""
        return _segments(self.family, self.blocks)

    @property
    def slots(self) -> IntArray:
        """Family slot indices summed, in order: the columns of every group's vector."""
        return np.concatenate(
            [np.arange(s.slot_start, s.slot_stop, dtype=np.int64) for s in self.segments]
        )

    def run_links(self) -> RunLinks | None:
        """Along the runs of the blocks read with a ``time_stride``: each column's previous
        and next column at the neighbouring times (−1 at the ends and for other blocks), or
        None when no block read has runs."""
        length = int(sum(segment.length for segment in self.segments))
        previous = np.full(length, -1, dtype=np.int64)
        following = np.full(length, -1, dtype=np.int64)
        offset, found = 0, False
        for segment in self.segments:
            (name,) = segment.blocks
            stride = self.family.block(name).time_stride
            if stride:
                found = True
                columns = np.arange(offset, offset + segment.length, dtype=np.int64)
                previous[columns[stride:]] = columns[:-stride]
                following[columns[:-stride]] = columns[stride:]
            offset += segment.length
        return RunLinks(previous, following) if found else None

    def vector_length(self) -> int:
        """Values per group (the block slots, then a two-level map's parent slots)."""
        parents = 0 if self.hierarchy is None else len(self.hierarchy.parent_codes)
        return int(sum(segment.length for segment in self.segments)) + parents


def _block_reader(
    family: ViewFamily, segments: Sequence[Segment], block: str
) -> Callable[[IntArray], IntArray]:
    """A function taking a group's concatenated block values to one block's values."""
    offset = 0
    for segment in sorted(segments, key=lambda s: s.slot_start):
        if block in segment.blocks:
            start = offset + family.block_offset(block) - segment.slot_start
            size = len(family.block(block).labels)
            return lambda vector: vector[start : start + size]
        offset += segment.length
    raise InputError(f"block {block!r} is not among the released blocks")


def _slots_projector(
    family: ViewFamily, blocks: tuple[str, ...], names: tuple[str, ...]
) -> Projector:
    """Rows ``(*group label, [block,] slot label)`` for every slot of ``blocks``."""
    segments = _segments(family, blocks)

    def project(
        labels: Sequence[Label], vectors: Sequence[IntArray], sizes: Sequence[int]
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


def _segments(family: ViewFamily, blocks: tuple[str, ...]) -> tuple[Segment, ...]:
    found = []
    for block in family.blocks:
        if block.name in blocks:
            start = family.block_offset(block.name)
            found.append(Segment((block.name,), start, start + len(block.labels), block.cap))
    return tuple(found)


def _nonzero(family: ViewFamily, blocks: Sequence[str]) -> int:
    """Caps of the blocks read: the non-zero slots one record can add to the released sums."""
    return sum(family.block(b).cap for b in blocks)


# -- the scope --------------------------------------------------------------------------------
def _month_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def _months_between(first: dt.date, last: dt.date) -> list[str]:
    months, cursor = [], dt.date(first.year, first.month, 1)
    while cursor <= last:
        months.append(_month_of(cursor))
        cursor = dt.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def _day_scope(window: tuple[dt.date, dt.date], reach: tuple[dt.date, dt.date]) -> list[ScopeBlock]:
    """Whole months of ``window``, plus the days of ``reach`` outside them, per month."""
    whole = _months_between(*window)
    blocks = [ScopeBlock(month) for month in whole]
    extra: dict[str, list[int]] = {}
    day = reach[0]
    while day <= reach[1]:
        if _month_of(day) not in whole:
            extra.setdefault(_month_of(day), []).append(day.day)
        day += dt.timedelta(days=1)
    blocks += [ScopeBlock(m, min(days), max(days)) for m, days in sorted(extra.items())]
    return sorted(blocks, key=lambda b: (b.month, b.first_day or 0))


# -- the shapes of each kind ------------------------------------------------------------------
def shape_of(spec: QuerySpec) -> QueryShape:
    """The public shape of a cross query (every kind but ``population``)."""
    kind = spec.kind
    if kind in ("visit-map", "flows", "profile", "hourly", "repeat"):
        return _arrival_shape(spec)
    if kind == "hokkaido":
        return _hokkaido_shape(spec)
    if kind == "furusato":
        return _furusato_shape(spec)
    if kind == "preboarding":
        return _preboarding_shape(spec)
    raise InputError(f"{kind} is not a cross release")


def _arrival_reach(spec: QuerySpec, days: int) -> list[ScopeBlock]:
    last = spec.end + dt.timedelta(days=days - 1)
    return _day_scope((spec.start, spec.end), (spec.start, last))


def _arrival_shape(spec: QuerySpec) -> QueryShape:
    region = region_of_airport(str(spec.airport))  # its level: the spec checked --level
    days = 1 if spec.kind == "repeat" else spec.days
    family = view_family(f"region:{region.id}")
    blocks, names = {
        "visit-map": (("mesh",), ("day_offset", "mesh_code")),
        "flows": (("area",), ("day_offset", "municipality_code")),
        "profile": (("hour", "demographic"), ("day_offset", "dimension", "category")),
        "hourly": (("hour_area",), ("day_offset", "hour_area")),
        "repeat": (("prior_visits",), ("day_offset", "prior_bucket")),
    }[spec.kind]
    bounds = ContributionBounds(days, spec.max_trips, _nonzero(family, blocks))
    labels = tuple((str(offset),) for offset in range(days))
    if spec.resolution == "adaptive":
        hierarchy = mesh_hierarchy(family.block("mesh").labels, bounds, spec.cost)
        return QueryShape(
            spec, family, blocks, labels, ("day_offset",), bounds,
            tuple(_arrival_reach(spec, days)), _two_level(hierarchy), hierarchy,
        )  # fmt: skip
    return QueryShape(
        spec, family, blocks, labels, ("day_offset",), bounds, tuple(_arrival_reach(spec, days)),
        _slots_projector(family, blocks, names),
    )  # fmt: skip


def _two_level(hierarchy: MeshHierarchy) -> Projector:
    """Reconciled rows of both levels (:func:`engine.queries.adaptive.two_level_projector`)."""
    reconciled = two_level_projector(hierarchy)

    def project(
        labels: Sequence[Label], vectors: Sequence[IntArray], sizes: Sequence[int]
    ) -> ProjectedRows:
        rows = reconciled(labels, vectors)
        ones = tuple(1 for _ in rows.values)
        return ProjectedRows(
            LEVEL_NAMES, rows.labels, rows.values, ones, rows.noise_sd, rows.parent_of
        )

    return project


def _hokkaido_shape(spec: QuerySpec) -> QueryShape:
    family = view_family("region:east_hokkaido")
    airports = EAST_HOKKAIDO_AIRPORTS
    bounds = ContributionBounds(len(airports) * spec.days, spec.max_trips, family.block("area").cap)
    labels = tuple((airport, str(offset)) for airport in airports for offset in range(spec.days))
    names = ("airport", "day_offset", "municipality_code")
    return QueryShape(
        spec, family, ("area",), labels, ("airport", "day_offset"), bounds,
        tuple(_arrival_reach(spec, spec.days)), _slots_projector(family, ("area",), names),
    )  # fmt: skip


def _month_plus(month: str, offset: int) -> str:
    year, mon = (int(part) for part in month.split("-"))
    total = year * 12 + (mon - 1) + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def donation_months(spec: QuerySpec) -> list[str]:
    """The calendar months of a furusato query's donation window."""
    return _months_between(spec.start, spec.end)


def _furusato_shape(spec: QuerySpec) -> QueryShape:
    """Groups (donor, donation month, offset) and (comparison, calendar month, *).

    Comparison members are grouped by calendar month so that none of their keys is in two
    groups; the release still has a comparison row per (donation month, offset), read from the
    calendar month they reach.
    """
    family = view_family("month")
    municipality = str(spec.municipality)
    if municipality not in family.block("visited").labels:
        raise InputError(
            f"municipality {municipality} is not in a study region", field="municipality"
        )
    months = donation_months(spec)
    offsets = range(spec.months_after + 1)
    scope_months = sorted({_month_plus(m, o) for m in months for o in offsets})
    donors = tuple(("donor", month, str(offset)) for month in months for offset in offsets)
    comparison = tuple(("comparison", month, "*") for month in scope_months)
    bounds = ContributionBounds(
        max(len(offsets), len(scope_months)), 1, _nonzero(family, ("visited",))
    )
    segments = _segments(family, ("visited",))
    slot = family.block("visited").labels.index(municipality)

    def project(
        group_labels: Sequence[Label], vectors: Sequence[IntArray], sizes: Sequence[int]
    ) -> ProjectedRows:
        read = _block_reader(family, segments, "visited")
        value = {label: int(read(v)[slot]) for label, v in zip(group_labels, vectors, strict=True)}
        size = dict(zip(group_labels, sizes, strict=True))
        rows, values = [], []
        for cohort in ("donor", "comparison"):
            for month in months:
                for offset in offsets:
                    source = (
                        (cohort, month, str(offset))
                        if cohort == "donor"
                        else (cohort, _month_plus(month, offset), "*")
                    )
                    rows.append((cohort, month, str(offset), str(size[source])))
                    values.append(value[source])
        names = ("cohort", "donation_month", "month_offset", "cohort_keys")
        return ProjectedRows(names, tuple(rows), tuple(values), tuple(1 for _ in values))

    return QueryShape(
        spec, family, ("visited",), donors + comparison,
        ("cohort", "donation_month", "month_offset"), bounds,
        tuple(ScopeBlock(month) for month in scope_months), project,
    )  # fmt: skip


def _minutes(slot: str) -> int:
    hour, minute = (int(part) for part in slot.split(":"))
    return hour * 60 + minute


def _preboarding_shape(spec: QuerySpec) -> QueryShape:
    """Groups (departure day or the day before, departure slot): 2 × 54, whatever the data.

    A passenger's key for the day before is read at the departure slot's clock time (24 hours
    before); the key for the departure day at the slots 60, 40 and 20 minutes before.
    """
    family = view_family("depart")
    trips = spec.max_trips
    bounds = ContributionBounds(2 * trips, trips, _nonzero(family, ("class_at",)))
    labels = tuple((day, slot) for day in ("-1", "0") for slot in SLOT_TIMES)
    segments = _segments(family, ("class_at",))
    slot_labels = family.block("class_at").labels
    position = {label: i for i, label in enumerate(slot_labels)}

    def project(
        group_labels: Sequence[Label], vectors: Sequence[IntArray], sizes: Sequence[int]
    ) -> ProjectedRows:
        read = _block_reader(family, segments, "class_at")
        totals: dict[tuple[str, str, str], list[int]] = {}
        for (day, slot), vector in zip(group_labels, vectors, strict=True):
            values = read(vector)
            half = "am" if _minutes(slot) < 12 * 60 else "pm"
            for before in DEPARTURE_MINUTES:
                if (before == 1440) != (day == "-1"):
                    continue
                at = _minutes(slot) - (0 if before == 1440 else before)
                time = f"{at // 60:02d}:{at % 60:02d}"
                for location_class in ("home", "airport", "elsewhere"):
                    index = position.get(f"{time}|{location_class}")
                    if index is None:
                        continue
                    entry = totals.setdefault((half, str(before), location_class), [0, 0])
                    entry[0] += int(values[index])
                    entry[1] += 1
        keys = tuple(sorted(totals, key=lambda k: (k[0], -int(k[1]), k[2])))
        return ProjectedRows(
            ("half", "minutes_before", "location_class"),
            keys,
            tuple(totals[k][0] for k in keys),
            tuple(totals[k][1] for k in keys),
        )

    scope = _day_scope((spec.start, spec.end), (spec.start - dt.timedelta(days=1), spec.end))
    return QueryShape(
        spec, family, ("class_at",), labels, ("day", "departure_slot"), bounds, tuple(scope),
        project,
    )  # fmt: skip
