"""The mess real data has, added to the written files (never to the truth).

Two kinds of mess, together about 0.5 % of the rows of each file:

* duplicates — exact repeats of existing rows (about 0.4 %), placed at random positions;
* malformed rows — rows that are not part of the world (about 0.1 % per kind, at least one of
  each kind per file): a bad date, an invalid phone number, a latitude of 200, a missing required
  value, an unknown airport. Rows of the ID tables get fresh IDs, so a malformed member never
  collides with a real one; rows of the event tables copy a real row and break one field. Every
  malformed row breaks a rule a loader must enforce (a required field), so rejecting it is the
  only right reaction.

A loader that drops exact duplicates and rejects malformed rows sees exactly the clean world.
Mixed phone formats are not mess in this sense: every party table has them
(see :mod:`sample_data.phones`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from sample_data.phones import draw_mobile_numbers, format_phones

__all__ = [
    "DUPLICATE_SHARE",
    "MALFORMED_SHARE",
    "mess_boardings",
    "mess_donations",
    "mess_members",
    "mess_observations",
    "mess_subscribers",
]

DUPLICATE_SHARE = 0.004
MALFORMED_SHARE = 0.001  # per kind of malformed row
Breaker = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]


def _count(rows: int, share: float) -> int:
    """How many rows of one kind of mess a table of ``rows`` rows gets (at least one)."""
    return max(1, round(rows * share))


def _scatter(frame: pd.DataFrame, extra: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Insert the ``extra`` rows at random positions of ``frame``."""
    before = rng.integers(0, len(frame) + 1, size=len(extra))
    keys = np.concatenate([np.arange(len(frame)) * 2 + 1, before * 2])
    order = np.argsort(keys, kind="stable")
    return pd.concat([frame, extra], ignore_index=True).iloc[order].reset_index(drop=True)


def _with_mess(
    frame: pd.DataFrame, rng: np.random.Generator, breakers: list[Breaker]
) -> pd.DataFrame:
    """``frame`` with duplicates and one batch of malformed rows per breaker."""
    if frame.empty:
        return frame  # nothing to copy from (a chunk of people nobody observes)
    duplicates = frame.iloc[np.sort(rng.choice(len(frame), _count(len(frame), DUPLICATE_SHARE)))]
    malformed = [breaker(frame, rng) for breaker in breakers]
    return _scatter(frame, pd.concat([duplicates, *malformed], ignore_index=True), rng)


def _copies(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Copies of random rows, as many as one kind of malformed row needs."""
    picks = rng.choice(len(frame), _count(len(frame), MALFORMED_SHARE))
    return frame.iloc[np.sort(picks)].reset_index(drop=True)


def _break(column: str, value: Callable[[pd.Series], pd.Series]) -> Breaker:
    """A breaker that copies real rows and replaces ``column`` with ``value(column)``."""

    def breaker(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        rows = _copies(frame, rng)
        rows[column] = value(rows[column])
        return rows

    return breaker


def _fresh_ids(
    frame: pd.DataFrame, column: str, prefix: str, digits: int, rng: np.random.Generator, count: int
) -> list[str]:
    """``count`` IDs in the table's style that no row uses."""
    used = set(frame[column].tolist())
    ids: list[str] = []
    while len(ids) < count:
        candidate = f"{prefix}{int(rng.integers(10 ** (digits - 1), 10**digits))}"
        if candidate not in used and candidate not in ids:
            ids.append(candidate)
    return ids


def _outsiders(
    column: str, prefix: str, digits: int, broken: dict[str, Callable[[int], list[str]]]
) -> Breaker:
    """A breaker for ID tables: real-looking rows with fresh IDs and one broken field."""

    def breaker(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        rows = _copies(frame, rng)
        rows[column] = _fresh_ids(frame, column, prefix, digits, rng, len(rows))
        rows["phone"] = format_phones(rng, draw_mobile_numbers(rng, len(rows)))
        for field, make in broken.items():
            rows[field] = make(len(rows))
        return rows

    return breaker


def _invalid_phones(count: int) -> list[str]:
    """Mobile-looking numbers one digit short: no valid Japanese number."""
    return [f"090-{1000 + k:04d}-{100 + k % 900:03d}" for k in range(count)]


def _missing(count: int) -> list[str]:
    return [""] * count


def mess_members(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Members with duplicates, invalid phone numbers and missing member IDs."""
    return _with_mess(
        frame,
        rng,
        [
            _outsiders("member_id", "JL", 9, {"phone": _invalid_phones}),
            _outsiders("member_id", "JL", 9, {"member_id": _missing}),
        ],
    )


def mess_subscribers(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Subscribers with duplicates, invalid phone numbers and missing home municipalities."""
    return _with_mess(
        frame,
        rng,
        [
            _outsiders("subscriber_id", "DC", 10, {"phone": _invalid_phones}),
            _outsiders("subscriber_id", "DC", 10, {"home_municipality": _missing}),
        ],
    )


def mess_boardings(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Boardings with duplicates, impossible dates, unknown airports and missing flights."""
    return _with_mess(
        frame,
        rng,
        [
            _break("departure", lambda s: "2025-02-30T" + s.str.slice(11)),
            _break("destination", lambda s: pd.Series(["XYZ"] * len(s))),
            _break("flight", lambda s: pd.Series([""] * len(s))),
        ],
    )


def mess_donations(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Donations with duplicates, impossible dates and missing municipality codes."""
    return _with_mess(
        frame,
        rng,
        [
            _break("donation_date", lambda s: s.str.slice(0, 5) + "13-01"),
            _break("municipality_code", lambda s: pd.Series([""] * len(s))),
        ],
    )


def mess_observations(table: pa.Table, rng: np.random.Generator) -> pa.Table:
    """Observations with duplicates, latitudes of 200 and missing longitudes."""
    frame = table.to_pandas()
    messy = _with_mess(
        frame,
        rng,
        [
            _break("lat", lambda s: pd.Series([200.0] * len(s))),
            _break("lon", lambda s: pd.Series([np.nan] * len(s))),
        ],
    )
    messy_table = pa.Table.from_pandas(messy, schema=table.schema, preserve_index=False)
    return messy_table.replace_schema_metadata(None)  # no pandas version in the file
