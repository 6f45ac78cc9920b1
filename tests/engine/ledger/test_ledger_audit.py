"""Tests for the ledger's append-only audit log and the guards that keep charges for good."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from engine.dp.accounting import DEFAULT_DELTA, zcdp_to_epsilon
from engine.ledger import AuditAction, Ledger, Scope
from foundation.errors import BudgetExceeded, InputError

JULY = Scope("airline-carrier", "2024-07")
AUGUST = Scope("airline-carrier", "2024-08")


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger that has seen one of every action."""
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        opened.set_budget(AUGUST, 0.1, "ops")
        reservation = opened.reserve(spec("q"), [JULY], 0.1, "analyst")
        opened.commit(reservation, "{}")
        opened.reserve_or_cached(spec("q"), [JULY], 0.1, "viewer")
        with pytest.raises(BudgetExceeded):
            opened.reserve(spec("big"), [JULY, AUGUST], 0.2, "analyst")
        yield opened


@pytest.fixture
def raw(ledger: Ledger) -> Iterator[sqlite3.Connection]:
    """A plain SQLite connection to the same file, as a tamperer would open it."""
    connection = sqlite3.connect(ledger.path)
    yield connection
    connection.close()


def test_every_decision_leaves_a_row(ledger: Ledger) -> None:
    """set_budget, reserve, commit, cache hit and refusal (one row per scope) are all logged."""
    actions = [entry.action for entry in ledger.audit()]
    assert actions == [
        AuditAction.SET_BUDGET,
        AuditAction.RESERVE,
        AuditAction.COMMIT,
        AuditAction.CACHE_HIT,
        AuditAction.REFUSE,
        AuditAction.REFUSE,
    ]


def test_rows_say_who_when_what_and_cost(ledger: Ledger) -> None:
    """Rows carry an ISO UTC time, the actor, scope, spec hash and ρ; a cache hit costs 0."""
    entries = ledger.audit()
    reserve, hit = entries[1], entries[3]
    assert datetime.fromisoformat(reserve.at).utcoffset() is not None
    assert reserve.at.endswith("+00:00")
    assert (reserve.actor, reserve.scope, reserve.spec_hash) == ("analyst", str(JULY), spec("q"))
    assert reserve.rho == pytest.approx(0.1)
    assert (hit.actor, hit.rho) == ("viewer", 0.0)
    assert {entry.scope for entry in entries[4:]} == {str(JULY), str(AUGUST)}


def test_limit_returns_the_newest_rows_oldest_first(ledger: Ledger) -> None:
    """audit(limit=2) is the last two rows, in log order."""
    assert [e.id for e in ledger.audit(limit=2)] == [e.id for e in ledger.audit()[-2:]]
    with pytest.raises(InputError):
        ledger.audit(limit=0)


def test_reserve_rows_add_up_to_what_is_spent(ledger: Ledger) -> None:
    """Per scope, the ρ of reserve rows equals the spent budget."""
    reserved: defaultdict[str, float] = defaultdict(float)
    for entry in ledger.audit():
        if entry.action is AuditAction.RESERVE and entry.scope and entry.rho:
            reserved[entry.scope] += entry.rho
    spent = {str(s.scope): s.spent_rho for s in ledger.budgets() if s.spent_rho}
    assert reserved == pytest.approx(spent)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET actor = 'someone else'",
        "UPDATE audit SET rho = 0 WHERE action = 'reserve'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 1",
    ],
)
def test_audit_rows_cannot_be_updated_or_deleted(
    ledger: Ledger, raw: sqlite3.Connection, statement: str
) -> None:
    """Even through a raw SQLite connection, the log refuses UPDATE and DELETE."""
    before = ledger.audit()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(statement)
    raw.rollback()
    assert ledger.audit() == before


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM charges",
        "UPDATE charges SET rho_units = 1",
        "DELETE FROM reservations",
        "UPDATE reservations SET rho_units = 1",
        "DELETE FROM releases",
        "UPDATE releases SET release_json = '[]'",
    ],
)
def test_spent_budget_and_stored_releases_cannot_be_undone(
    ledger: Ledger, raw: sqlite3.Connection, statement: str
) -> None:
    """Charges, reservations and releases refuse being deleted or re-priced."""
    spent = ledger.budget(JULY).spent_rho
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(statement)
    raw.rollback()
    assert ledger.budget(JULY).spent_rho == spent


def test_epsilon_and_delta_are_logged_next_to_rho(ledger: Ledger) -> None:
    """Rows with a cost carry its ε at the default δ; a cache hit is ε = 0."""
    entries = ledger.audit()
    reserve, hit = entries[1], entries[3]
    assert reserve.epsilon == pytest.approx(zcdp_to_epsilon(0.1, DEFAULT_DELTA))
    assert reserve.delta == DEFAULT_DELTA
    assert hit.epsilon == 0


def test_log_holds_no_release_content(ledger: Ledger) -> None:
    """Released values (the cached JSON) never appear in the log."""
    reservation = ledger.reserve(spec("cells"), [JULY], 0.1, "analyst")
    ledger.commit(reservation, '{"53394611": 12345}')
    text = " ".join(str(entry) for entry in ledger.audit())
    assert "12345" not in text and "53394611" not in text
