"""Query specifications: what a release asks for, validated, canonical and hashable.

A :class:`QuerySpec` is the whole question of one release — its kind, the cohort parameters, the
mechanism and the privacy parameters. Its canonical JSON (sorted keys, no defaults left implicit)
is hashed into :attr:`QuerySpec.spec_hash`; the ledger serves an identical spec from its cache, at
no cost, and an identical spec always means an identical question.

Kinds (``crossmesh release --query …``):

=============  ============================================================================
visit-map      arrivals at an airport; mesh cells of its region visited per day after arrival
flows          the same cohort; municipalities visited per day after arrival
profile        the same cohort; hour of day present, and age band × gender of the travellers
repeat         arrivals; their prior-year visit-day bucket for the region (関係人口)
furusato       donors to a municipality against non-donor members; visits 0–N months after
preboarding    departures from an airport; home / airport area / elsewhere before departure
hokkaido       arrivals at MMB, KUH and SHB; East Hokkaido municipalities visited
population     the carrier's own data: people present per mesh cell and day, residents against
               visitors (no airline data)
=============  ============================================================================

A visit map may ask ``resolution="adaptive"`` (gaussian noise): it is then released on its
region's mesh level and the level above, with the same ε (:mod:`engine.queries.adaptive`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.dp.accounting import PrivacyCost
from foundation.errors import InputError
from geo.places import (
    AIRPORTS,
    MUNICIPALITIES,
    ORIGIN_AIRPORTS,
    REGIONS,
    STUDY_AIRPORTS,
    region_of_airport,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "EAST_HOKKAIDO_AIRPORTS",
    "KINDS",
    "MECHANISMS",
    "RESOLUTIONS",
    "QuerySpec",
]

KINDS = (
    "visit-map",
    "flows",
    "profile",
    "hourly",
    "repeat",
    "furusato",
    "preboarding",
    "hokkaido",
    "population",
)
ARRIVAL_KINDS = ("visit-map", "flows", "profile", "hourly", "repeat")  # of one study airport
DAYS_AFTER_KINDS = ("visit-map", "flows", "profile", "hourly")  # read `days` after arrival
MECHANISMS = ("gaussian", "laplace")
RESOLUTIONS = ("single", "adaptive")  # a visit map on its region's level, or on two levels
DEFAULT_THRESHOLD = 0  # an optional floor on top of the publication rule
DEFAULT_DELTA = 1e-6
EAST_HOKKAIDO_AIRPORTS = ("MMB", "KUH", "SHB")


def _date(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be a date YYYY-MM-DD, not {value!r}", field=name) from err


@dataclass(frozen=True)
class QuerySpec:
    """One release's question. Only the fields its kind uses are kept (others are reset)."""

    kind: str
    start: dt.date
    end: dt.date
    epsilon: float
    airport: str | None = None
    days: int = 3
    level: int | None = None
    repeat_flyer_min: int = 0
    max_trips: int = 1
    municipality: str | None = None
    months_after: int = 2
    region: str | None = None
    mechanism: str = "gaussian"
    delta: float = DEFAULT_DELTA
    threshold: int = DEFAULT_THRESHOLD
    extra: dict[str, Any] = field(default_factory=dict)
    resolution: str = "single"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"query kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        object.__setattr__(self, "start", _date(self.start, "start"))
        object.__setattr__(self, "end", _date(self.end, "end"))
        if self.end < self.start:
            raise InputError(f"the date range ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days > 92:
            raise InputError("a release covers at most 93 days; split longer ranges")
        for name in ("epsilon", "delta"):  # 1 and 1.0 are one question
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{name} must be a number, not {value!r}", field=name)
            object.__setattr__(self, name, float(value))
        if not 0 < self.epsilon <= 1000:
            raise InputError(f"epsilon must be in (0, 1000], not {self.epsilon}", field="epsilon")
        if self.mechanism not in MECHANISMS:
            raise InputError(f"mechanism must be gaussian or laplace, not {self.mechanism!r}")
        if not 0 < self.delta < 1e-3:
            raise InputError(f"delta must be in (0, 0.001), not {self.delta}", field="delta")
        if not 0 <= self.threshold <= 1000:
            raise InputError(f"suppression threshold must be 0–1000, not {self.threshold}")
        self._check_kind_fields()
        self._reset_unused_fields()

    def _reset_unused_fields(self) -> None:
        """Give every field this kind does not read its default, so equal questions hash equal.

        ``--level 2`` on a region drawn at level 2, or a ``--municipality`` on a visit map, ask
        the same question as leaving them out; without this they would be charged again.
        """
        used = _FIELDS_USED[self.kind]
        for name, default in _RESETTABLE.items():
            if name not in used:
                object.__setattr__(self, name, default() if callable(default) else default)
        object.__setattr__(self, "level", None)  # checked above: only the region's own level

    def _check_kind_fields(self) -> None:
        kind = self.kind
        if kind in ARRIVAL_KINDS and (self.airport not in STUDY_AIRPORTS):
            raise InputError(
                f"airport must be one of {', '.join(STUDY_AIRPORTS)}, not {self.airport!r}",
                field="airport",
            )
        if kind in ARRIVAL_KINDS and self.level is not None:
            region = region_of_airport(str(self.airport))
            if self.level != region.mesh_level:
                raise InputError(
                    f"the {region.name_en} region is released on level-{region.mesh_level} "
                    f"cells, not level {self.level}",
                    field="level",
                )
        if kind == "preboarding" and self.airport not in AIRPORTS:
            raise InputError(f"unknown departure airport {self.airport!r}", field="airport")
        if kind in (*DAYS_AFTER_KINDS, "hokkaido") and not 1 <= self.days <= 14:
            raise InputError(f"days after arrival must be 1–14, not {self.days}", field="days")
        if kind == "furusato":
            if self.municipality not in MUNICIPALITIES:
                raise InputError(
                    f"unknown municipality code {self.municipality!r}", field="municipality"
                )
            if not 0 <= self.months_after <= 12:
                raise InputError(f"months after must be 0–12, not {self.months_after}")
        if kind == "population" and self.region not in REGIONS:
            raise InputError(
                f"region must be one of {', '.join(REGIONS)}, not {self.region!r}", field="region"
            )
        if not 1 <= self.max_trips <= 10:
            raise InputError(
                f"trips per person per release must be 1–10, not {self.max_trips}",
                field="max_trips",
            )
        if self.repeat_flyer_min < 0:
            raise InputError("the repeat-flyer threshold cannot be negative")
        if self.resolution not in RESOLUTIONS or (
            self.resolution == "adaptive" and kind != "visit-map"
        ):
            raise InputError(
                f"resolution must be one of {', '.join(RESOLUTIONS)} ('adaptive' for visit-map "
                f"only), not {self.resolution!r}",
                field="resolution",
            )
        if self.resolution == "adaptive" and self.mechanism != "gaussian":
            raise InputError(
                "an adaptive-resolution map needs gaussian noise: its reconciled estimates are "
                "given normal intervals, which under-cover a Laplace's heavier tails",
                field="resolution",
            )

    # -- canonical form -------------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """The spec as plain JSON-able values (dates as ISO strings).

        ``resolution`` is left out when it is ``"single"``: specs written before two-level maps
        existed keep their hash (and their cached releases).
        """
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        if data["resolution"] == "single":
            del data["resolution"]
        return data

    @property
    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal specs, equal hashes."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> QuerySpec:
        """Rebuild a spec from :meth:`canonical`."""
        return cls(**data)

    @property
    def data_months(self) -> tuple[str, ...]:
        """Calendar months of data the release reads (its budget scopes' periods).

        Prior-visit buckets look back 365 days, so a ``repeat`` release reads, and charges, the
        year before its first arrival too.
        """
        reach = 1 if self.kind in ("repeat", "population") else self.days  # days read per event
        last = self.end + dt.timedelta(days=reach - 1)
        if self.kind == "furusato":
            year, month = self.end.year, self.end.month + self.months_after
            last = dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        if self.kind == "preboarding":
            last = self.end
        first = self.start - dt.timedelta(days=1) if self.kind == "preboarding" else self.start
        if self.kind == "repeat":
            first = self.start - dt.timedelta(days=365)
        months, cursor = [], dt.date(first.year, first.month, 1)
        while cursor <= last:
            months.append(cursor.strftime("%Y-%m"))
            cursor = dt.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        return tuple(months)

    @property
    def cost(self) -> PrivacyCost:
        """What the released cells cost: ρ for (ε, δ) under zCDP, or pure ε (laplace)."""
        return PrivacyCost.from_epsilon(self.epsilon, self.delta, self.mechanism)  # type: ignore[arg-type]

    @property
    def dataset(self) -> str:
        """The dataset (pair) the release reads: the cross data, or the carrier's alone."""
        return "carrier" if self.kind == "population" else "airline+carrier"


_ARRIVALS = frozenset({"airport", "repeat_flyer_min", "max_trips"})
_FIELDS_USED: dict[str, frozenset[str]] = {
    "visit-map": _ARRIVALS | {"days", "resolution"},
    "flows": _ARRIVALS | {"days"},
    "profile": _ARRIVALS | {"days"},
    "hourly": _ARRIVALS | {"days"},
    "repeat": _ARRIVALS,
    "hokkaido": frozenset({"days", "repeat_flyer_min", "max_trips"}),
    "furusato": frozenset({"municipality", "months_after"}),
    "preboarding": frozenset({"airport", "max_trips"}),
    "population": frozenset({"region"}),
}
_RESETTABLE: dict[str, Any] = {
    "airport": None,
    "days": 3,
    "repeat_flyer_min": 0,
    "max_trips": 1,
    "municipality": None,
    "months_after": 2,
    "region": None,
    "extra": dict,
    "resolution": "single",
}

ORIGINS = ORIGIN_AIRPORTS
