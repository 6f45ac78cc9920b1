"""Settling a ledger when a node starts: reservations of a dead process become abandoned.

A node killed mid-query leaves its reservation pending. The restarted node calls
``Ledger.settle_dead``: a reservation whose holder process is gone is recorded as abandoned (an
audit row), its budget stays spent, and ``Ledger.totals`` accounts for every ρ spent as a
committed release or an abandoned reservation — nothing pending, nothing lost.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.ledger import AuditAction, Ledger, Reservation, Scope
from engine.ledger.holders import ProcessHolder

SCOPE = Scope("carrier", "2025-08")
COST = 0.01
GONE = ProcessHolder(socket.gethostname(), 2**22 + 17, "1")  # above Linux's pid_max: no such pid


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger in a temporary folder."""
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


def _reserve(ledger: Ledger, name: str) -> Reservation:
    outcome = ledger.reserve_or_cached(spec(name), [SCOPE], COST, "carrier")
    assert isinstance(outcome, Reservation)
    return outcome


def test_a_dead_process_s_reservation_is_settled_as_abandoned_and_stays_spent(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reserved by a process that is gone: settled once, with an audit row; still spent."""
    with monkeypatch.context() as patch:
        patch.setattr("engine.ledger.authorise.current_holder", lambda: GONE)
        _reserve(ledger, "killed")
    assert ledger.totals().pending_rho == pytest.approx(COST)
    assert ledger.settle_dead("carrier") == 1
    assert ledger.settle_dead("carrier") == 0  # settled once
    totals = ledger.totals()
    assert (totals.pending_rho, totals.committed_rho) == (0.0, 0.0)
    assert totals.abandoned_rho == pytest.approx(COST) == totals.spent_rho
    assert ledger.budget(SCOPE).spent_rho == pytest.approx(COST)
    last = ledger.audit()[-1]
    assert last.action == AuditAction.ABANDON and last.spec_hash == spec("killed")
    assert "settled when the node started" in last.detail and str(GONE) in last.detail


def test_a_live_reservation_is_left_pending(ledger: Ledger) -> None:
    """This process still holds its reservation: settling does not touch it; it commits."""
    reservation = _reserve(ledger, "running")
    assert ledger.settle_dead("carrier") == 0
    ledger.commit(reservation, '{"values": []}')
    totals = ledger.totals()
    assert totals.committed_rho == pytest.approx(COST) == totals.spent_rho
    assert totals.pending_rho == totals.abandoned_rho == 0.0


def test_totals_are_committed_plus_abandoned_plus_pending(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over several scopes and states, spent is the sum of the three parts, per reservation."""
    two = [SCOPE, Scope("carrier", "2025-09")]
    committed = ledger.reserve_or_cached(spec("a"), two, COST, "carrier")
    assert isinstance(committed, Reservation)
    ledger.commit(committed, "{}")
    ledger.abandon(_reserve(ledger, "b"), "PeerError")
    _reserve(ledger, "c")
    totals = ledger.totals()
    assert totals.committed_rho == pytest.approx(2 * COST)  # one release charged to two scopes
    assert totals.abandoned_rho == pytest.approx(COST) == totals.pending_rho
    spent = sum(status.spent_rho for status in ledger.budgets())
    assert totals.spent_rho == pytest.approx(spent)
    released = sum(r.rho * len(r.scopes) for r in ledger.releases())
    assert totals.committed_rho == pytest.approx(released)
