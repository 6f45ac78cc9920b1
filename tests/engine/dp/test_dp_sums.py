"""Tests of the exact law of summed noise draws (engine.dp.sums)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.dp import ContributionBounds, PrivacyCost, mechanism_for
from engine.dp.intervals import half_width
from engine.dp.sums import MAX_EXACT_SD, noise_law, one_draw_variance, sum_half_width
from foundation.errors import InputError


def direct_pmf(kind: str, scale: float, draws: int) -> tuple[np.ndarray, int]:
    """The pmf of the sum by direct (non-FFT) convolution of a wide one-draw pmf; its centre."""
    reach = math.ceil(60 * scale) + 10
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    one = np.exp(-(x**2) / (2 * scale**2)) if kind == "gaussian" else np.exp(-np.abs(x) / scale)
    one /= one.sum()
    pmf = one
    for _ in range(draws - 1):
        pmf = np.convolve(pmf, one)
    return pmf, len(pmf) // 2


@pytest.mark.parametrize(
    ("kind", "scale"), [("gaussian", 0.7), ("gaussian", 3.1), ("laplace", 2.2)]
)
@pytest.mark.parametrize("draws", [1, 2, 3, 7])
def test_the_law_matches_a_direct_convolution(kind: str, scale: float, draws: int) -> None:
    """Half-width and one-sided tails equal those of a brute-force convolution."""
    law = noise_law(kind, scale, draws)  # type: ignore[arg-type]
    pmf, centre = direct_pmf(kind, scale, draws)
    k = law.half_width()
    assert pmf[centre - k : centre + k + 1].sum() >= 0.95 - 1e-12
    assert pmf[centre - k + 1 : centre + k].sum() < 0.95
    for x in (0, 1, k, k + 3, 4 * k):
        assert law.upper_tail(x) == pytest.approx(pmf[centre + x :].sum(), abs=1e-12)


@pytest.mark.parametrize(
    ("kind", "scale"), [("gaussian", 0.4), ("gaussian", 47.5), ("laplace", 9.0)]
)
def test_one_draw_is_the_mechanism_interval(kind: str, scale: float) -> None:
    """With one draw the law's half-width is the single-draw half-width of intervals.py."""
    assert sum_half_width(kind, scale, 1) == half_width(kind, scale)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["gaussian", "laplace"])
@pytest.mark.parametrize("draws", [2, 16, 32])
def test_exact_intervals_of_k_fold_sums_cover_at_the_stated_level(kind: str, draws: int) -> None:
    """Sums of k real OpenDP draws fall in the exact interval 95 % of the time (within a 4-σ
    binomial band over 4,000 sums), where √k × one draw's half-width is only an approximation."""
    bounds = ContributionBounds(1, 1, 1)
    mechanism = mechanism_for(PrivacyCost.from_epsilon(2.0, mechanism=kind), bounds)  # type: ignore[arg-type]
    sums = mechanism.sample(draws * 4000).reshape(4000, draws).sum(axis=1)
    k = sum_half_width(kind, mechanism.scale, draws)  # type: ignore[arg-type]
    inside = float((np.abs(sums) <= k).mean())
    band = 4 * math.sqrt(0.95 * 0.05 / 4000)
    law = noise_law(kind, mechanism.scale, draws)  # type: ignore[arg-type]
    assert law.coverage(k) - band <= inside <= law.coverage(k) + band
    assert law.coverage(k) >= 0.95 > law.coverage(k - 1)


def test_the_variance_of_the_law_is_the_sum_of_the_draws_variances() -> None:
    """The pmf's variance equals draws × one draw's exact variance."""
    law = noise_law("laplace", 3.0, 5)
    assert law.pmf is not None
    x = np.arange(len(law.pmf)) - law.centre
    assert float((x**2 * law.pmf).sum()) == pytest.approx(5 * one_draw_variance("laplace", 3.0))


def test_huge_sums_use_the_normal_law() -> None:
    """Past MAX_EXACT_SD the law is normal with a continuity correction, and still sensible."""
    law = noise_law("gaussian", MAX_EXACT_SD, 4)
    assert law.pmf is None
    assert law.half_width() == math.ceil(1.959963984540054 * law.sd - 0.5)
    assert law.upper_tail(0) == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize("draws", [0, -1, 1.5, True])
def test_draws_must_be_a_positive_integer(draws: object) -> None:
    """A law of zero or fractional draws is refused."""
    with pytest.raises(InputError):
        noise_law("gaussian", 2.0, draws)  # type: ignore[arg-type]
