"""Opening a ledger file: refuse a missing one that existed, create a new one, check an old one.

What :func:`open_checked` does, under a lock file so that processes opening the same new ledger
at once create it (and its key) exactly once::

    the file is missing
        ├─ its key is there, or an anchor recorded it  → IntegrityError: restore from backup
        ├─ create=False                                → ConfigError
        └─ otherwise                                   → new key (0600, exclusive), new file
    the file is there
        ├─ schema ≥ 2: the key must be there           → else IntegrityError
        └─ schema 1 (before the chain): a new key; its rows are sealed as found
    then, in one IMMEDIATE transaction: verify every row against the chain (schema ≥ 2), migrate,
    bind the identity (ledger id, dataset id) and seal; then check the anchors.

A dataset identity other than the one the file was bound to is refused: the file's cached
releases were computed on other data.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from engine.ledger.anchor import WorkspaceAnchor, missing_ledger_error
from engine.ledger.audit import utc_now
from engine.ledger.chain import ChainHead, LedgerKey, link_at, seal, verify
from engine.ledger.connection import LedgerConnection
from engine.ledger.schema import SCHEMA_VERSION, check_guards, migrate
from foundation.errors import ConfigError, IntegrityError

__all__ = ["check_anchors", "key_path", "meta_value", "open_checked", "verified_head"]

_CHAINED_SCHEMA = 2


def key_path(ledger: Path) -> Path:
    """Where the MAC key of the ledger at ``ledger`` is kept: ``keys/<name>.key`` beside it."""
    return ledger.parent / "keys" / f"{ledger.stem}.key"


@contextlib.contextmanager
def _creation_lock(ledger: Path) -> Iterator[None]:
    ledger.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with ledger.with_name(f".{ledger.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def meta_value(connection: sqlite3.Connection, name: str) -> str | None:
    """A value of the ledger's ``meta`` table, or None."""
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
    return str(row[0]) if row else None


def _tampered(path: Path, error: IntegrityError) -> IntegrityError:
    return IntegrityError(
        f"the ledger {path} fails its integrity check: {error}. Crossmesh will not use it; "
        "restore the ledger and its keys/ folder from a backup"
    )


def verified_head(path: Path, connection: sqlite3.Connection, key: LedgerKey) -> ChainHead:
    """:func:`engine.ledger.chain.verify`, with a message that names the file and what to do."""
    try:
        head = verify(connection, key)  # a changed row says more than a dropped trigger
        check_guards(connection)
        return head
    except IntegrityError as error:
        raise _tampered(path, error) from error


def check_anchors(
    path: Path,
    connection: sqlite3.Connection,
    anchors: Sequence[WorkspaceAnchor],
    ledger_id: str,
) -> None:
    """Refuse a ledger that is not the one an anchor recorded, or that lost its recorded head."""
    dataset_id = meta_value(connection, "dataset_id")
    for anchor in anchors:
        entry = anchor.entry(dataset_id) if dataset_id else None
        if entry is None:
            continue
        if entry.ledger_id != ledger_id:
            raise IntegrityError(
                f"the ledger {path} is not the one {anchor.path} recorded for this dataset (ledger "
                f"{entry.ledger_id[:12]}…, this is {ledger_id[:12]}…): it was replaced, which "
                "would start a fresh budget. Restore the recorded ledger from a backup"
            )
        if link_at(connection, entry.head_seq) != entry.head_mac and entry.head_seq > 0:
            raise IntegrityError(
                f"the ledger {path} no longer holds chain link {entry.head_seq}, which "
                f"{anchor.path} saw: rows were cut off its end or an older copy was restored. "
                "Restore the latest backup of the ledger"
            )


def _refuse_missing(path: Path, dataset_id: str | None, anchors: Sequence[WorkspaceAnchor]) -> None:
    for anchor in anchors:
        entry = anchor.entry(dataset_id) if dataset_id else None
        if entry is not None:
            raise missing_ledger_error(anchor.path, entry)
    if key_path(path).exists():
        raise IntegrityError(
            f"the ledger {path} is missing but its key {key_path(path)} is there: the ledger "
            "was deleted. Crossmesh will not start a fresh budget; restore it from a backup"
        )


def _bind(connection: sqlite3.Connection, dataset_id: str | None) -> None:
    if meta_value(connection, "ledger_id") is None:
        connection.execute("INSERT INTO meta VALUES ('ledger_id', ?)", (uuid.uuid4().hex,))
        connection.execute("INSERT INTO meta VALUES ('created', ?)", (utc_now(),))
    bound = meta_value(connection, "dataset_id")
    if dataset_id is not None and bound is None:
        connection.execute("INSERT INTO meta VALUES ('dataset_id', ?)", (dataset_id,))
    elif dataset_id is not None and bound != dataset_id:
        raise IntegrityError(
            f"the ledger belongs to dataset {bound[:12] if bound else ''}…, not "
            f"{dataset_id[:12]}…: its budgets and cached releases are of other data"
        )


def _schema_version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as probe:
        try:
            return int(probe.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as error:
            raise IntegrityError(f"the ledger {path} is not a SQLite file ({error})") from error


def _key_for(
    path: Path, *, create: bool, dataset_id: str | None, anchors: Sequence[WorkspaceAnchor]
) -> LedgerKey:
    if not path.is_file():
        _refuse_missing(path, dataset_id, anchors)
        if not create:
            raise ConfigError(f"no ledger at {path}; it is created when a party first opens it")
        return LedgerKey.create(key_path(path))
    if _schema_version(path) < _CHAINED_SCHEMA and not key_path(path).exists():
        return LedgerKey.create(key_path(path))  # a ledger from before the chain: seal as found
    return LedgerKey.load(key_path(path))


def open_checked(
    path: Path,
    *,
    create: bool,
    dataset_id: str | None,
    anchors: Sequence[WorkspaceAnchor],
) -> tuple[LedgerConnection, LedgerKey, ChainHead]:
    """Open (or create) the ledger at ``path`` and check it; see the module's map."""
    with _creation_lock(path):
        key = _key_for(path, create=create, dataset_id=dataset_id, anchors=anchors)
        db = LedgerConnection(path)
        try:
            with db.write() as connection:
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                if _CHAINED_SCHEMA <= version <= SCHEMA_VERSION:
                    verified_head(path, connection, key)
                migrate(connection)
                _bind(connection, dataset_id)
                head = seal(connection, key)
                check_anchors(path, connection, anchors, meta_value(connection, "ledger_id") or "")
        except BaseException:
            db.close()
            raise
    return db, key, head
