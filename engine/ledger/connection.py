"""One process's connection to the ledger file, and the two kinds of transaction it runs.

* :meth:`LedgerConnection.write` — ``BEGIN IMMEDIATE``: takes SQLite's write lock *before* the first
  read, so a check ("is there budget left?") and the write that depends on it ("charge it") are
  one atomic step. Two processes can never both see the same remaining budget and both spend it.
* :meth:`LedgerConnection.read` — a deferred transaction: one consistent snapshot for reads.

The file runs in WAL mode (readers never block the writer, so the dashboard can list releases
while a release is being authorised), with ``synchronous=FULL`` (a charge that was reported
committed survives a power cut) and a busy timeout, so concurrent writers queue instead of failing.
A connection is never used across ``fork``: after one, the child opens its own. Threads of one
process share the connection one transaction at a time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from foundation.errors import ConfigError, IntegrityError

__all__ = ["BUSY_TIMEOUT_SECONDS", "LedgerConnection"]

BUSY_TIMEOUT_SECONDS = 30.0


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        connection.close()
        raise ConfigError(
            f"the ledger {path} cannot use SQLite's WAL mode (is it on a network share?); "
            "put the workspace on a local disk"
        )
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _translate(path: Path, error: sqlite3.Error) -> Exception:
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return ConfigError(
            f"the ledger {path} stayed locked by another process for over "
            f"{BUSY_TIMEOUT_SECONDS:.0f} s; try again when the running release has finished"
        )
    return IntegrityError(
        f"the ledger {path} cannot be read or written ({error}); check that it is a Crossmesh "
        "ledger on a local disk, and restore it from a backup if it is damaged"
    )


class LedgerConnection:
    """A lazily opened, fork-aware SQLite connection to one ledger file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pid = -1

    def _current(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # A connection inherited through fork must not be used (SQLite's rule); open our own.
            self._connection = _open(self.path)
            self._pid = os.getpid()
        return self._connection

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                connection = self._current()
                connection.execute(begin)
            except sqlite3.Error as error:
                raise _translate(self.path, error) from error
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise _translate(self.path, error) from error
                raise

    def write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """An IMMEDIATE transaction: exclusive of other writers from its first statement."""
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read transaction: one consistent snapshot."""
        return self._transaction("BEGIN DEFERRED")

    def close(self) -> None:
        """Close the connection if this process opened it."""
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None
