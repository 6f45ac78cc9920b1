"""The carrier's per-person views, computed in plaintext from clean observations.

These are the definitions of ``docs/views.md`` written as pandas, per person and JST day:

* mesh presence — region-domain cells (at the region's mesh level) holding at least one of the
  day's observations, at most :data:`K_MESH` per person-day-region (most observations first, ties
  to the smaller code);
* area presence — municipalities (``ApproximateAreas``) of the day's observations, at most
  :data:`K_AREA` per person-day-region, the same way; only on days with a visit (below);
* hour presence — hours 0–23 with at least one observation inside the region's domain;
* visit days — days with at least one observation inside the region's domain (for the prior-visit
  buckets);
* monthly visits — region municipalities with at least one observation in a calendar month.

Observations are assumed free of exact duplicates (the engine drops them on ingest too).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.mesh import points_to_codes
from geo.places import MUNICIPALITIES, REGIONS, region_domain
from sample_data.geography import region_areas
from sample_data.movement import Observations
from sample_data.travel_calendar import DAY, HOUR

__all__ = ["K_AREA", "K_MESH", "Presence", "compute_presence"]

K_MESH = 6
K_AREA = 4


@dataclass(frozen=True)
class Presence:
    """Per-person view tables; ``day`` is the window day index, ``month`` ``YYYY-MM``."""

    mesh: pd.DataFrame  # person, day, region, cell (int64)
    area: pd.DataFrame  # person, day, region, municipality
    hours: pd.DataFrame  # person, day, region, hour
    visit_days: pd.DataFrame  # person, region, day
    monthly: pd.DataFrame  # person, month, municipality


@cache
def _domain_cells(region_id: str) -> npt.NDArray[np.int64]:
    """The region's domain as sorted int64 codes."""
    return np.array(sorted(int(code) for code in region_domain(region_id)), dtype=np.int64)


def compute_presence(obs: Observations, months: list[str]) -> Presence:
    """All view tables for a set of observations; ``months[d]`` is the month of day ``d``."""
    day = obs.second // DAY
    hour = (obs.second % DAY) // HOUR
    cells = _cells_by_region(obs)
    area = region_areas().assign(obs.lat, obs.lon).astype(str)
    mesh, hours, visit_days = [], [], []
    for region_id in sorted(REGIONS):
        code = cells[region_id]
        inside = np.isin(code, _domain_cells(region_id))
        frame = pd.DataFrame(
            {
                "person": obs.person[inside],
                "day": day[inside],
                "cell": code[inside],
                "hour": hour[inside],
            }
        )
        frame["region"] = region_id
        mesh.append(_top_k(frame, "cell", K_MESH))
        hours.append(frame[["person", "day", "region", "hour"]].drop_duplicates())
        visit_days.append(frame[["person", "region", "day"]].drop_duplicates())
    visits = _concat(visit_days, ["person", "region", "day"])
    return Presence(
        mesh=_concat(mesh, ["person", "day", "region", "cell"]),
        area=_area_presence(obs.person, day, area, visits),
        hours=_concat(hours, ["person", "day", "region", "hour"]),
        visit_days=visits,
        monthly=_monthly(obs.person, day, area, months),
    )


def _cells_by_region(obs: Observations) -> dict[str, npt.NDArray[np.int64]]:
    """Mesh codes of every observation at each region's level (computed once per level)."""
    by_level = {
        level: points_to_codes(obs.lat, obs.lon, level)
        for level in sorted({region.mesh_level for region in REGIONS.values()})
    }
    return {region_id: by_level[region.mesh_level] for region_id, region in REGIONS.items()}


def _top_k(frame: pd.DataFrame, column: str, k: int) -> pd.DataFrame:
    """Per (person, day, region) the ``k`` values of ``column`` with most rows (ties: smaller)."""
    keys = ["person", "day", "region"]
    counts = frame.groupby([*keys, column], sort=False).size().reset_index(name="n")
    counts = counts.sort_values([*keys, "n", column], ascending=[True, True, True, False, True])
    kept = counts[counts.groupby(keys, sort=False).cumcount() < k]
    return kept[[*keys, column]]


def _area_presence(
    person: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    area: npt.NDArray[np.str_],
    visits: pd.DataFrame,
) -> pd.DataFrame:
    """Municipalities per person-day-region with a visit that day, capped at :data:`K_AREA`."""
    named = area != ""
    frame = pd.DataFrame({"person": person[named], "day": day[named], "municipality": area[named]})
    frame["region"] = frame["municipality"].map(_region_of_municipality())
    frame = frame.merge(visits, on=["person", "day", "region"])
    return _top_k(frame, "municipality", K_AREA).reset_index(drop=True)


def _monthly(
    person: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    area: npt.NDArray[np.str_],
    months: list[str],
) -> pd.DataFrame:
    """Distinct (person, month, municipality) over region municipalities."""
    named = area != ""
    month = np.asarray(months)[day[named]]
    frame = pd.DataFrame({"person": person[named], "month": month, "municipality": area[named]})
    return frame.drop_duplicates().reset_index(drop=True)


@cache
def _region_of_municipality() -> dict[str, str]:
    """Region id of every municipality that belongs to a study region."""
    return {
        code: region.id
        for region in REGIONS.values()
        for code in region.municipality_codes
        if MUNICIPALITIES[code].region_id == region.id
    }


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Stack per-region frames into one with a fresh index."""
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
