"""Tests for the Ledger: budgets, reservations across months, refusals, the release cache."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.dp.accounting import DEFAULT_DELTA, zcdp_to_epsilon
from engine.ledger import (
    DEFAULT_TOTAL_RHO,
    LEDGER_HOME_ENV,
    CachedRelease,
    Ledger,
    Reservation,
    Scope,
)
from foundation.errors import BudgetExceeded, ConfigError, InputError, ProtocolError

JULY = Scope("airline-carrier", "2024-07")
AUGUST = Scope("airline-carrier", "2024-08")
DATASET = hashlib.sha256(b"a dataset").hexdigest()


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger in a temporary folder."""
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


def test_each_party_has_its_ledger_per_dataset_in_its_ledger_home(tmp_path: Path) -> None:
    """for_dataset puts a party's ledger at HOME/<party>/<dataset>.sqlite; in_workspace finds it."""
    home = Path(os.environ[LEDGER_HOME_ENV])
    for party in ("airline", "carrier"):
        Ledger.for_dataset(tmp_path / party, party, DATASET).close()
        assert (home / party / f"{DATASET}.sqlite").is_file()
        with Ledger.in_workspace(tmp_path, party) as found:
            assert found.path == home / party / f"{DATASET}.sqlite"


def test_a_workspace_without_a_ledger_says_to_prepare(tmp_path: Path) -> None:
    """in_workspace never creates a ledger: an unbound workspace is a ConfigError naming prepare."""
    with pytest.raises(ConfigError, match="crossmesh prepare"):
        Ledger.in_workspace(tmp_path)
    assert not (tmp_path / "airline").exists()


def test_missing_ledger_without_create_is_a_config_error(tmp_path: Path) -> None:
    """Opening a ledger file that does not exist, with create=False, is a ConfigError."""
    with pytest.raises(ConfigError, match="no ledger at"):
        Ledger(tmp_path / "ledger.sqlite", create=False)


def test_unset_scope_has_the_default_budget(ledger: Ledger) -> None:
    """A scope nobody set has DEFAULT_TOTAL_RHO, nothing spent."""
    status = ledger.budget(JULY)
    assert (status.total_rho, status.spent_rho, status.remaining_rho) == (DEFAULT_TOTAL_RHO, 0, 0.5)


def test_reservation_counts_as_spent_at_once(ledger: Ledger) -> None:
    """Reserved ρ is spent before any commit."""
    ledger.set_budget(JULY, 0.3, "ops")
    ledger.reserve(spec("q1"), [JULY], 0.1, "analyst")
    status = ledger.budget(JULY)
    assert status.spent_rho == pytest.approx(0.1)
    assert status.remaining_rho == pytest.approx(0.2)


def test_three_releases_exactly_fill_a_budget_of_three(ledger: Ledger) -> None:
    """Three releases of ρ=0.1 fit a total of 0.3; the fourth is refused."""
    ledger.set_budget(JULY, 0.3, "ops")
    for name in ("a", "b", "c"):
        ledger.reserve(spec(name), [JULY], 0.1, "analyst")
    with pytest.raises(BudgetExceeded):
        ledger.reserve(spec("d"), [JULY], 0.1, "analyst")
    assert ledger.budget(JULY).remaining_rho == 0


def test_release_spanning_two_months_charges_both(ledger: Ledger) -> None:
    """A reservation over July and August is spent in each month."""
    ledger.reserve(spec("two"), [JULY, AUGUST], 0.2, "analyst")
    assert ledger.budget(JULY).spent_rho == pytest.approx(0.2)
    assert ledger.budget(AUGUST).spent_rho == pytest.approx(0.2)
    assert [s.scope for s in ledger.budgets()] == [JULY, AUGUST]


def test_spanning_release_is_refused_if_either_month_lacks_budget(ledger: Ledger) -> None:
    """If August cannot pay, July is not charged either, and the message says what is left."""
    ledger.set_budget(AUGUST, 0.05, "ops")
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(spec("two"), [JULY, AUGUST], 0.2, "analyst")
    message = str(refused.value)
    assert "too small in airline-carrier@2024-08" in message
    assert "airline-carrier@2024-07: ρ=0.5 (ε≈" in message
    assert "airline-carrier@2024-08: ρ=0.05 (ε≈" in message
    assert "crossmesh admin set-budget" in message
    assert ledger.budget(JULY).spent_rho == 0
    assert ledger.budget(AUGUST).spent_rho == 0


def test_refusal_gives_what_is_left_as_epsilon_too(ledger: Ledger) -> None:
    """The refusal shows the remaining ρ also as ε at the default δ."""
    ledger.set_budget(JULY, 0.05, "ops")
    epsilon = f"{zcdp_to_epsilon(0.05, DEFAULT_DELTA):.3g}"
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(spec("q"), [JULY], 0.1, "analyst")
    assert f"ρ=0.05 (ε≈{epsilon} at δ=1e-06) left" in str(refused.value)


def test_identical_spec_is_served_from_cache_and_spends_nothing(ledger: Ledger) -> None:
    """A re-request of a committed spec returns the identical release at no cost."""
    first = ledger.reserve_or_cached(spec("q"), [JULY], 0.1, "analyst")
    assert isinstance(first, Reservation)
    release = json.dumps({"cells": {"5339": 17}, "rho": 0.1})
    release_id = ledger.commit(first, release, summary="presence SHM 2024-07")
    spent = ledger.budget(JULY).spent_rho
    again = ledger.reserve_or_cached(spec("q"), [JULY], 0.1, "someone-else")
    assert again == CachedRelease(release_id, spec("q"), release)
    assert ledger.budget(JULY).spent_rho == spent
    assert ledger.cached(spec("q")) == release
    assert ledger.release(release_id) == release


def test_cache_serves_even_when_the_budget_is_gone(ledger: Ledger) -> None:
    """A stored release is reopened at no cost even after the budget has run out."""
    ledger.set_budget(JULY, 0.1, "ops")
    reservation = ledger.reserve(spec("q"), [JULY], 0.1, "analyst")
    ledger.commit(reservation, "{}")
    assert isinstance(ledger.reserve_or_cached(spec("q"), [JULY], 0.1, "a"), CachedRelease)


def test_releases_lists_committed_releases_with_cost_and_scopes(ledger: Ledger) -> None:
    """releases() gives id, spec, summary, ρ and scopes; pending reservations are not listed."""
    done = ledger.reserve(spec("done"), [AUGUST, JULY], 0.05, "analyst")
    ledger.reserve(spec("pending"), [JULY], 0.05, "analyst")
    release_id = ledger.commit(done, "[]", summary="flows 2024-07..08")
    [record] = ledger.releases()
    assert (record.id, record.spec_hash, record.summary) == (
        release_id,
        spec("done"),
        "flows 2024-07..08",
    )
    assert record.rho == pytest.approx(0.05)
    assert record.scopes == (JULY, AUGUST)


def test_commit_twice_is_a_protocol_error(ledger: Ledger) -> None:
    """A reservation is committed once; a second commit is refused."""
    reservation = ledger.reserve(spec("q"), [JULY], 0.1, "analyst")
    ledger.commit(reservation, "{}")
    with pytest.raises(ProtocolError, match="already committed"):
        ledger.commit(reservation, "{}")


def test_commit_of_invalid_json_is_refused_and_budget_stays_spent(ledger: Ledger) -> None:
    """A broken release is not stored; its reservation stays spent."""
    reservation = ledger.reserve(spec("q"), [JULY], 0.1, "analyst")
    with pytest.raises(InputError, match="JSON"):
        ledger.commit(reservation, "{not json")
    assert ledger.cached(spec("q")) is None
    assert ledger.budget(JULY).spent_rho == pytest.approx(0.1)


def test_abandon_frees_the_spec_but_not_the_budget(ledger: Ledger) -> None:
    """After abandon, the same spec can be reserved again, and both reservations stay spent."""
    reservation = ledger.reserve_or_cached(spec("q"), [JULY], 0.1, "analyst")
    assert isinstance(reservation, Reservation)
    ledger.abandon(reservation, "noise encryption failed")
    again = ledger.reserve_or_cached(spec("q"), [JULY], 0.1, "analyst", wait_seconds=0)
    assert isinstance(again, Reservation)
    assert ledger.budget(JULY).spent_rho == pytest.approx(0.2)


def test_unknown_release_id_is_an_input_error(ledger: Ledger) -> None:
    """Reopening a release that does not exist says how to list them."""
    with pytest.raises(InputError, match="releases"):
        ledger.release(7)


@pytest.mark.parametrize(
    ("spec_hash", "scopes", "rho", "actor"),
    [
        ("XYZ", [JULY], 0.1, "a"),
        (spec("q"), [], 0.1, "a"),
        (spec("q"), ["airline-carrier@2024-07"], 0.1, "a"),
        (spec("q"), [JULY], 0.0, "a"),
        (spec("q"), [JULY], 0.1, ""),
        (spec("q"), [JULY], 0.1, "two\nlines"),
    ],
)
def test_malformed_reservation_requests_are_input_errors(
    ledger: Ledger, spec_hash: str, scopes: list[object], rho: float, actor: str
) -> None:
    """Bad spec hash, no scopes, a plain string scope, zero ρ or a bad actor spend nothing."""
    with pytest.raises(InputError):
        ledger.reserve(spec_hash, scopes, rho, actor)  # type: ignore[arg-type]
    assert ledger.budgets() == []


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A ledger written by a newer Crossmesh is not touched by this one."""
    import sqlite3

    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(ConfigError, match="upgrade Crossmesh"):
        Ledger(path)
