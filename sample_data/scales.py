"""The sizes of the synthetic world, in one table.

A :class:`Scale` fixes everything that depends on the size of the run: how many people, which days,
how often they travel, and how many people are processed together (``chunk_people``, so that the
``large`` world never has to sit in memory at once). Behaviour that does not depend on size (how
long a trip lasts, where people go) lives with the code that simulates it.

The rates were tuned so that the ``demo`` world stays within what the secure pipeline handles in a
reasonable time: about 10^5 carrier person-days with observations (see ``docs/views.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from foundation.errors import InputError

__all__ = ["SCALES", "Scale", "scale_named"]


@dataclass(frozen=True)
class Scale:
    """The size of one synthetic world and the rates that shape its volume."""

    name: str
    people: int
    start: dt.date
    days: int
    chunk_people: int
    resident_share: float  # people living in a study region (observed every day)
    trips_per_month: float  # mean trips per visitor per 30 days (repeat visitors travel more)
    donor_share: float  # members who donate to a study-region municipality in the window

    def __post_init__(self) -> None:
        if self.people < 100 or self.days < 7 or self.chunk_people < 100:
            raise InputError(f"scale {self.name}: needs ≥100 people, ≥7 days and chunks of ≥100")
        for name in ("resident_share", "donor_share"):
            if not 0 <= getattr(self, name) < 1:
                raise InputError(f"scale {self.name}: {name} must lie in [0, 1)")
        if self.trips_per_month <= 0:
            raise InputError(f"scale {self.name}: trips_per_month must be positive")

    @property
    def end(self) -> dt.date:
        """The last day of the window (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", 1_000, dt.date(2025, 8, 1), 14, 400, 0.03, 0.9, 0.10),
        Scale("demo", 30_000, dt.date(2025, 8, 1), 61, 30_000, 0.03, 0.5, 0.06),
        Scale("large", 1_000_000, dt.date(2025, 8, 1), 61, 50_000, 0.03, 0.5, 0.06),
    )
}


def scale_named(name: str) -> Scale:
    """The scale called ``name``; InputError listing the known ones otherwise."""
    if name not in SCALES:
        raise InputError(f"unknown scale {name!r}; use one of {', '.join(SCALES)}", field="scale")
    return SCALES[name]
