"""The carrier's volume log: how many cohort points it re-blinded, per calendar month of data.

Re-blinding is the one service the carrier renders on the airline's points (DESIGN §3 step 3): a
deviating airline could use many queries with crafted cohorts to probe the carrier's records, and
every point costs the carrier a scalar multiplication. So besides the per-query cap, the carrier
counts the points it re-blinds for each month of data a query reads and refuses a query that
would take a month past ``max_points_per_month``. The counts are padded volumes (real keys +
dummies + padding), never counts of people, and live in the carrier's own folder
(``WS/carrier/volumes.sqlite``), one transaction per query, so concurrent queries cannot both
slip under the cap.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from foundation.errors import ProtocolError

__all__ = ["VolumeLog"]

_SCHEMA = "CREATE TABLE IF NOT EXISTS volumes (month TEXT PRIMARY KEY, points INTEGER NOT NULL)"


class VolumeLog:
    """Points re-blinded per month, with a cap checked and charged in one transaction."""

    def __init__(self, path: Path, max_points_per_month: int) -> None:
        self.path = Path(path)
        self.cap = max_points_per_month
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def charge(self, months: Sequence[str], points: int) -> None:
        """Add ``points`` to every month, or refuse (ProtocolError) if one would pass the cap."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            for month in months:
                row = connection.execute(
                    "SELECT points FROM volumes WHERE month = ?", (month,)
                ).fetchone()
                if (row[0] if row else 0) + points > self.cap:
                    connection.execute("ROLLBACK")
                    raise ProtocolError(
                        f"the carrier has re-blinded its monthly cap of cohort points for "
                        f"{month}; ask for fewer or smaller queries, or raise the cap"
                    )
            connection.executemany(
                "INSERT INTO volumes (month, points) VALUES (?, ?) "
                "ON CONFLICT(month) DO UPDATE SET points = points + excluded.points",
                [(month, points) for month in months],
            )
            connection.execute("COMMIT")
        finally:
            connection.close()

    def used(self, month: str) -> int:
        """Points re-blinded so far for ``month``."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT points FROM volumes WHERE month = ?", (month,)
            ).fetchone()
        return int(row[0]) if row else 0
