"""Tests for the ledger's keyed hash chain: an edit, addition or deletion outside it is refused."""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.ledger import Ledger, Scope
from engine.ledger.opening import key_path
from foundation.errors import IntegrityError

JULY = Scope("airline-carrier", "2024-07")
MARKER = "MARKER-OF-THE-RELEASE"


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def path(tmp_path: Path) -> Iterator[Path]:
    """A closed ledger that has a set total, a committed and a pending release, and a log."""
    where = tmp_path / "ledger.sqlite"
    with Ledger(where) as ledger:
        ledger.set_budget(JULY, 0.4, "ops")
        reservation = ledger.reserve(spec("q"), [JULY], 0.1, "analyst")
        ledger.commit(reservation, '{"cells": [1, 2, 3]}', summary=MARKER)
        ledger.reserve(spec("r"), [JULY], 0.1, "analyst")
    yield where


def tamper(path: Path, *statements: str, drop_triggers: bool = True) -> None:
    """Edit the file as an attacker with the sqlite3 module would: guards dropped first."""
    with contextlib.closing(sqlite3.connect(path)) as raw:
        if drop_triggers:
            names = raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (name,) in names.fetchall():
                raw.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            raw.execute(statement)
        raw.commit()


def recreate_guards(path: Path) -> None:
    """Put the dropped triggers back, as a careful attacker would, to hide the edit."""
    from engine.ledger.schema import MIGRATIONS

    with contextlib.closing(sqlite3.connect(path)) as raw:
        for migration in MIGRATIONS:
            for statement in migration:
                if statement.startswith("CREATE TRIGGER"):
                    raw.execute(statement)
        raw.commit()


def test_an_untouched_ledger_verifies_and_counts_its_links(path: Path) -> None:
    """verify() replays the chain: every row is covered; it returns the number of links."""
    with Ledger(path) as ledger:
        links = ledger.verify()
        audit_rows = len(ledger.audit())
    assert links > audit_rows > 0


def test_the_key_is_a_0600_file_beside_the_ledger(path: Path) -> None:
    """The MAC key lives in keys/ beside the ledger, readable by its owner only."""
    mode = stat.S_IMODE(key_path(path).stat().st_mode)
    assert mode == 0o600
    assert len(key_path(path).read_text().strip()) == 64


@pytest.mark.parametrize(
    ("table", "statement", "row"),
    [
        ("budgets", "UPDATE budgets SET total_units = total_units + 1", "airline-carrier@2024-07"),
        ("reservations", "UPDATE reservations SET rho_units = rho_units - 1 WHERE id = 1", "1"),
        ("reservations", "UPDATE reservations SET state = 'abandoned' WHERE id = 2", "2"),
        ("charges", "UPDATE charges SET rho_units = 1 WHERE reservation_id = 1", "1|airline"),
        ("releases", "UPDATE releases SET release_json = replace(release_json, '1', '7')", "1"),
        ("audit", "UPDATE audit SET actor = 'x' || substr(actor, 2) WHERE id = 2", "2"),
        (
            "meta",
            "UPDATE meta SET value = 'x' || substr(value, 2) WHERE key = 'created'",
            "created",
        ),
    ],
)
def test_a_changed_row_in_any_table_is_refused(
    path: Path, table: str, statement: str, row: str
) -> None:
    """One changed value in any table, triggers dropped and put back: opening is refused."""
    tamper(path, statement)
    recreate_guards(path)
    with pytest.raises(
        IntegrityError, match=rf"table {table} row {re.escape(row)}.* changed outside"
    ):
        Ledger(path)


@pytest.mark.parametrize(
    ("table", "statement", "row"),
    [
        ("budgets", "DELETE FROM budgets", "airline-carrier@2024-07"),
        ("reservations", "DELETE FROM reservations WHERE id = 2", "2"),
        ("charges", "DELETE FROM charges WHERE reservation_id = 2", "2|airline-carrier@2024-07"),
        ("releases", "DELETE FROM releases", "1"),
        ("audit", "DELETE FROM audit WHERE id = 3", "3"),
        ("audit", "DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)", ""),
    ],
)
def test_a_deleted_row_in_any_table_is_refused(
    path: Path, table: str, statement: str, row: str
) -> None:
    """A row deleted from any table, even the last audit row, is refused on opening."""
    tamper(path, statement)
    recreate_guards(path)
    with pytest.raises(IntegrityError, match=rf"table {table} row {re.escape(row)}.*deleted"):
        Ledger(path)


def test_a_row_added_outside_crossmesh_is_refused(path: Path) -> None:
    """An audit row inserted by hand (no chain link covers it) is refused."""
    tamper(
        path,
        "INSERT INTO audit (at, actor, action, detail) VALUES ('2024', 'x', 'commit', 'forged')",
    )
    recreate_guards(path)
    with pytest.raises(IntegrityError, match=r"table audit row .* added outside"):
        Ledger(path)


def test_a_forged_chain_link_fails_its_mac(path: Path) -> None:
    """Rewriting a row and its link's digest does not help: the link's MAC no longer checks."""
    flip = "CASE WHEN substr(row_digest, 1, 1) = '0' THEN '1' ELSE '0' END"
    tamper(path, f"UPDATE chain SET row_digest = {flip} || substr(row_digest, 2) WHERE seq = 3")
    recreate_guards(path)
    with pytest.raises(IntegrityError, match=r"chain link 3 .* fails its MAC"):
        Ledger(path)


def test_a_deleted_chain_link_is_refused(path: Path) -> None:
    """A link removed from the middle of the chain breaks it."""
    tamper(path, "DELETE FROM chain WHERE seq = 4")
    recreate_guards(path)
    with pytest.raises(IntegrityError, match="chain link 4 is missing"):
        Ledger(path)


def test_dropped_guards_are_refused(path: Path) -> None:
    """Triggers dropped and not put back are named in the refusal."""
    tamper(path)
    with pytest.raises(IntegrityError, match=r"guard triggers .*audit_no_delete"):
        Ledger(path)


def test_an_edit_with_the_guards_in_place_is_never_sealed(path: Path) -> None:
    """A total raised through sqlite3 with triggers on is refused, at opening and at a write."""
    with Ledger(path) as ledger:
        tamper(path, "UPDATE budgets SET total_units = 10000000000000", drop_triggers=False)
        with pytest.raises(IntegrityError, match=r"table budgets row .* written outside"):
            ledger.reserve(spec("s"), [JULY], 0.1, "analyst")
    with pytest.raises(IntegrityError, match=r"table budgets row .* written outside"):
        Ledger(path)


def test_a_flipped_byte_in_the_file_is_refused(path: Path) -> None:
    """One byte of the file flipped where a release's summary is stored: refused on opening."""
    data = bytearray(path.read_bytes())
    at = data.find(MARKER.encode())
    assert at > 0, "the release's summary is in the checkpointed file"
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        Ledger(path)


def test_a_missing_key_is_refused(path: Path) -> None:
    """Without its key the ledger cannot be verified, and is not opened."""
    key_path(path).unlink()
    with pytest.raises(IntegrityError, match=r"key .* is missing"):
        Ledger(path)


def test_a_deleted_ledger_beside_its_key_is_refused(path: Path) -> None:
    """Deleting the file but not its key does not give a fresh budget."""
    path.unlink()
    with pytest.raises(IntegrityError, match="was deleted"):
        Ledger(path)
    assert not path.exists()
