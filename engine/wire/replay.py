"""Replay protection between the two nodes: a stamp on every call, and the carrier's record of them.

Every call the airline makes for a query carries a :class:`Stamp` in its gRPC metadata
(:data:`STAMP_KEY`): the query id and the number of the step (:data:`STEPS`)::

    Accept 0 · Reblind 1 · Scope 2 · Indicators 3 · CanaryChallenge 4 · CheckCanaries 5 ·
    NoisedSums 6 · Record 7      (Abandon: any step of an open query)
    Population 0                 (a query of one call: opened and closed at once)

``Connect`` and the three read-only population calls (``PopulationBudget``,
``PopulationReleases``, ``PopulationReopen``) belong to no query and carry no stamp: acting on
one twice changes nothing.

The carrier's :class:`ReplayGuard` keeps one row per query id in SQLite (``WS/carrier/
queries.sqlite`` on a carrier node), each claim in one ``BEGIN IMMEDIATE`` transaction, so it
holds across threads, processes and restarts:

* step 0 (Accept) is taken only for a query id it has never seen — a replayed Accept is refused
  even after the carrier node restarted, before anything is reserved;
* each later step must carry exactly the next step number of an open query: a replayed or
  out-of-order call is refused before the carrier runs it;
* Record and Abandon close the query; nothing more is accepted for it.

A refusal is a :class:`~foundation.errors.ProtocolError` (the airline gets the same class) and is
reported to ``on_refusal`` (the carrier node writes it to its ledger's audit log as a refusal,
with nothing charged). The stamp is a sequence number, not a MAC: the channel's integrity and the
peer's identity come from mutual TLS; the stamp stops a message *re-sent* inside or across
connections (a retried call, a proxy replaying a captured stream once it has the keys of a
session, a bug in the airline) from being acted upon twice.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from engine.ledger.audit import utc_now
from foundation.errors import ProtocolError

__all__ = ["ABANDON", "ONE_SHOT", "STAMP_KEY", "STEPS", "ReplayGuard", "Stamp"]

STAMP_KEY = "crossmesh-stamp"
STEPS: dict[str, int] = {
    "Accept": 0,
    "Reblind": 1,
    "Scope": 2,
    "Indicators": 3,
    "CanaryChallenge": 4,
    "CheckCanaries": 5,
    "NoisedSums": 6,
    "Record": 7,
}
ONE_SHOT: dict[str, int] = {"Population": 0}
ABANDON = "Abandon"
_CLOSING = ("Record", ABANDON)
_QUERY_ID = re.compile(r"[0-9a-f]{16,64}")
_SCHEMA = """CREATE TABLE IF NOT EXISTS queries (
    query_id TEXT PRIMARY KEY,
    next_step INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    accepted TEXT NOT NULL,
    updated TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Stamp:
    """The query and step one call belongs to."""

    query_id: str
    step: int

    @classmethod
    def for_call(cls, method: str, query_id: str) -> Stamp:
        """The stamp of ``method`` for ``query_id`` (Abandon: step -1, "whatever is open")."""
        return cls(query_id, STEPS.get(method, ONE_SHOT.get(method, -1)))

    def metadata(self) -> tuple[str, str]:
        """The metadata entry carrying this stamp."""
        return (STAMP_KEY, f"{self.query_id}:{self.step}")

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]]) -> Stamp:
        """The one stamp of a call's metadata (ProtocolError: none, several or malformed)."""
        values = [v for k, v in metadata if k == STAMP_KEY]
        if len(values) != 1:
            raise ProtocolError(
                "a call for a query must carry exactly one stamp (query id and step); "
                "is the airline node older than the carrier's?"
            )
        text = values[0].decode() if isinstance(values[0], bytes) else values[0]
        query_id, _, step = text.partition(":")
        if not _QUERY_ID.fullmatch(query_id) or not step.lstrip("-").isdigit():
            raise ProtocolError("a call's stamp is malformed (expected QUERY_ID:STEP)")
        return cls(query_id, int(step))


class ReplayGuard:
    """The carrier's record of every query id it accepted and the next step each expects.

    ``path`` None keeps the record in memory (tests of the link only); a carrier node keeps it
    in its workspace. ``on_refusal`` is told, in words without any query content, each refusal.
    """

    def __init__(
        self, path: Path | None = None, on_refusal: Callable[[str], None] | None = None
    ) -> None:
        self.path = path
        self.on_refusal = on_refusal
        self._lock = threading.Lock()
        target = ":memory:" if path is None else str(path)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            target, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def admit(
        self, method: str, metadata: Iterable[tuple[str, str | bytes]], query_id: str
    ) -> None:
        """Take the stamp of a call of ``method`` about ``query_id``, or refuse the call."""
        try:
            stamp = Stamp.from_metadata(metadata)
        except ProtocolError as err:
            self._refuse(method, str(err))
        self.claim(method, stamp, query_id)

    def claim(self, method: str, stamp: Stamp, query_id: str) -> None:
        """Take ``stamp`` for a call of ``method`` about ``query_id``, or refuse it."""
        if stamp.query_id != query_id:
            self._refuse(method, "its stamp names another query than its message")
        expected = STEPS.get(method, ONE_SHOT.get(method))
        if method != ABANDON and stamp.step != expected:
            self._refuse(method, f"it is stamped as step {stamp.step}, not step {expected}")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                refusal = self._claim(method, stamp)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        if refusal:
            self._refuse(method, refusal)

    def _claim(self, method: str, stamp: Stamp) -> str:
        """Write the claim inside the open transaction; the refusal's reason, or ''."""
        now = utc_now()
        row = self._db.execute(
            "SELECT next_step, state FROM queries WHERE query_id = ?", (stamp.query_id,)
        ).fetchone()
        if method == "Accept" or method in ONE_SHOT:
            if row is not None:
                return f"this query id was accepted before (a replayed {method})"
            state = "closed" if method in ONE_SHOT else "open"
            self._db.execute(
                "INSERT INTO queries VALUES (?, 1, ?, ?, ?)", (stamp.query_id, state, now, now)
            )
            return ""
        if method == ABANDON and (row is None or row[1] != "open"):
            return ""  # abandoning what is not open does nothing: not a refusal
        if row is None:
            return "this carrier never accepted that query"
        next_step, state = int(row[0]), str(row[1])
        if state != "open":
            return "that query is finished or was abandoned (a replayed or late call)"
        if method != ABANDON and stamp.step != next_step:
            return (
                f"that query expects step {next_step} now, this call is step {stamp.step} "
                "(replayed or out of order)"
            )
        closing = method in _CLOSING
        self._db.execute(
            "UPDATE queries SET next_step = ?, state = ?, updated = ? WHERE query_id = ?",
            (next_step + (0 if closing else 1), "closed" if closing else "open", now,
             stamp.query_id),
        )  # fmt: skip
        return ""

    def close_query(self, query_id: str) -> None:
        """Close ``query_id`` (the carrier abandoned it on its own); later calls are refused."""
        with self._lock:
            self._db.execute(
                "UPDATE queries SET state = 'closed', updated = ? WHERE query_id = ?",
                (utc_now(), query_id),
            )

    def open_queries(self) -> list[str]:
        """The query ids accepted and neither recorded nor abandoned."""
        with self._lock:
            rows = self._db.execute("SELECT query_id FROM queries WHERE state = 'open'")
            return [str(row[0]) for row in rows.fetchall()]

    def close_all(self) -> int:
        """Close every open query (a restarted carrier holds none of them); how many."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE queries SET state = 'closed', updated = ? WHERE state = 'open'",
                (utc_now(),),
            )
            return cursor.rowcount

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _refuse(self, method: str, reason: str) -> NoReturn:
        message = f"the carrier refuses this {method} call: {reason}; nothing was charged for it"
        if self.on_refusal is not None:
            self.on_refusal(f"refused {method}: {reason}")
        raise ProtocolError(message)
