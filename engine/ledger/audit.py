"""Writing and reading the append-only audit log.

Every decision of the ledger leaves a row: a budget set, a reservation, a refusal, a commit, a
release served from the cache, a reservation abandoned by a dead process. Rows are only ever
inserted; SQLite triggers (:mod:`engine.ledger.schema`) abort any UPDATE or DELETE, whoever tries.

What a row may hold: time (ISO 8601, UTC), the actor's name, the action, the scope(s), the query
spec's hash, ρ with its ε at the default δ, and a short detail naming ledger objects (reservation
and release numbers, budget amounts in ρ). Never personal data, never a count from the data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime

from engine.ledger.epsilon import epsilon_at_default_delta
from engine.ledger.values import AuditAction, AuditEntry, Scope

__all__ = ["append_audit", "join_scopes", "read_audit", "utc_now"]


def utc_now() -> str:
    """Now as ISO 8601 in UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def join_scopes(scopes: Iterable[Scope]) -> str:
    """Several scopes in one audit field: ``pair@2024-07,pair@2024-08``."""
    return ",".join(str(scope) for scope in scopes)


def append_audit(
    connection: sqlite3.Connection,
    actor: str,
    action: AuditAction,
    *,
    scope: str | None = None,
    spec_hash: str | None = None,
    rho: float | None = None,
    detail: str = "",
) -> None:
    """Append one row to the audit log, inside the caller's transaction."""
    shown = epsilon_at_default_delta(rho) if rho is not None else None
    connection.execute(
        "INSERT INTO audit (at, actor, action, scope, spec_hash, rho, epsilon, delta, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            utc_now(),
            actor,
            action.value,
            scope,
            spec_hash,
            rho,
            shown.epsilon if shown else None,
            shown.delta if shown else None,
            detail,
        ),
    )


def read_audit(connection: sqlite3.Connection, limit: int | None = None) -> list[AuditEntry]:
    """The log, oldest first; with ``limit``, the newest ``limit`` rows, oldest first."""
    query = "SELECT id, at, actor, action, scope, spec_hash, rho, epsilon, delta, detail FROM audit"
    if limit is None:
        rows = connection.execute(query + " ORDER BY id").fetchall()
    else:
        rows = connection.execute(query + " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        rows.reverse()
    return [AuditEntry(row[0], row[1], row[2], AuditAction(row[3]), *row[4:]) for row in rows]
