"""The exact law of a released value's noise: the sum of independent discrete draws.

A released value rarely carries one draw. Under protocol v2 every slot gets the carrier's draw
and the airline's; a pre-boarding row sums several slots; a dashboard total sums shown rows. The
sum of discrete Gaussians is *not* a discrete Gaussian, and √k times one draw's half-width is not
the sum's half-width (it under-covers for Laplace noise and at small scales). So the law of the
sum is computed exactly: the pmf of one draw, convolved with itself ``draws`` times by repeated
squaring with the FFT, tails below 10⁻¹⁸ trimmed after each step. Everything the intervals and
the publication rule need is read off that pmf:

* :meth:`NoiseLaw.half_width` — the smallest ``k`` with P(|N| ≤ k) ≥ level;
* :meth:`NoiseLaw.upper_tail` — P(N ≥ x), the one-sided p-value of "the truth is 0" for a noisy
  value ``x`` (the publication rule, :mod:`engine.dp.publication`);
* :meth:`NoiseLaw.cut_off` — the smallest x with P(N ≥ x) ≤ a level (the rule's cut-offs);
* :meth:`NoiseLaw.coverage` — P(|N| ≤ k), for tests and previews.

:func:`noise_law` is cached: the law depends only on public parameters (kind, scale, draws).
Beyond a standard deviation of :data:`MAX_EXACT_SD` the normal law with a continuity correction
is used (the discrete law equals it there to within ~1/σ²; such a release is useless anyway).
:func:`normal_law` is that normal law for a known standard deviation: the law used for estimates
that are not plain sums of draws (the reconciled two-level map, :mod:`engine.dp.hierarchy`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from engine.dp.accounting import MechanismKind, check_kind, check_positive
from foundation.errors import InputError

__all__ = [
    "MAX_EXACT_SD",
    "NoiseLaw",
    "difference_half_width",
    "noise_law",
    "normal_law",
    "sum_half_width",
]

MAX_EXACT_SD = 2e4  # standard deviation of the sum beyond which the normal law is used
_TRIM = 1e-18  # tail mass dropped on each side after every convolution
_LEVEL = 0.95

FloatArray = npt.NDArray[np.float64]


def one_draw_variance(kind: MechanismKind, scale: float) -> float:
    """The exact variance of one discrete Gaussian or discrete Laplace draw of ``scale``."""
    if kind == "laplace":
        q = math.exp(-1 / scale)
        return 2 * q / (1 - q) ** 2
    reach = math.ceil(14 * scale) + 2
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    weights = np.exp(-(x**2) / (2 * scale * scale))
    return float((x**2 * weights).sum() / weights.sum())


def _one_draw(kind: MechanismKind, scale: float) -> FloatArray:
    """The pmf of one draw on −R…R (R = 14σ+2, or 40b+2: the rest is below 10⁻¹⁷)."""
    reach = math.ceil((14 if kind == "gaussian" else 40) * scale) + 2
    x = np.abs(np.arange(-reach, reach + 1, dtype=np.float64))
    log_weights = -(x**2) / (2 * scale * scale) if kind == "gaussian" else -x / scale
    weights = np.exp(log_weights)
    pmf: FloatArray = weights / weights.sum()
    return pmf


def _convolve(left: FloatArray, right: FloatArray) -> FloatArray:
    """The pmf of the sum of two independent symmetric variables centred in their arrays."""
    size = len(left) + len(right) - 1
    length = 1 << (size - 1).bit_length()
    product = np.fft.irfft(np.fft.rfft(left, length) * np.fft.rfft(right, length), length)
    return _trim(np.clip(product[:size], 0.0, None))


def _trim(pmf: FloatArray) -> FloatArray:
    """Drop the same number of entries from both ends while each end's mass is below 10⁻¹⁸."""
    tail = np.cumsum(pmf)
    cut = int(np.searchsorted(tail, _TRIM))  # entries 0…cut−1 hold mass < 10⁻¹⁸
    cut = min(cut, int(np.searchsorted(np.cumsum(pmf[::-1]), _TRIM)), (len(pmf) - 1) // 2)
    kept = pmf[cut : len(pmf) - cut] if cut else pmf
    normalised: FloatArray = kept / kept.sum()
    return normalised


@dataclass(frozen=True)
class NoiseLaw:
    """The law of the sum of ``draws`` independent draws of ``kind`` noise at ``scale``.

    ``pmf[i]`` is P(N = i − centre); ``None`` beyond :data:`MAX_EXACT_SD` (normal law used).
    """

    kind: MechanismKind
    scale: float
    draws: int
    sd: float
    pmf: FloatArray | None
    tail: FloatArray | None = None  # tail[i] = P(N ≥ i − centre), filled by noise_law

    @property
    def centre(self) -> int:
        """Index of 0 in :attr:`pmf`."""
        return 0 if self.pmf is None else len(self.pmf) // 2

    def coverage(self, k: int) -> float:
        """P(|N| ≤ k)."""
        if k < 0:
            return 0.0
        if self.pmf is None:
            return 2 * NormalDist().cdf((k + 0.5) / self.sd) - 1
        c = self.centre
        return float(self.pmf[max(0, c - k) : c + k + 1].sum())

    def half_width(self, level: float = _LEVEL) -> int:
        """The smallest k ≥ 0 with P(|N| ≤ k) ≥ ``level``."""
        if not 0 < level < 1:
            raise InputError(f"coverage level must lie strictly between 0 and 1, not {level!r}")
        if self.pmf is None:
            return max(0, math.ceil(NormalDist().inv_cdf((1 + level) / 2) * self.sd - 0.5))
        c = self.centre
        two_sided = np.concatenate(([self.pmf[c]], self.pmf[c + 1 :] + self.pmf[c - 1 :: -1]))
        reached = np.flatnonzero(np.cumsum(two_sided) >= level - 1e-12)
        if reached.size == 0:
            raise InputError(f"coverage level {level!r} is too close to 1 to compute")
        return int(reached[0])

    def upper_tail(self, x: int) -> float:
        """P(N ≥ x): how likely noise alone reaches ``x`` when the truth is 0."""
        if self.pmf is None:
            return 1 - NormalDist().cdf((x - 0.5) / self.sd)
        index = self.centre + int(x)
        if index <= 0:
            return 1.0
        if index >= len(self.pmf):
            return 0.0
        if self.tail is not None:
            return float(self.tail[index])
        return float(self.pmf[index:].sum())

    def cut_off(self, level: float) -> int:
        """The smallest integer x with P(N ≥ x) ≤ ``level`` (how large noise alone rarely gets)."""
        if self.pmf is None or self.tail is None:
            return math.ceil(NormalDist().inv_cdf(1 - level) * self.sd + 0.5)
        beyond = np.flatnonzero(self.tail <= level)
        return (int(beyond[0]) if beyond.size else len(self.pmf)) - self.centre


def noise_law(kind: MechanismKind, scale: float, draws: int = 1) -> NoiseLaw:
    """The exact law of the sum of ``draws`` independent draws (cached; public inputs only)."""
    kind = check_kind(kind)
    scale = check_positive(scale, "scale")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InputError(f"draws must be a positive integer, not {draws!r}", field="draws")
    return _law(kind, float(scale), draws)


def normal_law(kind: MechanismKind, sd: float) -> NoiseLaw:
    """The normal law (continuity-corrected) of an error of standard deviation ``sd``."""
    kind = check_kind(kind)
    sd = check_positive(sd, "noise standard deviation")
    return NoiseLaw(kind, sd, 1, sd, None)


@functools.lru_cache(maxsize=512)
def _law(kind: MechanismKind, scale: float, draws: int) -> NoiseLaw:
    sd = math.sqrt(draws * one_draw_variance(kind, scale))
    if sd > MAX_EXACT_SD:
        return NoiseLaw(kind, scale, draws, sd, None)
    pmf = _power(_one_draw(kind, scale), draws)
    tail = np.cumsum(pmf[::-1])[::-1].copy()
    for array in (pmf, tail):
        array.setflags(write=False)
    return NoiseLaw(kind, scale, draws, sd, pmf, tail)


def _power(base: FloatArray, draws: int) -> FloatArray:
    """The pmf of the sum of ``draws`` independent copies, by repeated squaring."""
    result: FloatArray | None = None
    square = base
    while draws:
        if draws & 1:
            result = square if result is None else _convolve(result, square)
        draws >>= 1
        if draws:
            square = _convolve(square, square)
    assert result is not None
    return result


def sum_half_width(kind: MechanismKind, scale: float, draws: int, level: float = _LEVEL) -> int:
    """Half-width of the exact ``level`` interval of the sum of ``draws`` draws."""
    return noise_law(kind, scale, draws).half_width(level)


def difference_half_width(first: NoiseLaw, second: NoiseLaw, level: float = _LEVEL) -> int:
    """Half-width of the exact ``level`` interval of N₁ − N₂ for independent noises of two laws
    (two releases compared): the noise is symmetric, so N₁ − N₂ has the law of N₁ + N₂."""
    if first.pmf is None or second.pmf is None:
        sd = math.hypot(first.sd, second.sd)
        return max(0, math.ceil(NormalDist().inv_cdf((1 + level) / 2) * sd - 0.5))
    pmf = _convolve(np.asarray(first.pmf), np.asarray(second.pmf))
    combined = NoiseLaw(first.kind, first.scale, first.draws + second.draws, 0.0, pmf)
    return combined.half_width(level)
