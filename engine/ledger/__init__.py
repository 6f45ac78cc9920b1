"""The privacy-budget ledger: budgets per (dataset pair, month), atomic reservations, the release
cache and the append-only audit log, in one SQLite file per party (``WS/<party>/ledger.sqlite``).

Modules: :mod:`~engine.ledger.ledger` (the :class:`Ledger`), :mod:`~engine.ledger.values` (scopes,
statuses, reservations, fixed-point ρ), :mod:`~engine.ledger.records` (the SQL),
:mod:`~engine.ledger.schema` (tables, append-only triggers, migrations),
:mod:`~engine.ledger.connection` (WAL, IMMEDIATE transactions, busy timeout),
:mod:`~engine.ledger.audit` (the log), :mod:`~engine.ledger.holders` (is a reserving process alive),
:mod:`~engine.ledger.epsilon` (ρ shown as ε at the default δ).
"""

from __future__ import annotations

from engine.ledger.epsilon import EpsilonDelta, describe_rho, epsilon_at_default_delta
from engine.ledger.ledger import DEFAULT_TOTAL_RHO, DEFAULT_WAIT_SECONDS, LEDGER_FILE, Ledger
from engine.ledger.values import (
    AuditAction,
    AuditEntry,
    BudgetStatus,
    CachedRelease,
    ReleaseRecord,
    Reservation,
    Scope,
)

__all__ = [
    "DEFAULT_TOTAL_RHO",
    "DEFAULT_WAIT_SECONDS",
    "LEDGER_FILE",
    "AuditAction",
    "AuditEntry",
    "BudgetStatus",
    "CachedRelease",
    "EpsilonDelta",
    "Ledger",
    "ReleaseRecord",
    "Reservation",
    "Scope",
    "describe_rho",
    "epsilon_at_default_delta",
]
