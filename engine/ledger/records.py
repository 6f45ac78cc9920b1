"""The ledger's SQL, one small function per question or change, run inside a caller's transaction.

:class:`engine.ledger.Ledger` decides; these functions only read and write rows of the tables in
:mod:`engine.ledger.schema`. Amounts are integer pico-ρ here (:mod:`engine.ledger.values`);
:class:`ScopeUnits` turns them into a :class:`~engine.ledger.values.BudgetStatus` for people.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from engine.ledger.audit import utc_now
from engine.ledger.holders import ProcessHolder
from engine.ledger.values import (
    BudgetStatus,
    ReleaseRecord,
    Reservation,
    Scope,
    check_actor,
    check_spec_hash,
    rho_from_units,
    rho_to_units,
)
from foundation.errors import InputError, ProtocolError

STATES = ("pending", "committed", "abandoned")  # of a reservation

__all__ = [
    "STATES",
    "ChargeRequest",
    "ScopeUnits",
    "check_committable",
    "ensure_budget_row",
    "insert_release",
    "insert_reservation",
    "known_scopes",
    "mark_abandoned",
    "pending",
    "pending_all",
    "release_json",
    "release_records",
    "scope_units",
    "stored_release",
    "units_by_state",
    "upsert_total",
]

_SUMMARY_MAX = 300


def checked_scope(scope: object) -> Scope:
    """Return ``scope`` if it is a :class:`Scope`, else raise InputError."""
    if not isinstance(scope, Scope):
        raise InputError(f"a scope must be a Scope (use Scope.parse), not {scope!r}", field="scope")
    return scope


@dataclass(frozen=True)
class ChargeRequest:
    """A validated request to charge ``units`` pico-ρ to each of ``scopes`` for one spec."""

    spec_hash: str
    scopes: tuple[Scope, ...]
    units: int
    actor: str

    @property
    def rho(self) -> float:
        """The cost per scope in ρ."""
        return rho_from_units(self.units)

    @classmethod
    def build(
        cls, spec_hash: str, scopes: Iterable[Scope], rho: float, actor: str
    ) -> ChargeRequest:
        """Validate and normalise (scopes deduplicated and sorted; ρ rounded up)."""
        chosen = tuple(sorted({checked_scope(scope) for scope in scopes}))
        if not chosen:
            raise InputError("a release must charge at least one scope", field="scopes")
        units = rho_to_units(rho, round_up=True)
        if units == 0:
            raise InputError(f"rho must be positive, not {rho!r}", field="rho")
        return cls(check_spec_hash(spec_hash), chosen, units, check_actor(actor))


@dataclass(frozen=True)
class ScopeUnits:
    """A scope's total and spent budget in pico-ρ."""

    scope: Scope
    total: int
    spent: int

    @property
    def remaining(self) -> int:
        """What can still be charged (never negative, even if the total was lowered)."""
        return max(0, self.total - self.spent)

    def status(self) -> BudgetStatus:
        """The same in ρ, for people."""
        return BudgetStatus(
            self.scope,
            rho_from_units(self.total),
            rho_from_units(self.spent),
            rho_from_units(self.remaining),
        )


def scope_units(connection: sqlite3.Connection, scope: Scope, default_total: int) -> ScopeUnits:
    """Total (``default_total`` if never set) and spent pico-ρ of ``scope``."""
    row = connection.execute(
        "SELECT total_units FROM budgets WHERE scope = ?", (str(scope),)
    ).fetchone()
    spent = connection.execute(
        "SELECT COALESCE(SUM(rho_units), 0) FROM charges WHERE scope = ?", (str(scope),)
    ).fetchone()[0]
    return ScopeUnits(scope, int(row[0]) if row else default_total, int(spent))


def known_scopes(connection: sqlite3.Connection) -> list[Scope]:
    """Every scope with a budget row (set, or charged at least once)."""
    rows = connection.execute("SELECT scope FROM budgets ORDER BY scope").fetchall()
    return sorted(Scope.parse(row[0]) for row in rows)


def upsert_total(connection: sqlite3.Connection, scope: Scope, units: int, actor: str) -> None:
    """Set the total of ``scope``."""
    connection.execute(
        "INSERT INTO budgets (scope, total_units, set_at, set_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (scope) DO UPDATE SET total_units = excluded.total_units, "
        "set_at = excluded.set_at, set_by = excluded.set_by",
        (str(scope), units, utc_now(), actor),
    )


def ensure_budget_row(
    connection: sqlite3.Connection, scope: Scope, default_total: int, actor: str
) -> None:
    """Fix a scope's default total on its first charge, so later defaults cannot change it."""
    connection.execute(
        "INSERT OR IGNORE INTO budgets (scope, total_units, set_at, set_by) VALUES (?, ?, ?, ?)",
        (str(scope), default_total, utc_now(), actor),
    )


def insert_reservation(
    connection: sqlite3.Connection, request: ChargeRequest, holder: ProcessHolder
) -> int:
    """Insert a pending reservation and its charge to every scope; return its id."""
    cursor = connection.execute(
        "INSERT INTO reservations (spec_hash, rho_units, actor, holder_host, holder_pid, "
        "holder_started, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            request.spec_hash,
            request.units,
            request.actor,
            holder.host,
            holder.pid,
            holder.started,
            utc_now(),
        ),
    )
    reservation_id = int(cursor.lastrowid or 0)
    connection.executemany(
        "INSERT INTO charges (reservation_id, scope, rho_units) VALUES (?, ?, ?)",
        [(reservation_id, str(scope), request.units) for scope in request.scopes],
    )
    return reservation_id


def pending(connection: sqlite3.Connection, spec_hash: str) -> list[tuple[int, ProcessHolder, str]]:
    """(id, holder, created) of every pending reservation of ``spec_hash``."""
    rows = connection.execute(
        "SELECT id, holder_host, holder_pid, holder_started, created FROM reservations "
        "WHERE spec_hash = ? AND state = 'pending' ORDER BY id",
        (spec_hash,),
    ).fetchall()
    return [(row[0], ProcessHolder(row[1], row[2], row[3]), row[4]) for row in rows]


def pending_all(connection: sqlite3.Connection) -> list[tuple[int, str, ProcessHolder, str]]:
    """(id, spec hash, holder, created) of every pending reservation."""
    rows = connection.execute(
        "SELECT id, spec_hash, holder_host, holder_pid, holder_started, created "
        "FROM reservations WHERE state = 'pending' ORDER BY id"
    ).fetchall()
    return [(row[0], row[1], ProcessHolder(row[2], row[3], row[4]), row[5]) for row in rows]


def units_by_state(connection: sqlite3.Connection) -> dict[str, int]:
    """Pico-ρ charged, over every scope, by the state of the reservation it was charged for."""
    rows = connection.execute(
        "SELECT v.state, COALESCE(SUM(c.rho_units), 0) FROM charges c "
        "JOIN reservations v ON v.id = c.reservation_id GROUP BY v.state"
    ).fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


def mark_abandoned(connection: sqlite3.Connection, reservation_id: int) -> bool:
    """Move a pending reservation to abandoned (its charges stay); False if it was not pending."""
    cursor = connection.execute(
        "UPDATE reservations SET state = 'abandoned' WHERE id = ? AND state = 'pending'",
        (reservation_id,),
    )
    return cursor.rowcount == 1


def check_committable(connection: sqlite3.Connection, reservation: Reservation) -> None:
    """Raise ProtocolError unless ``reservation`` exists as given and has no release yet."""
    row = connection.execute(
        "SELECT spec_hash, rho_units, state FROM reservations WHERE id = ?", (reservation.id,)
    ).fetchone()
    if row is None or row[0] != reservation.spec_hash:
        raise ProtocolError(
            f"reservation {reservation.id} is not in this ledger; commit only what it reserved"
        )
    if row[2] == "committed":
        raise ProtocolError(
            f"reservation {reservation.id} is already committed; reopen its release"
        )
    if stored_release(connection, reservation.spec_hash) is not None:
        raise ProtocolError(
            f"a release for spec {reservation.spec_hash[:12]}… is already stored; serve that one "
            f"(reservation {reservation.id} stays spent). Use reserve_or_cached to avoid this"
        )


def insert_release(
    connection: sqlite3.Connection, reservation: Reservation, release_json: str, summary: str
) -> int:
    """Store the release of ``reservation`` and mark the reservation committed; return its id."""
    if len(summary) > _SUMMARY_MAX or "\n" in summary:
        raise InputError(
            f"summary must be one line of at most {_SUMMARY_MAX} characters", field="summary"
        )
    cursor = connection.execute(
        "INSERT INTO releases (spec_hash, reservation_id, summary, release_json, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (reservation.spec_hash, reservation.id, summary, release_json, utc_now()),
    )
    connection.execute(
        "UPDATE reservations SET state = 'committed' WHERE id = ?", (reservation.id,)
    )
    return int(cursor.lastrowid or 0)


def stored_release(connection: sqlite3.Connection, spec_hash: str) -> tuple[int, str] | None:
    """(release id, JSON) stored for ``spec_hash``, or None."""
    row = connection.execute(
        "SELECT id, release_json FROM releases WHERE spec_hash = ?", (spec_hash,)
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def release_records(connection: sqlite3.Connection) -> list[ReleaseRecord]:
    """Every committed release with its cost and scopes, oldest first."""
    rows = connection.execute(
        "SELECT r.id, r.spec_hash, r.summary, v.rho_units, r.created, "
        "(SELECT GROUP_CONCAT(scope) FROM charges c WHERE c.reservation_id = v.id) "
        "FROM releases r JOIN reservations v ON v.id = r.reservation_id ORDER BY r.id"
    ).fetchall()
    return [
        ReleaseRecord(
            row[0],
            row[1],
            row[2],
            rho_from_units(row[3]),
            tuple(sorted(Scope.parse(text) for text in row[5].split(","))),
            row[4],
        )
        for row in rows
    ]


def release_json(connection: sqlite3.Connection, release_id: int) -> str:
    """The JSON of release ``release_id``; InputError if there is none."""
    row = connection.execute(
        "SELECT release_json FROM releases WHERE id = ?", (release_id,)
    ).fetchone()
    if row is None:
        raise InputError(
            f"there is no release {release_id}; list them with Ledger.releases()",
            field="release_id",
        )
    return str(row[0])
