"""The fixed domains of the carrier's payload views: families, blocks of slots, their caps.

A payload vector is only safe to encrypt and sum if its layout is declared before any data is read:
every combination is enumerated, so an empty slot says nothing, and every block caps how many of its
slots one record can set, so the sensitivity of a sum is known in advance (DESIGN §4–5). This module
is that declaration and nothing else; it never looks at data.

Map of the module:

* constants — :data:`K_MESH`, :data:`K_AREA`, :data:`AGE_BANDS`, :data:`GENDERS`,
  :data:`PRIOR_BUCKETS`, :data:`SLOT_TIMES`, :data:`LOCATION_CLASSES`, :data:`WINDOW_MINUTES`;
* :class:`SlotBlock` — a named run of labelled slots with a cap on its non-zero slots;
* :class:`ViewFamily` — the blocks of one family laid end to end, with slot arithmetic;
* :func:`region_family`, :func:`departure_family`, :func:`month_family` — one family each;
* :func:`view_families` — the seven families: ``region:<id>`` for each study region (period day),
  ``depart`` (period day) and ``month`` (period month); :func:`view_family` picks one by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from foundation.errors import InputError
from geo.places import REGIONS, region_domain

__all__ = [
    "AGE_BANDS",
    "GENDERS",
    "HOURS",
    "K_AREA",
    "K_MESH",
    "LOCATION_CLASSES",
    "PRIOR_BUCKETS",
    "SLOT_TIMES",
    "UNKNOWN",
    "WINDOW_MINUTES",
    "SlotBlock",
    "ViewFamily",
    "demographic_labels",
    "departure_family",
    "month_family",
    "region_family",
    "view_families",
    "view_family",
]

K_MESH = 6  # mesh cells per person-day, the ones with most observations
K_AREA = 4  # municipalities per person-day, chosen the same way
UNKNOWN = "unknown"
AGE_BANDS: tuple[str, ...] = ("20-29", "30-39", "40-49", "50-59", "60-69", "70+")
GENDERS: tuple[str, ...] = ("F", "M")
HOURS: tuple[str, ...] = tuple(f"{hour:02d}" for hour in range(24))
# Upper edges of the prior-visit buckets are 0, 1, 2, 5, 10 and unbounded (see history.py).
PRIOR_BUCKETS: tuple[str, ...] = ("0", "1", "2", "3-5", "6-10", "11+")
SLOT_MINUTES = 20
WINDOW_MINUTES = 120  # the class at time t is that of the latest observation in [t−120 min, t]
SLOT_TIMES: tuple[str, ...] = tuple(
    f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(5 * 60, 22 * 60 + 41, SLOT_MINUTES)
)
LOCATION_CLASSES: tuple[str, ...] = ("home", "airport", "elsewhere")
PERIODS = ("day", "month")
_FAMILY_NAME = re.compile(r"region:[a-z][a-z0-9_]*|depart|month")


@dataclass(frozen=True)
class SlotBlock:
    """A named run of slots; one record sets at most ``cap`` of them (``cap`` ≤ len(labels)).

    ``time_stride`` > 0 says the labels are time-major, ``time_stride`` of them per time, and
    that a record usually sets the same label at consecutive times (a location class held for
    hours): the carrier then sums the block by the runs of its records (one multiplication at
    each end of a run, :func:`engine.crypto.slot_sums.run_boundaries`) rather than per slot.
    The sums are the same either way; only the cost differs.
    """

    name: str
    labels: tuple[str, ...]
    cap: int
    time_stride: int = 0

    def __post_init__(self) -> None:
        if not self.name or "|" in self.name:
            raise InputError("slot block name must be non-empty text without '|'", field="name")
        if not self.labels:
            raise InputError(f"slot block {self.name!r} must have at least one label")
        if len(set(self.labels)) != len(self.labels):
            raise InputError(f"slot block {self.name!r}: labels must be unique")
        if not 1 <= self.cap <= len(self.labels):
            raise InputError(
                f"slot block {self.name!r}: cap must be between 1 and its label count, "
                f"not {self.cap}"
            )
        if self.time_stride < 0 or (self.time_stride and len(self.labels) % self.time_stride):
            raise InputError(
                f"slot block {self.name!r}: time_stride must divide its label count, "
                f"not {self.time_stride}"
            )


@dataclass(frozen=True)
class ViewFamily:
    """The slot layout of one view family: its blocks laid end to end in declaration order."""

    name: str
    period: str
    blocks: tuple[SlotBlock, ...]
    max_nonzero: int = field(init=False)

    def __post_init__(self) -> None:
        if not _FAMILY_NAME.fullmatch(self.name):
            raise InputError(
                f"view family name {self.name!r} must be 'region:<id>', 'depart' or 'month'"
            )
        if self.period not in PERIODS:
            raise InputError(f"view family {self.name}: period must be 'day' or 'month'")
        names = [block.name for block in self.blocks]
        if not names or len(set(names)) != len(names):
            raise InputError(f"view family {self.name}: needs blocks with distinct names")
        # The bound on non-zero slots is derived from the caps, never typed in (DESIGN §5).
        object.__setattr__(self, "max_nonzero", sum(block.cap for block in self.blocks))

    @property
    def size(self) -> int:
        """Total number of slots."""
        return sum(len(block.labels) for block in self.blocks)

    def block(self, name: str) -> SlotBlock:
        """The block called ``name``; InputError naming the known blocks otherwise."""
        for block in self.blocks:
            if block.name == name:
                return block
        known = ", ".join(block.name for block in self.blocks)
        raise InputError(f"view family {self.name} has no block {name!r}; use one of {known}")

    def block_offset(self, name: str) -> int:
        """Index of the first slot of block ``name``."""
        self.block(name)  # raises the explanatory error for an unknown name
        offset = 0
        for block in self.blocks:
            if block.name == name:
                break
            offset += len(block.labels)
        return offset

    def slot_index(self, block: str, label: str) -> int:
        """Index of the slot ``label`` of block ``block``."""
        labels = self.block(block).labels
        if label not in labels:
            raise InputError(f"view family {self.name}, block {block}: no slot {label!r}")
        return self.block_offset(block) + labels.index(label)

    def labels(self) -> list[tuple[str, str]]:
        """Every slot as ``(block, label)``, in slot order."""
        return [(block.name, label) for block in self.blocks for label in block.labels]


def demographic_labels() -> tuple[str, ...]:
    """Every ``"<age_band>|<gender>"`` including the unknown band and gender, age-major."""
    return tuple(
        f"{age}|{gender}" for age in (*AGE_BANDS, UNKNOWN) for gender in (*GENDERS, UNKNOWN)
    )


def region_family(region_id: str, area_codes: tuple[str, ...]) -> ViewFamily:
    """The day family of one region: mesh, area, hour, demographic, prior-visit and hour × area
    blocks (``hour_area``: per hour, the one municipality with most of its observations)."""
    cells = region_domain(region_id)
    blocks = [SlotBlock("mesh", cells, min(K_MESH, len(cells)))]
    if area_codes:
        blocks.append(SlotBlock("area", area_codes, min(K_AREA, len(area_codes))))
    blocks += [
        SlotBlock("hour", HOURS, len(HOURS)),
        SlotBlock("demographic", demographic_labels(), 1),
        SlotBlock("prior_visits", PRIOR_BUCKETS, 1),
    ]
    if area_codes:  # last, so that adding it moved no other block's slots
        labels = tuple(f"{hour}|{code}" for hour in HOURS for code in area_codes)
        blocks.append(SlotBlock("hour_area", labels, len(HOURS)))
    return ViewFamily(f"region:{region_id}", "day", tuple(blocks))


def departure_family() -> ViewFamily:
    """The day family of location classes per 20-minute slot time (one class per time)."""
    labels = tuple(f"{time}|{cls}" for time in SLOT_TIMES for cls in LOCATION_CLASSES)
    block = SlotBlock("class_at", labels, len(SLOT_TIMES), time_stride=len(LOCATION_CLASSES))
    return ViewFamily("depart", "day", (block,))


def month_family(area_codes: Mapping[str, tuple[str, ...]]) -> ViewFamily:
    """The month family: one slot per municipality of every region, uncapped below its size."""
    labels = tuple(sorted({code for codes in area_codes.values() for code in codes}))
    return ViewFamily("month", "month", (SlotBlock("visited", labels, len(labels)),))


def _checked_area_codes(
    area_codes: Mapping[str, tuple[str, ...]] | None,
) -> dict[str, tuple[str, ...]]:
    """Each region's municipality codes, sorted and unique (defaults from ``geo.places``)."""
    if area_codes is None:
        return {rid: tuple(region.municipality_codes) for rid, region in REGIONS.items()}
    unknown = sorted(set(area_codes) - set(REGIONS))
    if unknown:
        raise InputError(f"area codes given for unknown regions {unknown}; use {list(REGIONS)}")
    checked = {rid: tuple(sorted(set(area_codes.get(rid, ())))) for rid in REGIONS}
    for rid, codes in checked.items():
        if any(not re.fullmatch(r"\d{5}", code) for code in codes):
            raise InputError(f"region {rid}: municipality codes must be five digits")
    return checked


def view_families(
    area_codes: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[ViewFamily, ...]:
    """All view families: ``region:<id>`` per study region, then ``depart`` and ``month``.

    ``area_codes`` maps a region id to the municipality codes of its ``area`` block (default: the
    built-in municipalities of each region); the ``month`` family uses their union.
    """
    codes = _checked_area_codes(area_codes)
    regions = tuple(region_family(rid, codes[rid]) for rid in REGIONS)
    return (*regions, departure_family(), month_family(codes))


def view_family(name: str, area_codes: Mapping[str, tuple[str, ...]] | None = None) -> ViewFamily:
    """The family called ``name`` among :func:`view_families`; InputError naming the known ones."""
    families = view_families(area_codes)
    for family in families:
        if family.name == name:
            return family
    known = ", ".join(family.name for family in families)
    raise InputError(f"unknown view family {name!r}; use one of {known}", field="family")
