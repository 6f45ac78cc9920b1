"""Ledger rows as tables: budgets in ε with shares of ρ, releases and audit entries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.ledger_view import (
    audit_frame,
    budget_frame,
    release_frame,
    releases_left,
    split_scope,
)
from engine.ledger.epsilon import epsilon_at_default_delta


@dataclass(frozen=True)
class RhoBudget:
    """A budget row as the ledger keeps it (ρ only)."""

    scope: str
    total_rho: float
    spent_rho: float
    remaining_rho: float


@dataclass(frozen=True)
class EpsilonBudget:
    """A budget row that also states ε."""

    scope: str
    total_rho: float
    remaining_rho: float
    total_epsilon: float
    spent_epsilon: float
    remaining_epsilon: float


def test_budgets_in_rho_are_shown_in_epsilon_with_shares_of_rho() -> None:
    """ε is derived from ρ when the row has none; the share left is taken on ρ."""
    frame = budget_frame([RhoBudget("airline+carrier@2025-08", 0.5, 0.125, 0.375)])
    row = frame.iloc[0]
    assert (row["dataset"], row["month"]) == ("airline+carrier", "2025-08")
    assert row["share_left"] == pytest.approx(0.75)
    assert row["total_epsilon"] == pytest.approx(epsilon_at_default_delta(0.5).epsilon)


def test_budget_rows_with_epsilon_keep_it_and_sort_by_month() -> None:
    """Stated ε is used as it is; rows come sorted by dataset and month."""
    rows = [
        EpsilonBudget("carrier@2025-09", 0.5, 0.5, 5.0, 0.0, 5.0),
        EpsilonBudget("carrier@2025-08", 0.5, 0.25, 5.0, 2.0, 3.0),
    ]
    frame = budget_frame(rows)
    assert frame["month"].tolist() == ["2025-08", "2025-09"]
    assert frame["remaining_epsilon"].tolist() == [3.0, 5.0]


@dataclass(frozen=True)
class Record:
    """A release as the ledger lists it."""

    id: int
    summary: str
    rho: float
    created: str


def test_releases_newest_first_with_kind_from_the_summary() -> None:
    """Ids as text, the kind read from the summary, newest first whatever the input order."""
    rows = [Record(1, "visit-map SHM", 0.02, "2025"), Record(2, "flows CTS", 0.02, "2026")]
    for given in (rows, rows[::-1]):
        frame = release_frame(given)
        assert frame["release_id"].tolist() == ["2", "1"]
        assert frame["kind"].tolist() == ["flows", "visit-map"]


@dataclass(frozen=True)
class Entry:
    """An audit entry."""

    at: str
    actor: str
    action: str
    scope: str | None
    epsilon: float | None
    detail: str


def test_audit_newest_first() -> None:
    """Every entry, newest first, missing values left empty."""
    entries = [
        Entry("t1", "a", "reserve", "s", 1.0, "r1"),
        Entry("t2", "a", "commit", None, None, "c1"),
    ]
    frame = audit_frame(entries)
    assert frame["action"].tolist() == ["commit", "reserve"]
    assert frame["scope"].tolist() == ["", "s"]


def test_split_scope() -> None:
    """A scope is a dataset and a month."""
    assert split_scope("airline+carrier@2025-08") == ("airline+carrier", "2025-08")


def test_releases_left_is_decided_by_the_tightest_scope() -> None:
    """Counted in ρ per scope: the month with the least room decides; exact fits count."""
    remaining = {"a@2025-08": 1.0, "a@2025-09": 0.3}
    assert releases_left(remaining, {"a@2025-08": 0.1, "a@2025-09": 0.1}) == 3
    assert releases_left(remaining, {"a@2025-08": 0.25}) == 4
    assert releases_left(remaining, {"a@2025-09": 0.5}) == 0


def test_releases_left_is_none_when_nothing_is_charged() -> None:
    """A release served from the cache costs nothing: no count is shown."""
    assert releases_left({"a@2025-08": 1.0}, {}) is None
