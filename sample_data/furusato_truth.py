"""The furusato-nozei truth table: do donors visit the municipality they donated to?

For each municipality and month with a linked donor, two cohorts of linked members are followed
month by month: the donors of that month (each once) and the members who never donated to the
municipality. ``visited`` counts cohort members whose monthly visits include the municipality;
``cohort_size`` is the cohort's size (``docs/views.md`` §4.6).

The world is processed in chunks of people, so :func:`furusato_groups` first lists every
(municipality, month) of the whole world: a chunk without donors still reports its part of the
comparison cohort. :func:`furusato_table` gives one chunk's partial table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sample_data.donations import Donations

__all__ = ["furusato_groups", "furusato_table"]


def furusato_table(
    donations: Donations,
    linked: npt.NDArray[np.int64],
    monthly: pd.DataFrame,
    months: list[str],
    groups: pd.DataFrame,
) -> pd.DataFrame:
    """Visits to the municipality after a donation: donors against members who never donated.

    ``groups`` lists every (municipality, month, month_offset, visit_month) of the whole world, so
    that chunks without donors still report their comparison cohort.
    """
    given = pd.DataFrame(
        {
            "person": donations.person,
            "municipality": donations.municipality,
            "month": np.asarray(months)[donations.day],
        }
    )
    given = given[given["person"].isin(linked)].drop_duplicates()
    visits = monthly[monthly["person"].isin(linked)].rename(columns={"month": "visit_month"})
    ever = given[["person", "municipality"]].drop_duplicates()
    donor = _donor_cohort(given, visits, groups)
    comparison = _comparison_cohort(ever, visits, groups, len(linked))
    return pd.concat([donor, comparison], ignore_index=True)


def _donor_cohort(given: pd.DataFrame, visits: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Per group and offset: donors, and donors seen in the municipality that month."""
    keys = ["municipality", "month", "month_offset"]
    size = given.groupby(["municipality", "month"]).size().rename("cohort_size")
    seen = given.merge(groups, on=["municipality", "month"]).merge(
        visits, on=["person", "municipality", "visit_month"]
    )
    visited = seen.groupby(keys).size().rename("visited")
    frame = groups.join(size, on=["municipality", "month"]).join(visited, on=keys)
    return _cohort_rows(frame, "donor")


def _comparison_cohort(
    ever: pd.DataFrame, visits: pd.DataFrame, groups: pd.DataFrame, linked_count: int
) -> pd.DataFrame:
    """Per group and offset: linked members who never donated to it, and those of them seen."""
    never_size = linked_count - ever.groupby("municipality").size()
    all_seen = visits.groupby(["municipality", "visit_month"]).size()
    donors_seen = (
        visits.merge(ever, on=["person", "municipality"])
        .groupby(["municipality", "visit_month"])
        .size()
    )
    never_seen = all_seen.sub(donors_seen, fill_value=0).rename("visited")
    frame = groups.join(never_seen, on=["municipality", "visit_month"])
    sizes = frame["municipality"].map(never_size)
    frame["cohort_size"] = sizes.fillna(linked_count).astype(np.int64)
    return _cohort_rows(frame, "comparison")


def _cohort_rows(frame: pd.DataFrame, cohort: str) -> pd.DataFrame:
    """The furusato columns for one cohort, zeros filled in."""
    out = frame.assign(cohort=cohort)
    out["visited"] = out["visited"].fillna(0).astype(np.int64)
    out["cohort_size"] = out["cohort_size"].fillna(0).astype(np.int64)
    return out[["municipality", "month", "cohort", "month_offset", "visited", "cohort_size"]]


def furusato_groups(
    donations: Donations, linked: npt.NDArray[np.bool_], months: list[str]
) -> pd.DataFrame:
    """Every (municipality, month) with a linked donor, with its offsets and visit months."""
    donated = linked[donations.person]
    pairs = pd.DataFrame(
        {
            "municipality": donations.municipality[donated],
            "month": np.asarray(months)[donations.day[donated]],
        }
    ).drop_duplicates()
    window = sorted(set(months))
    rows = [
        (town, month, offset, visit_month)
        for town, month in pairs.itertuples(index=False)
        for offset, visit_month in enumerate(window[window.index(month) :])
    ]
    return pd.DataFrame(rows, columns=["municipality", "month", "month_offset", "visit_month"])
