"""Tests of the noise mechanisms (engine.dp.mechanisms): cost, calibration and the noise itself.

OpenDP's samplers cannot be seeded, so the distribution tests are statistical: a chi-square test
on binned counts of 200 000 draws must pass at p > 1e-4 against the stated distribution, and the
same statistic must reject (p < 1e-12) deliberately wrong ones — a 20 % larger scale, and the other
family with the same variance — so the test is shown able to fail.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import pytest

from engine.dp.accounting import PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.intervals import coverage_probability
from engine.dp.mechanisms import NoiseMechanism, calibrate, mechanism_for
from foundation.errors import InputError

DRAWS = 200_000
GAUSSIAN_SCALE = 3.0
LAPLACE_SCALE = 2.0
PASS_P = 1e-4
REJECT_P = 1e-12
BOUNDS = ContributionBounds(max_groups=2, max_records_per_group=2, max_nonzero_per_record=3)

Pmf = Callable[[np.ndarray], np.ndarray]


def gaussian_pmf(sigma: float) -> Pmf:
    """Unnormalised discrete Gaussian pmf exp(−x²/2σ²)."""
    return lambda x: np.exp(-(x.astype(np.float64) ** 2) / (2 * sigma**2))


def laplace_pmf(scale: float) -> Pmf:
    """Unnormalised discrete Laplace pmf exp(−|x|/b)."""
    return lambda x: np.exp(-np.abs(x.astype(np.float64)) / scale)


def laplace_scale_with_variance(variance: float) -> float:
    """The discrete Laplace scale b whose variance 2q/(1−q)², q = e^(−1/b), is ``variance``."""
    # Solve 2q/(1−q)² = v for q in (0, 1): v·q² − (2v + 2)·q + v = 0, the smaller root.
    q = ((variance + 1) - math.sqrt(2 * variance + 1)) / variance
    return -1 / math.log(q)


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(χ²_dof ≥ statistic): the regularised upper incomplete gamma Q(dof/2, statistic/2)."""
    a, x = dof / 2, statistic / 2
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # series for the lower part P(a, x)
        term = total = 1 / a
        n = 0
        while abs(term) > abs(total) * 1e-16:
            n += 1
            term *= x / (a + n)
            total += term
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    # Lentz's continued fraction for Q(a, x)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    result = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        result *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return result * math.exp(log_prefix)


def chi_square_p(draws: np.ndarray, pmf: Pmf) -> float:
    """Chi-square goodness of fit of integer draws to ``pmf``, tails lumped to ≥ 20 expected."""
    reach = int(np.abs(draws).max()) + 200
    support = np.arange(-reach, reach + 1)
    probabilities = pmf(support)
    probabilities /= probabilities.sum()
    expected_upper = DRAWS * np.cumsum(probabilities[::-1])[::-1]  # expected count of X ≥ x
    edge = int(support[np.flatnonzero(expected_upper >= 20)[-1]])  # symmetric: same at −edge
    bins = np.clip(draws, -edge, edge) + edge
    observed = np.bincount(bins, minlength=2 * edge + 1)
    inside = probabilities[(support > -edge) & (support < edge)]
    tail = probabilities[support >= edge].sum()
    expected = DRAWS * np.concatenate(([tail], inside, [tail]))
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return chi_square_sf(statistic, len(expected) - 1)


@pytest.fixture(scope="module")
def gaussian_draws() -> np.ndarray:
    """200 000 draws of the discrete Gaussian mechanism at σ = 3."""
    return NoiseMechanism("gaussian", GAUSSIAN_SCALE, BOUNDS).sample(DRAWS)


@pytest.fixture(scope="module")
def laplace_draws() -> np.ndarray:
    """200 000 draws of the discrete Laplace mechanism at b = 2."""
    return NoiseMechanism("laplace", LAPLACE_SCALE, BOUNDS).sample(DRAWS)


def test_chi_square_tail_matches_closed_forms() -> None:
    """Q for 2 dof is e^(−x/2) and for 1 dof erfc(√(x/2)), on both branches of the helper."""
    for statistic in (0.3, 1.0, 5.0, 40.0, 120.0):
        assert chi_square_sf(statistic, 2) == pytest.approx(math.exp(-statistic / 2), rel=1e-9)
        expected = math.erfc(math.sqrt(statistic / 2))
        assert chi_square_sf(statistic, 1) == pytest.approx(expected, rel=1e-9)


def test_gaussian_noise_follows_the_discrete_gaussian(gaussian_draws: np.ndarray) -> None:
    """Draws fit the discrete Gaussian at the stated σ, not at 1.2σ nor a same-variance Laplace."""
    assert gaussian_draws.dtype == np.int64 and gaussian_draws.shape == (DRAWS,)
    assert chi_square_p(gaussian_draws, gaussian_pmf(GAUSSIAN_SCALE)) > PASS_P
    assert chi_square_p(gaussian_draws, gaussian_pmf(1.2 * GAUSSIAN_SCALE)) < REJECT_P
    same_variance = laplace_scale_with_variance(float(np.var(gaussian_draws)))
    assert chi_square_p(gaussian_draws, laplace_pmf(same_variance)) < REJECT_P


def test_laplace_noise_follows_the_discrete_laplace(laplace_draws: np.ndarray) -> None:
    """Draws fit the discrete Laplace at the stated b, not at 1.2b nor a same-variance Gaussian."""
    assert laplace_draws.dtype == np.int64 and laplace_draws.shape == (DRAWS,)
    assert chi_square_p(laplace_draws, laplace_pmf(LAPLACE_SCALE)) > PASS_P
    assert chi_square_p(laplace_draws, laplace_pmf(1.2 * LAPLACE_SCALE)) < REJECT_P
    same_variance = math.sqrt(float(np.var(laplace_draws)))
    assert chi_square_p(laplace_draws, gaussian_pmf(same_variance)) < REJECT_P


@pytest.mark.parametrize(
    ("kind", "fixture", "scale"),
    [("gaussian", "gaussian_draws", GAUSSIAN_SCALE), ("laplace", "laplace_draws", LAPLACE_SCALE)],
)
def test_the_95_percent_interval_covers_95_percent_of_draws(
    kind: str, fixture: str, scale: float, request: pytest.FixtureRequest
) -> None:
    """The share of |noise| ≤ ci95 is the interval's exact coverage (≥ 95 %) within 4.5 s.e."""
    draws = request.getfixturevalue(fixture)
    k = NoiseMechanism(kind, scale, BOUNDS).ci95  # type: ignore[arg-type]
    exact = coverage_probability(kind, scale, k)  # type: ignore[arg-type]
    empirical = float(np.mean(np.abs(draws) <= k))
    standard_error = math.sqrt(exact * (1 - exact) / DRAWS)
    assert exact >= 0.95
    z_score = (empirical - exact) / standard_error
    detail = f"k={k}: empirical {empirical:.5f}, exact {exact:.5f}, z={z_score:.2f}"
    assert abs(z_score) < 4.5, detail


def test_noise_is_not_drawn_from_a_seedable_generator() -> None:
    """Seeding Python's and numpy's generators does not make the noise repeat."""
    mechanism = NoiseMechanism("gaussian", 50.0, BOUNDS)
    samples = []
    for _ in range(2):
        random.seed(0)
        np.random.seed(0)  # the point: seeding has no effect on the noise
        samples.append(mechanism.sample(64))
    assert not np.array_equal(samples[0], samples[1])


def test_sample_lengths() -> None:
    """sample(n) returns n int64 values; n = 0 gives an empty vector; negatives are refused."""
    mechanism = NoiseMechanism("laplace", 1.0, BOUNDS)
    assert mechanism.sample(0).shape == (0,)
    assert mechanism.sample(17).dtype == np.int64
    with pytest.raises(InputError):
        mechanism.sample(-1)


def test_cost_is_the_privacy_map_at_the_derived_sensitivity() -> None:
    """Gaussian ρ = Δ₂²/2σ² with Δ₂ from the bounds; Laplace ε = Δ₁/b."""
    gaussian = NoiseMechanism("gaussian", 4.0, BOUNDS)
    assert gaussian.sensitivity == BOUNDS.l2
    assert gaussian.cost == pytest.approx(BOUNDS.l2_squared / (2 * 16.0), rel=1e-12)
    assert gaussian.cost >= BOUNDS.l2_squared / (2 * 16.0)
    laplace = NoiseMechanism("laplace", 4.0, BOUNDS)
    assert laplace.sensitivity == BOUNDS.l1
    assert laplace.cost == pytest.approx(BOUNDS.l1 / 4.0, rel=1e-12)


@pytest.mark.parametrize("budget", [0.01, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("kind", ["gaussian", "laplace"])
@pytest.mark.parametrize(
    "bounds", [BOUNDS, ContributionBounds(1, 1, 1), ContributionBounds(5, 3, 7)]
)
def test_calibration_meets_the_budget_tightly(
    kind: str, budget: float, bounds: ContributionBounds
) -> None:
    """The calibrated cost is within the budget and close to it; a smaller scale would exceed it."""
    mechanism = calibrate(kind, bounds, budget)  # type: ignore[arg-type]
    assert mechanism.cost <= budget
    assert mechanism.cost == pytest.approx(budget, rel=1e-6)
    smaller = NoiseMechanism(kind, mechanism.scale * (1 - 1e-6), bounds)  # type: ignore[arg-type]
    assert smaller.cost > budget


def test_mechanism_for_a_cost_uses_its_rho_or_epsilon() -> None:
    """A Gaussian cost calibrates to its ρ, a Laplace cost to its ε."""
    gaussian_cost = PrivacyCost.from_epsilon(1.0)
    assert mechanism_for(gaussian_cost, BOUNDS).cost <= gaussian_cost.rho
    laplace_cost = PrivacyCost.from_epsilon(1.0, mechanism="laplace")
    laplace = mechanism_for(laplace_cost, BOUNDS)
    assert laplace.kind == "laplace"
    assert laplace.scale == pytest.approx(BOUNDS.l1, rel=1e-6)


def test_privacy_cost_of_a_mechanism() -> None:
    """A mechanism reports its cost in ρ and (ε, δ); a Laplace one as pure ε with ρ = ε²/2."""
    gaussian = NoiseMechanism("gaussian", 10.0, BOUNDS).privacy_cost()
    assert gaussian.rho == NoiseMechanism("gaussian", 10.0, BOUNDS).cost
    laplace = NoiseMechanism("laplace", 10.0, BOUNDS).privacy_cost()
    assert (laplace.delta, laplace.rho) == (0.0, pytest.approx(laplace.epsilon**2 / 2))


@pytest.mark.parametrize(("kind", "scale"), [("cauchy", 1.0), ("gaussian", 0.0), ("laplace", -2.0)])
def test_bad_mechanisms_are_refused(kind: str, scale: float) -> None:
    """Unknown kinds and non-positive scales raise InputError."""
    with pytest.raises(InputError):
        NoiseMechanism(kind, scale, BOUNDS)  # type: ignore[arg-type]
