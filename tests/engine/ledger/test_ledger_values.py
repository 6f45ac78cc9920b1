"""Tests for the ledger's values: scopes, months spanned, fixed-point ρ, validation."""

from __future__ import annotations

from datetime import date

import pytest

import engine.ledger
from engine.ledger.values import Reservation, Scope, rho_from_units, rho_to_units
from foundation.errors import InputError


def test_scope_parses_and_prints_pair_at_month() -> None:
    """`PAIR@YYYY-MM` round-trips through Scope.parse and str."""
    scope = Scope.parse("airline-carrier@2024-07")
    assert (scope.pair, scope.period) == ("airline-carrier", "2024-07")
    assert str(scope) == "airline-carrier@2024-07"


@pytest.mark.parametrize(
    "text", ["airline-carrier", "a@2024-13", "a@2024-7", "@2024-07", "a b@2024-01"]
)
def test_malformed_scopes_are_input_errors(text: str) -> None:
    """A scope without pair, with a bad month or with spaces is refused with InputError."""
    with pytest.raises(InputError, match="scope"):
        Scope.parse(text)


def test_spanning_lists_every_month_across_a_year_end() -> None:
    """A release from 30 Nov to 2 Jan charges November, December and January."""
    scopes = Scope.spanning("p", date(2023, 11, 30), date(2024, 1, 2))
    assert [s.period for s in scopes] == ["2023-11", "2023-12", "2024-01"]


def test_spanning_rejects_reversed_dates() -> None:
    """A last day before the first day is an InputError."""
    with pytest.raises(InputError):
        Scope.spanning("p", date(2024, 2, 1), date(2024, 1, 31))


def test_fixed_point_makes_three_tenths_fit_exactly() -> None:
    """Three costs of 0.1 add up to a total of 0.3 exactly, unlike binary floats."""
    assert 0.1 + 0.1 + 0.1 > 0.3
    cost = rho_to_units(0.1, round_up=True)
    assert 3 * cost == rho_to_units(0.3, round_up=False)
    assert rho_from_units(3 * cost) == 0.3


def test_rounding_is_conservative() -> None:
    """Costs round up and totals round down, so rounding never lets the ledger overspend."""
    tiny = 1e-13
    assert rho_to_units(tiny, round_up=True) == 1
    assert rho_to_units(tiny, round_up=False) == 0


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True, "0.1"])
def test_bad_rho_is_an_input_error(bad: object) -> None:
    """Negative, non-finite, boolean or text ρ is refused."""
    with pytest.raises(InputError, match="rho"):
        rho_to_units(bad, round_up=True)  # type: ignore[arg-type]


def test_reservation_validates_on_construction() -> None:
    """A reservation without scopes or with a malformed spec hash cannot be built."""
    with pytest.raises(InputError):
        Reservation(1, "ab" * 16, (), 0.1, "t")
    with pytest.raises(InputError):
        Reservation(1, "not-hex", (Scope("p", "2024-01"),), 0.1, "t")


def test_package_all_is_honest() -> None:
    """Every name in engine.ledger.__all__ exists and is exported once."""
    names = engine.ledger.__all__
    assert len(names) == len(set(names))
    assert all(hasattr(engine.ledger, name) for name in names)
