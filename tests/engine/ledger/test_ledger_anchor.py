"""Tests for the workspace anchor: a missing, replaced or shortened ledger is refused."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.ledger import ANCHOR_FILE, Ledger, Scope
from engine.ledger.opening import key_path
from engine.ledger.schema import MIGRATIONS
from foundation.errors import IntegrityError

JULY = Scope("airline+carrier", "2024-07")
DATASET = hashlib.sha256(b"the airline's data").hexdigest()
OTHER = hashlib.sha256(b"other data").hexdigest()


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


def used_ledger(folder: Path) -> Path:
    """Bind ``folder`` to a ledger that has released once; return the ledger's path."""
    with Ledger.for_dataset(folder, "airline", DATASET) as ledger:
        ledger.commit(ledger.reserve(spec("q"), [JULY], 0.1, "analyst"), "{}")
        return ledger.path


def test_the_anchor_records_the_ledger_and_its_latest_head(tmp_path: Path) -> None:
    """After a write the anchor names the dataset, the ledger and the chain's newest link."""
    path = used_ledger(tmp_path / "airline")
    document = json.loads((tmp_path / "airline" / ANCHOR_FILE).read_text())
    entry = document["ledgers"][DATASET]
    assert document["current"] == DATASET and entry["path"] == str(path)
    with Ledger(path) as ledger:
        assert entry["head_seq"] == ledger.verify() and entry["ledger_id"] == ledger.ledger_id


def test_a_deleted_ledger_beside_its_anchor_is_refused(tmp_path: Path) -> None:
    """Ledger file and key deleted: the workspace anchor refuses a fresh budget, naming backup."""
    path = used_ledger(tmp_path / "airline")
    path.unlink()
    shutil.rmtree(key_path(path).parent)
    for open_it in (
        lambda: Ledger.for_dataset(tmp_path / "airline", "airline", DATASET),
        lambda: Ledger.in_workspace(tmp_path, "airline"),
    ):
        with pytest.raises(IntegrityError, match="restore the ledger file and its keys/ folder"):
            open_it()
    assert not path.exists()


def test_a_ledger_replaced_by_a_fresh_one_is_refused(tmp_path: Path) -> None:
    """A new ledger put where the recorded one was is another ledger: refused."""
    path = used_ledger(tmp_path / "airline")
    path.unlink()
    shutil.rmtree(key_path(path).parent)
    Ledger(path).close()  # the attacker makes a fresh, valid ledger with a key of its own
    with pytest.raises(IntegrityError, match=r"is not the one .* recorded"):
        Ledger.for_dataset(tmp_path / "airline", "airline", DATASET)


def test_a_chain_cut_short_with_its_rows_is_refused(tmp_path: Path) -> None:
    """The last audit row deleted together with its chain link still fails against the anchor."""
    path = used_ledger(tmp_path / "airline")
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("DROP TRIGGER audit_no_delete")
        raw.execute("DROP TRIGGER chain_no_delete")
        last = raw.execute("SELECT MAX(seq) FROM chain").fetchone()[0]
        raw.execute("DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)")
        raw.execute("DELETE FROM chain WHERE seq = ?", (last,))
        for migration in MIGRATIONS:  # and the guards put back
            for statement in migration:
                if statement.startswith(
                    ("CREATE TRIGGER audit_no_delete", "CREATE TRIGGER chain_no_delete")
                ):
                    raw.execute(statement)
        raw.commit()
    Ledger(path).close()  # on its own the shortened chain is consistent …
    with pytest.raises(IntegrityError, match=f"no longer holds chain link {last}"):
        Ledger.for_dataset(tmp_path / "airline", "airline", DATASET)  # … but not with the anchor


def test_a_ledger_of_another_dataset_is_refused(tmp_path: Path) -> None:
    """A ledger bound to one dataset is never used (nor its cache served) for another."""
    path = used_ledger(tmp_path / "airline")
    with pytest.raises(IntegrityError, match="belongs to dataset"):
        Ledger(path, dataset_id=OTHER)


def test_another_dataset_gets_its_own_ledger_and_cache(tmp_path: Path) -> None:
    """The same spec on other data is not served the old release: other data, other ledger."""
    used_ledger(tmp_path / "airline")
    with Ledger.for_dataset(tmp_path / "airline", "airline", OTHER) as other:
        assert other.cached(spec("q")) is None
        assert other.budget(JULY).spent_rho == 0
    with Ledger.in_workspace(tmp_path, "airline") as current:
        assert current.dataset_id == OTHER  # the anchor follows the data last opened
