"""Tests of the exact 95 % half-widths of discrete noise (engine.dp.intervals)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.dp.intervals import MAX_SUMMED_SCALE, coverage_probability, half_width
from foundation.errors import InputError


def brute_force_half_width(pmf: np.ndarray, level: float = 0.95) -> int:
    """Smallest k with pmf mass on |x| ≤ k at least ``level``; pmf indexed from −m to m."""
    middle = len(pmf) // 2
    for k in range(middle + 1):
        if pmf[middle - k : middle + k + 1].sum() >= level:
            return k
    raise AssertionError("pmf too short")


def discrete_gaussian_pmf(sigma: float, reach: int) -> np.ndarray:
    """pmf ∝ exp(−x²/2σ²) on −reach…reach, normalised by brute force."""
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    weights = np.exp(-(x**2) / (2 * sigma**2))
    return weights / weights.sum()


def discrete_laplace_pmf(scale: float, reach: int) -> np.ndarray:
    """pmf ∝ exp(−|x|/b) on −reach…reach, normalised by brute force."""
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    weights = np.exp(-np.abs(x) / scale)
    return weights / weights.sum()


@pytest.mark.parametrize("sigma", [0.2, 0.5, 1.0, 2.3, 3.0, 10.0, 47.5, 300.0])
def test_gaussian_half_width_matches_a_brute_force_search(sigma: float) -> None:
    """The discrete Gaussian half-width equals a direct search over its pmf."""
    pmf = discrete_gaussian_pmf(sigma, math.ceil(40 * sigma) + 5)
    assert half_width("gaussian", sigma) == brute_force_half_width(pmf)


@pytest.mark.parametrize("scale", [0.2, 0.5, 1.0, 2.3, 3.0, 10.0, 47.5, 300.0])
def test_laplace_half_width_matches_a_brute_force_search(scale: float) -> None:
    """The discrete Laplace half-width (closed form) equals a direct search over its pmf."""
    pmf = discrete_laplace_pmf(scale, math.ceil(80 * scale) + 5)
    assert half_width("laplace", scale) == brute_force_half_width(pmf)


@pytest.mark.parametrize(("kind", "scale"), [("gaussian", 4.0), ("laplace", 4.0)])
def test_half_width_is_the_smallest_covering_k(kind: str, scale: float) -> None:
    """P(|X| ≤ k) ≥ 0.95 at the half-width and < 0.95 one below."""
    k = half_width(kind, scale)  # type: ignore[arg-type]
    assert coverage_probability(kind, scale, k) >= 0.95  # type: ignore[arg-type]
    assert coverage_probability(kind, scale, k - 1) < 0.95  # type: ignore[arg-type]


def test_a_wider_level_gives_a_wider_interval() -> None:
    """The 99 % half-width exceeds the 95 % one."""
    assert half_width("gaussian", 5.0, 0.99) > half_width("gaussian", 5.0)


def test_large_gaussian_scales_agree_across_the_switch() -> None:
    """Summing the pmf and the continuity-corrected normal agree where one hands over."""
    below = half_width("gaussian", MAX_SUMMED_SCALE)
    above = half_width("gaussian", math.nextafter(MAX_SUMMED_SCALE, math.inf))
    assert abs(below - above) <= 1
    assert below == pytest.approx(1.959964 * MAX_SUMMED_SCALE, abs=1)


def test_tiny_scales_give_a_zero_half_width() -> None:
    """Noise that is almost always 0 has half-width 0."""
    assert half_width("gaussian", 0.1) == 0
    assert half_width("laplace", 0.1) == 0


@pytest.mark.parametrize(
    ("kind", "scale", "level"),
    [("uniform", 1.0, 0.95), ("gaussian", 0.0, 0.95), ("gaussian", 1.0, 1.0), ("laplace", 1.0, 0)],
)
def test_bad_interval_arguments_are_refused(kind: str, scale: float, level: float) -> None:
    """Unknown kinds, non-positive scales and levels outside (0, 1) raise InputError."""
    with pytest.raises(InputError):
        half_width(kind, scale, level)  # type: ignore[arg-type]
