"""The privacy-budget ledger: budgets per (dataset pair, month), atomic reservations, the release
cache and the append-only audit log, in one SQLite file per party and dataset, kept in the party's
ledger home (``~/.local/share/crossmesh/<party>/<dataset-id>.sqlite``) and anchored in its
workspace folder (``WS/<party>/ledger-anchor.json``).

Modules: :mod:`~engine.ledger.ledger` (the :class:`Ledger`), :mod:`~engine.ledger.values` (scopes,
statuses, reservations, fixed-point ρ), :mod:`~engine.ledger.records` (the SQL),
:mod:`~engine.ledger.schema` (tables, append-only triggers, migrations),
:mod:`~engine.ledger.connection` (WAL, IMMEDIATE transactions, busy timeout),
:mod:`~engine.ledger.audit` (the log), :mod:`~engine.ledger.holders` (is a reserving process alive),
:mod:`~engine.ledger.epsilon` (ρ shown as ε at the default δ), :mod:`~engine.ledger.chain` (the
keyed hash chain over every row), :mod:`~engine.ledger.opening` (refusing a missing or tampered
ledger), :mod:`~engine.ledger.anchor` (the workspace's record of its ledgers),
:mod:`~engine.ledger.home` (the ledger home and the dataset identity), :mod:`~engine.ledger.scopes`
(which scopes each party's ledger charges).
"""

from __future__ import annotations

from engine.ledger.anchor import ANCHOR_FILE
from engine.ledger.epsilon import EpsilonDelta, describe_rho, epsilon_at_default_delta
from engine.ledger.home import LEDGER_HOME_ENV, dataset_identity, ledger_home
from engine.ledger.ledger import DEFAULT_TOTAL_RHO, DEFAULT_WAIT_SECONDS, Ledger
from engine.ledger.scopes import CROSS_PAIR, SUBSCRIBER_PAIR, party_scopes, scope_for_party
from engine.ledger.values import (
    AuditAction,
    AuditEntry,
    BudgetStatus,
    CachedRelease,
    LedgerTotals,
    ReleaseRecord,
    Reservation,
    Scope,
)

__all__ = [
    "ANCHOR_FILE",
    "CROSS_PAIR",
    "DEFAULT_TOTAL_RHO",
    "DEFAULT_WAIT_SECONDS",
    "LEDGER_HOME_ENV",
    "SUBSCRIBER_PAIR",
    "AuditAction",
    "AuditEntry",
    "BudgetStatus",
    "CachedRelease",
    "EpsilonDelta",
    "Ledger",
    "LedgerTotals",
    "ReleaseRecord",
    "Reservation",
    "Scope",
    "dataset_identity",
    "describe_rho",
    "epsilon_at_default_delta",
    "ledger_home",
    "party_scopes",
    "scope_for_party",
]
