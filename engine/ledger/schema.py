"""The ledger's SQLite schema, its guards, and the migrations that build it.

Tables::

    budgets       scope → total (pico-ρ); a row appears on set_budget or on a scope's first charge
    reservations  one per authorised release: spec hash, cost, holder process, state
                  (pending → committed | abandoned)
    charges       reservation × scope → cost; spent(scope) = SUM(charges.rho_units)
    releases      the release cache: spec hash (unique) → release JSON, summary, reservation
    audit         append-only log: at, actor, action, scope, spec hash, ρ, ε, δ, detail
    meta          (v2) the ledger's identity: ledger_id, dataset_id, created
    chain         (v2) the keyed hash chain over every row of the tables above
                  (:mod:`engine.ledger.chain`); ``unsealed`` notes rows written since the last seal

What the triggers guarantee, whoever opens the file: audit rows, charges and releases can never be
updated or deleted, and reservations can never be deleted or re-priced, so budget once charged is
never given back (see :meth:`engine.ledger.Ledger.reserve` for why). Only a reservation's state may
move on from ``pending``.

Version 2 adds the chain: AFTER INSERT/UPDATE triggers on every table note the row in
``unsealed``, and the rows a version-1 ledger already held are noted when it migrates, so the
ledger seals them as found on first opening (trust on first use).

Migrations are numbered by ``PRAGMA user_version``; each is a tuple of single statements (not a
script, because :meth:`sqlite3.Connection.executescript` would commit the transaction that makes a
migration atomic). Append new migrations at the end; never edit a released one.
"""

from __future__ import annotations

import sqlite3

from foundation.errors import ConfigError, IntegrityError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "check_guards", "migrate"]


def _forbid(table: str, event: str, why: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows cannot be {why}'); END"
    )


_V1: tuple[str, ...] = (
    """CREATE TABLE budgets (
        scope TEXT PRIMARY KEY,
        total_units INTEGER NOT NULL CHECK (total_units >= 0),
        set_at TEXT NOT NULL,
        set_by TEXT NOT NULL
    )""",
    """CREATE TABLE reservations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        spec_hash TEXT NOT NULL,
        rho_units INTEGER NOT NULL CHECK (rho_units > 0),
        actor TEXT NOT NULL,
        holder_host TEXT NOT NULL,
        holder_pid INTEGER NOT NULL,
        holder_started TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'committed', 'abandoned')),
        created TEXT NOT NULL
    )""",
    "CREATE INDEX reservations_by_spec ON reservations (spec_hash, state)",
    """CREATE TABLE charges (
        reservation_id INTEGER NOT NULL REFERENCES reservations (id),
        scope TEXT NOT NULL REFERENCES budgets (scope),
        rho_units INTEGER NOT NULL CHECK (rho_units > 0),
        PRIMARY KEY (reservation_id, scope)
    )""",
    "CREATE INDEX charges_by_scope ON charges (scope)",
    """CREATE TABLE releases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        spec_hash TEXT NOT NULL UNIQUE,
        reservation_id INTEGER NOT NULL UNIQUE REFERENCES reservations (id),
        summary TEXT NOT NULL,
        release_json TEXT NOT NULL,
        created TEXT NOT NULL
    )""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL
            CHECK (action IN ('set_budget', 'reserve', 'refuse', 'commit', 'cache_hit',
                              'abandon')),
        scope TEXT,
        spec_hash TEXT,
        rho REAL,
        epsilon REAL,
        delta REAL,
        detail TEXT NOT NULL
    )""",
    _forbid("audit", "UPDATE", "changed: the audit log is append-only"),
    _forbid("audit", "DELETE", "deleted: the audit log is append-only"),
    _forbid("charges", "UPDATE", "changed: charged budget is never given back"),
    _forbid("charges", "DELETE", "deleted: charged budget is never given back"),
    _forbid("releases", "UPDATE", "changed: a stored release is final"),
    _forbid("releases", "DELETE", "deleted: a stored release is final"),
    _forbid("reservations", "DELETE", "deleted: charged budget is never given back"),
    _forbid("budgets", "DELETE", "deleted: set the total instead"),
    """CREATE TRIGGER reservations_state_only BEFORE UPDATE ON reservations
        WHEN NEW.id IS NOT OLD.id OR NEW.spec_hash IS NOT OLD.spec_hash
            OR NEW.rho_units IS NOT OLD.rho_units OR NEW.created IS NOT OLD.created
            OR OLD.state = 'committed'
        BEGIN SELECT RAISE(ABORT, 'reservations only move on from pending'); END""",
)


def _note(table: str, key: str, event: str) -> str:
    return (
        f"CREATE TRIGGER {table}_note_{event.lower()} AFTER {event} ON {table} "
        f"BEGIN INSERT OR IGNORE INTO unsealed (tbl, row_key) VALUES ('{table}', {key}); END"
    )


_ROW_KEYS = {
    "meta": "NEW.key",
    "budgets": "NEW.scope",
    "reservations": "CAST(NEW.id AS TEXT)",
    "charges": "CAST(NEW.reservation_id AS TEXT) || '|' || NEW.scope",
    "releases": "CAST(NEW.id AS TEXT)",
    "audit": "CAST(NEW.id AS TEXT)",
}

_V2: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE chain (
        seq INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        row_key TEXT NOT NULL,
        row_digest TEXT NOT NULL,
        mac TEXT NOT NULL
    )""",
    "CREATE TABLE unsealed (tbl TEXT NOT NULL, row_key TEXT NOT NULL, PRIMARY KEY (tbl, row_key))",
    _forbid("meta", "UPDATE", "changed: the ledger identity is fixed"),
    _forbid("meta", "DELETE", "deleted: the ledger identity is fixed"),
    _forbid("chain", "UPDATE", "changed: the chain is append-only"),
    _forbid("chain", "DELETE", "deleted: the chain is append-only"),
    *(
        _note(table, key, event)
        for table, key in _ROW_KEYS.items()
        for event in ("INSERT", "UPDATE")
    ),
    *(
        f"INSERT INTO unsealed (tbl, row_key) SELECT '{table}', {key.replace('NEW.', '')} "
        f"FROM {table}"
        for table, key in _ROW_KEYS.items()
        if table != "meta"
    ),
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's IMMEDIATE transaction."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"the ledger has schema version {version}, newer than this Crossmesh knows "
            f"({SCHEMA_VERSION}); upgrade Crossmesh before using it"
        )
    for number in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[number]:
            connection.execute(statement)
    if version != SCHEMA_VERSION:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _trigger_names(version: int) -> frozenset[str]:
    found = set()
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            words = statement.split()
            if words[:2] == ["CREATE", "TRIGGER"]:
                found.add(words[2])
    return frozenset(found)


def check_guards(connection: sqlite3.Connection) -> None:
    """Raise IntegrityError if a trigger of the file's schema version was dropped."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    present = {
        str(row[0])
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    missing = sorted(_trigger_names(version) - present)
    if missing:
        raise IntegrityError(
            f"the ledger's guard triggers {', '.join(missing)} were removed outside Crossmesh"
        )
