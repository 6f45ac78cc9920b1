"""Tamper evidence: a keyed hash chain over every row of every ledger table.

Why a chain, and why keyed. The triggers of :mod:`engine.ledger.schema` stop honest mistakes, but
whoever can write the file can drop them and edit a row with ``sqlite3``: lower a charge, raise a
total, delete an audit row. So every row the ledger writes is also written down, in the same
transaction, as one link of a chain::

    link n  = (n, table, row key, SHA-256 of the row's columns, MAC_n)
    MAC_n   = HMAC-SHA256(key, MAC_{n-1} | n | table | row key | row digest)
    MAC_0   = HMAC-SHA256(key, "crossmesh-ledger-chain-v1")

A plain SHA-256 chain could be recomputed by the person who edited the row; the MAC cannot without
the key (32 random bytes, created exclusively with mode 0600 in the ``keys/`` folder beside the
ledger, :class:`LedgerKey`). :func:`verify` replays the chain and compares it with the tables: a
changed row, a row added or deleted outside Crossmesh and a broken link are each an
:class:`~foundation.errors.IntegrityError` naming the table and the row. Cutting off the chain's
tail together with the rows it covers leaves a valid, shorter chain; the anchors kept outside the
file (:mod:`engine.ledger.anchor`) catch that.

How rows reach the chain: AFTER INSERT and AFTER UPDATE triggers note each touched row in
``unsealed``; :func:`seal` turns the notes into links just before COMMIT. :func:`check_sealed`
refuses to start a write while a note is left over — a row written outside Crossmesh with the
triggers in place — so that Crossmesh never seals someone else's edit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import IntegrityError

__all__ = [
    "SEALED_TABLES",
    "ChainHead",
    "LedgerKey",
    "check_sealed",
    "link_at",
    "link_mac",
    "seal",
    "verify",
]

SEALED_TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key",),
    "budgets": ("scope",),
    "reservations": ("id",),
    "charges": ("reservation_id", "scope"),
    "releases": ("id",),
    "audit": ("id",),
}
"""Every table under the chain, with the columns that name a row (its key, joined by ``|``)."""

_GENESIS = b"crossmesh-ledger-chain-v1"
_KEY_BYTES = 32


@dataclass(frozen=True)
class LedgerKey:
    """The secret of one ledger's MACs, kept in a file of mode 0600."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != _KEY_BYTES:
            raise IntegrityError(f"a ledger key has {_KEY_BYTES} bytes, not {len(self.secret)}")

    @classmethod
    def load(cls, path: Path) -> LedgerKey:
        """Read the key at ``path``; IntegrityError if it is missing or malformed."""
        try:
            text = path.read_text(encoding="ascii").strip()
            return cls(bytes.fromhex(text))
        except FileNotFoundError as error:
            raise IntegrityError(
                f"the ledger's key {path} is missing, so the ledger cannot be verified; restore "
                "the key (and the ledger) from the same backup"
            ) from error
        except (OSError, ValueError) as error:
            raise IntegrityError(f"the ledger's key {path} cannot be read ({error})") from error

    @classmethod
    def create(cls, path: Path) -> LedgerKey:
        """A fresh random key, written to ``path`` exclusively (never over an existing key)."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = cls(secrets.token_bytes(_KEY_BYTES))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.secret.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return key

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under this key, as hex."""
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """The last link of a chain: its number (0 for an empty chain) and MAC."""

    seq: int
    mac: str


def link_mac(key: LedgerKey, previous: str, seq: int, table: str, row_key: str, digest: str) -> str:
    """The MAC of link ``seq``: it covers the previous MAC and everything the link records."""
    return key.mac(f"{previous}|{seq}|{table}|{row_key}|{digest}".encode())


def _genesis(key: LedgerKey) -> ChainHead:
    return ChainHead(0, key.mac(_GENESIS))


def _digest(table: str, row: tuple[object, ...]) -> str:
    text = json.dumps([table, *row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _row_key(values: tuple[object, ...]) -> str:
    return "|".join(str(value) for value in values)


def _head(connection: sqlite3.Connection, key: LedgerKey) -> ChainHead:
    row = connection.execute("SELECT seq, mac FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    return ChainHead(int(row[0]), str(row[1])) if row else _genesis(key)


def _fetch(connection: sqlite3.Connection, table: str, row_key: str) -> tuple[object, ...]:
    columns = SEALED_TABLES[table]
    values = row_key.split("|", len(columns) - 1)
    where = " AND ".join(f"{column} = ?" for column in columns)
    row = connection.execute(f"SELECT * FROM {table} WHERE {where}", values).fetchone()
    if row is None:
        raise IntegrityError(f"table {table} row {row_key} vanished before it was sealed")
    return tuple(row)


def seal(connection: sqlite3.Connection, key: LedgerKey) -> ChainHead:
    """Append a link for every row noted in ``unsealed``; return the new head. Before COMMIT."""
    notes = connection.execute("SELECT tbl, row_key FROM unsealed ORDER BY rowid").fetchall()
    head = _head(connection, key)
    for table, row_key in notes:
        digest = _digest(table, _fetch(connection, table, row_key))
        seq = head.seq + 1
        mac = link_mac(key, head.mac, seq, table, row_key, digest)
        connection.execute(
            "INSERT INTO chain (seq, tbl, row_key, row_digest, mac) VALUES (?, ?, ?, ?, ?)",
            (seq, table, row_key, digest, mac),
        )
        head = ChainHead(seq, mac)
    connection.execute("DELETE FROM unsealed")
    return head


def check_sealed(connection: sqlite3.Connection) -> None:
    """Raise IntegrityError if a row was written since the last seal (outside Crossmesh)."""
    row = connection.execute("SELECT tbl, row_key FROM unsealed ORDER BY rowid LIMIT 1").fetchone()
    if row is not None:
        raise IntegrityError(
            f"table {row[0]} row {row[1]} was written outside Crossmesh (it is not in the chain)"
        )


_Latest = dict[tuple[str, str], tuple[str, int]]


def _replay(connection: sqlite3.Connection, key: LedgerKey) -> tuple[ChainHead, _Latest]:
    """Check every link; the head, and per (table, row key) its latest (digest, link)."""
    head, latest = _genesis(key), _Latest()
    rows = connection.execute("SELECT seq, tbl, row_key, row_digest, mac FROM chain ORDER BY seq")
    for seq, table, row_key, digest, mac in rows:
        if seq != head.seq + 1:
            raise IntegrityError(f"chain link {head.seq + 1} is missing (the next is {seq})")
        expected = link_mac(key, head.mac, seq, table, row_key, digest)
        if not hmac.compare_digest(expected, str(mac)):
            raise IntegrityError(
                f"chain link {seq} (table {table} row {row_key}) fails its MAC: the link was "
                "changed, or the key is not this ledger's"
            )
        latest[(table, row_key)] = (digest, seq)
        head = ChainHead(seq, str(mac))
    return head, latest


def verify(connection: sqlite3.Connection, key: LedgerKey) -> ChainHead:
    """Replay the chain and compare it with every table; IntegrityError naming the first fault."""
    check_sealed(connection)
    head, latest = _replay(connection, key)
    seen: set[tuple[str, str]] = set()
    for table, columns in SEALED_TABLES.items():
        cursor = connection.execute(f"SELECT * FROM {table}")
        names = [description[0] for description in cursor.description]
        positions = [names.index(column) for column in columns]
        for row in cursor:
            row_key = _row_key(tuple(row[i] for i in positions))
            found = latest.get((table, row_key))
            if found is None:
                raise IntegrityError(
                    f"table {table} row {row_key} was added outside Crossmesh (no chain link "
                    "covers it)"
                )
            if found[0] != _digest(table, tuple(row)):
                raise IntegrityError(
                    f"table {table} row {row_key} was changed outside Crossmesh (it differs "
                    f"from chain link {found[1]})"
                )
            seen.add((table, row_key))
    for (table, row_key), (_, seq) in latest.items():
        if (table, row_key) not in seen:
            raise IntegrityError(
                f"table {table} row {row_key} was deleted (chain link {seq} records it)"
            )
    return head


def link_at(connection: sqlite3.Connection, seq: int) -> str | None:
    """The MAC of link ``seq``, or None if the chain is shorter."""
    row = connection.execute("SELECT mac FROM chain WHERE seq = ?", (seq,)).fetchone()
    return str(row[0]) if row else None
