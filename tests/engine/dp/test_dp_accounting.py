"""Tests of privacy accounting: zCDP ⇄ (ε, δ), pure ε ⇒ ρ, PrivacyCost (engine.dp.accounting)."""

from __future__ import annotations

import math

import opendp.prelude as dp
import pytest

from engine.dp.accounting import (
    DEFAULT_DELTA,
    PrivacyCost,
    bun_steinke_epsilon,
    epsilon_to_zcdp,
    pure_epsilon_to_zcdp,
    zcdp_to_epsilon,
)
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import NoiseMechanism
from foundation.errors import InputError


def test_default_delta_is_one_in_a_million() -> None:
    """The default δ is the named constant 1e-6."""
    assert DEFAULT_DELTA == 1e-6


def test_bun_steinke_closed_form() -> None:
    """ε = ρ + 2·√(ρ·ln(1/δ)) at ρ = 0.5, δ = 1e-6."""
    assert bun_steinke_epsilon(0.5, 1e-6) == pytest.approx(0.5 + 2 * math.sqrt(0.5 * math.log(1e6)))


@pytest.mark.parametrize("rho", [1e-4, 0.01, 0.1, 0.5, 2.0, 20.0])
@pytest.mark.parametrize("delta", [1e-9, 1e-6, 1e-3])
def test_opendp_conversion_is_tighter_than_bun_steinke(rho: float, delta: float) -> None:
    """The CKS20 conversion gives an ε no larger than the textbook bound, and above ρ."""
    epsilon = zcdp_to_epsilon(rho, delta)
    assert rho < epsilon <= bun_steinke_epsilon(rho, delta)


def test_conversion_matches_the_mechanism_cast_by_opendp() -> None:
    """ε from ρ alone equals OpenDP's cast of an actual Gaussian release of that ρ."""
    mechanism = NoiseMechanism("gaussian", 7.0, ContributionBounds(2, 2, 3))
    domain = dp.vector_domain(dp.atom_domain(T="i64"))
    measurement = dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale=7.0)
    cast = dp.c.make_zCDP_to_approxDP(measurement)
    direct = cast.map(mechanism.sensitivity).epsilon(DEFAULT_DELTA)
    assert zcdp_to_epsilon(mechanism.cost) == pytest.approx(direct, rel=1e-9)


@pytest.mark.parametrize("epsilon", [0.05, 0.5, 1.0, 3.0, 10.0])
def test_inverse_gives_the_largest_rho_within_epsilon(epsilon: float) -> None:
    """ρ from (ε, δ) converts back to at most ε, and a slightly larger ρ would exceed it."""
    rho = epsilon_to_zcdp(epsilon)
    assert zcdp_to_epsilon(rho) <= epsilon
    assert zcdp_to_epsilon(rho * (1 + 1e-6)) > epsilon
    assert rho > epsilon_to_zcdp(epsilon, 1e-9)  # a smaller δ buys less ρ


def test_pure_epsilon_to_zcdp() -> None:
    """An ε-DP mechanism is ε²/2-zCDP."""
    assert pure_epsilon_to_zcdp(1.0) == 0.5
    assert pure_epsilon_to_zcdp(0.2) == pytest.approx(0.02)


def test_cost_from_epsilon_for_the_gaussian() -> None:
    """A Gaussian cost keeps the asked (ε, δ) and charges the largest ρ that guarantees it."""
    cost = PrivacyCost.from_epsilon(1.0)
    assert (cost.epsilon, cost.delta, cost.mechanism) == (1.0, DEFAULT_DELTA, "gaussian")
    assert cost.rho == epsilon_to_zcdp(1.0)
    assert cost.budget == cost.rho


def test_cost_from_epsilon_for_the_laplace_spends_no_delta() -> None:
    """A pure-ε cost records δ = 0 and is charged ρ = ε²/2."""
    cost = PrivacyCost.from_epsilon(0.8, DEFAULT_DELTA, "laplace")
    assert (cost.epsilon, cost.delta, cost.rho) == (0.8, 0.0, pytest.approx(0.32))
    assert cost.budget == 0.8


def test_cost_from_rho() -> None:
    """A cost charged in ρ shows the ε it guarantees."""
    cost = PrivacyCost.from_rho(0.05)
    assert cost.epsilon == zcdp_to_epsilon(0.05)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((0.1, 1.0, 1e-6, "exponential"), "mechanism"),
        ((-0.1, 1.0, 1e-6, "gaussian"), "rho"),
        ((0.1, math.inf, 1e-6, "gaussian"), "epsilon"),
        ((0.1, 1.0, 0.0, "gaussian"), "delta"),
        ((0.1, 1.0, 1.0, "gaussian"), "delta"),
        ((0.5, 1.0, 1e-6, "laplace"), "delta"),
        ((0.4, 1.0, 0.0, "laplace"), "rho"),
    ],
)
def test_inconsistent_costs_are_refused(arguments: tuple[object, ...], field: str) -> None:
    """A cost with a bad or inconsistent parameter cannot be built; the message names it."""
    with pytest.raises(InputError, match=field):
        PrivacyCost(*arguments)  # type: ignore[arg-type]
