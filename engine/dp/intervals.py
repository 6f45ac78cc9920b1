"""Error bounds: the exact two-sided interval that holds the integer noise with a given probability.

Every released value carries a half-width ``k``: the smallest integer with P(|noise| ≤ k) ≥ 95 %
(:data:`CI_LEVEL`). Because the noise is integer, ``k`` comes from the discrete distribution
itself, not from a normal approximation:

* discrete Gaussian of scale σ — pmf ∝ exp(−x²/2σ²) on the integers. The normaliser has no closed
  form, so the pmf is summed over |x| ≤ 14σ + 2; the mass beyond is below e⁻⁹⁸, far under float
  resolution. Past :data:`MAX_SUMMED_SCALE` (a useless release anyway) summing would cost memory
  for nothing: there the discrete law equals the normal law with a continuity correction to
  within ~1/σ² in probability, and ``k = ⌈z·σ − ½⌉``.
* discrete Laplace of scale b — pmf ∝ exp(−|x|/b), so with q = e^(−1/b) the tail has the closed
  form P(|X| > k) = 2·q^(k+1)/(1+q); ``k`` is solved from it and checked on both sides.

Both scales are OpenDP's ``scale`` argument of the measurement that drew the noise. The interval
describes the noise only; clamping at zero and suppression (post-processing) are not in it.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from engine.dp.accounting import MechanismKind, check_kind, check_positive
from foundation.errors import InputError

__all__ = [
    "CI_LEVEL",
    "MAX_SUMMED_SCALE",
    "coverage_probability",
    "half_width",
]

CI_LEVEL = 0.95
MAX_SUMMED_SCALE = 1e5  # σ beyond which the Gaussian interval uses the continuity-corrected normal
_GAUSSIAN_SPAN = 14  # pmf summed over |x| ≤ 14σ + 2; exp(−14²/2) ≈ 3e−43


def half_width(kind: MechanismKind, scale: float, level: float = CI_LEVEL) -> int:
    """Return the smallest k ≥ 0 with P(|noise| ≤ k) ≥ ``level`` for the mechanism's noise."""
    kind = check_kind(kind)
    scale = check_positive(scale, "scale")
    level = _check_level(level)
    if kind == "laplace":
        return _laplace_half_width(scale, level)
    if scale > MAX_SUMMED_SCALE:
        return max(0, math.ceil(NormalDist().inv_cdf((1 + level) / 2) * scale - 0.5))
    reached = np.flatnonzero(_gaussian_coverages(scale) >= level)
    if reached.size == 0:
        raise InputError(f"coverage level {level!r} is too close to 1 to compute", field="level")
    return int(reached[0])


def coverage_probability(kind: MechanismKind, scale: float, k: int) -> float:
    """Return P(|noise| ≤ k) for the mechanism's noise at ``scale``."""
    kind = check_kind(kind)
    scale = check_positive(scale, "scale")
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InputError(f"half-width must be a non-negative integer, not {k!r}", field="k")
    if kind == "laplace":
        return 1.0 - _laplace_tail(scale, k)
    if scale > MAX_SUMMED_SCALE:
        return 2 * NormalDist().cdf((k + 0.5) / scale) - 1
    coverage = _gaussian_coverages(scale)
    return float(coverage[min(k, len(coverage) - 1)])


def _check_level(level: float) -> float:
    """A coverage level lies strictly between 0 and 1."""
    value = check_positive(level, "level")
    if value >= 1:
        raise InputError(f"coverage level must be below 1, not {level!r}", field="level")
    return value


def _gaussian_coverages(sigma: float) -> npt.NDArray[np.float64]:
    """P(|X| ≤ k) for k = 0…14σ+2 of the discrete Gaussian, from its normalised pmf."""
    support = np.arange(math.ceil(_GAUSSIAN_SPAN * sigma) + 3, dtype=np.float64)
    weights = np.exp(-(support**2) / (2 * sigma * sigma))
    # x and −x both carry weights[x] for x ≥ 1; 0 only once. np.sum is pairwise, so the
    # normaliser is accurate to a few ulps even over a million terms.
    two_sided = np.concatenate(([weights[0]], 2 * weights[1:]))
    coverage: npt.NDArray[np.float64] = np.cumsum(two_sided) / np.sum(two_sided)
    return coverage


def _laplace_tail(scale: float, k: int) -> float:
    """P(|X| > k) = 2·q^(k+1)/(1+q) for the discrete Laplace, q = e^(−1/b)."""
    q = math.exp(-1 / scale)
    return 2 * math.exp(-(k + 1) / scale) / (1 + q)


def _laplace_half_width(scale: float, level: float) -> int:
    """Solve 2·q^(k+1)/(1+q) ≤ 1 − level for the smallest integer k, then check its neighbours."""
    q = math.exp(-1 / scale)
    k = max(0, math.ceil(-scale * math.log((1 - level) * (1 + q) / 2)) - 1)
    # The closed form is exact in reals; floats can put it one step off either way.
    while 1.0 - _laplace_tail(scale, k) < level:
        k += 1
    while k > 0 and 1.0 - _laplace_tail(scale, k - 1) >= level:
        k -= 1
    return k
