"""Population statistics of the carrier's own data (the Mobile Spatial Statistics analogue).

The seeds read cross statistics beside docomo's population statistics, to see *all* visitors and
not only the airline's customers. This module counts, inside the carrier environment and from its
own observations only, the distinct people present per mesh cell of a region over a window, split
into residents (home municipality in the region) and visitors. The window is counted *before*
noise: per day and cell the counts sit below the noise (±121 at ε = 1 over a month: no daily cell
of the demo region is larger), so a daily release shows nothing under the publication rule.
Counting each person once per cell over the window keeps the daily release's sensitivity (a
person reaches at most ``K_MESH`` cells a day, each once: L2 = √(days·K_MESH)) while a cell's
count gathers everyone who passed through it that month; summing person-days instead would
multiply the sensitivity by √days for far less gain.
"Present" is the same mesh presence as the cross views (at most ``K_MESH`` cells per person-day),
so a cross count and a population count of the same cell are read the same way and their ratio is
the airline passengers' share.

The counts are released like any other: noise from the same OpenDP mechanisms (here added in the
clear, since no other party's data is involved), suppression, intervals and a ledger scope of
their own (dataset ``carrier``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.views import build_payloads, view_family
from geo.areas import AreaMap
from geo.places import REGIONS

__all__ = ["PopulationCounts", "population_counts"]

RESIDENCY = ("resident", "visitor")


@dataclass(frozen=True)
class PopulationCounts:
    """Exact distinct people per (residency, mesh cell) over ``days`` days — carrier env only."""

    labels: tuple[tuple[str, str], ...]
    counts: tuple[int, ...]
    days: int


def population_counts(
    subscribers: pd.DataFrame,
    observations: pd.DataFrame,
    area_map: AreaMap,
    region_id: str,
    start: dt.date,
    end: dt.date,
) -> PopulationCounts:
    """Distinct people present per (residency, cell) of ``region_id`` from ``start`` to ``end``."""
    family = view_family(f"region:{region_id}")
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    table = build_payloads(family, subscribers, observations, area_map, periods=days)
    region_towns = set(REGIONS[region_id].municipality_codes)
    homes = dict(zip(subscribers["subscriber_id"], subscribers["home_municipality"], strict=True))
    cells = family.block("mesh").labels
    mesh_start = family.block_offset("mesh")
    index = {r: i for i, r in enumerate(RESIDENCY)}
    grid = np.zeros((len(index), len(cells)), dtype=np.int64)
    seen: set[tuple[str, int]] = set()  # (subscriber, cell): each person once per cell
    for row in range(len(table)):
        subscriber = str(table.subscriber_ids[row])
        residency = (
            "resident" if homes.get(table.subscriber_ids[row]) in region_towns else "visitor"
        )
        slots = table.row_slots(row)
        mesh = slots[(slots >= mesh_start) & (slots < mesh_start + len(cells))] - mesh_start
        for cell in mesh.tolist():
            if (subscriber, cell) not in seen:
                seen.add((subscriber, cell))
                grid[index[residency], cell] += 1
    labels = tuple((r, cell) for r in index for cell in cells)
    return PopulationCounts(labels, tuple(int(v) for v in grid.reshape(-1)), len(days))
