"""Prior visit days: how many earlier days a person spent in a region, in buckets.

"Repeat visitors" are counted by the carrier alone, from its own history: for a record (person, day
D) of a region family, the prior visit days are the distinct days in [D − 365, D − 1] with at least
one observation in the region's mesh domain. The count falls into one of the buckets of
:data:`~engine.views.domains.PRIOR_BUCKETS` (0, 1, 2, 3–5, 6–10, 11+), so one record sets exactly
one slot. Only days present in the observations given count: a history shorter than a year
under-counts, and the caller decides how much history to load.

Map of the module: :func:`prior_visit_days` (the counts) and :func:`prior_visit_buckets`
(the bucket index of each count, via :func:`bucket_of`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["LOOKBACK_DAYS", "bucket_of", "prior_visit_buckets", "prior_visit_days"]

LOOKBACK_DAYS = 365
# Largest count of each bucket but the last: 0 | 1 | 2 | 3–5 | 6–10 | 11+.
_BUCKET_TOPS = np.array([0, 1, 2, 5, 10], dtype=np.int64)


def prior_visit_days(
    records: npt.NDArray[np.int64], visit_days: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each record key (person × span + day), the visit-day keys in [day − 365, day − 1].

    ``visit_days`` must be the sorted unique keys of every (person, day) in the region's domain.
    Keys of one person are contiguous and days are far above 365, so a key window never crosses
    into another person's keys.
    """
    window_end = np.searchsorted(visit_days, records, side="left")
    window_start = np.searchsorted(visit_days, records - LOOKBACK_DAYS, side="left")
    return (window_end - window_start).astype(np.int64)


def bucket_of(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Bucket index (0…5) of each count of prior visit days."""
    return np.searchsorted(_BUCKET_TOPS, counts, side="left").astype(np.int64)


def prior_visit_buckets(
    records: npt.NDArray[np.int64], visit_days: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Bucket index of the prior visit days of each record."""
    return bucket_of(prior_visit_days(records, visit_days))
