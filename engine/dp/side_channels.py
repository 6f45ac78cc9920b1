"""Side channels of protocol v2: the match counts the airline sees and the padded sizes.

Why this module exists. The released cells are not the only numbers that leave a party (DESIGN
§3, §5). Two more are seen by the other side, and each would be an exact count of someone's people
if it were sent as it is:

1. **Match counts — seen by the airline.** After matching (step 5) the airline knows how many scope
   positions matched each cohort group: how many of its people the carrier holds records of. The
   carrier hides that count with **dummy coins**. The airline adds ``m`` keys of a dummy domain to
   every group; for each of them the carrier flips a fair coin it keeps secret and sends the dummy
   so that it matches (heads) or a fresh random point that cannot (tails). The airline sees
   ``real_g + Binomial(m, ½)`` per group and knows ``m``. A person in ``g`` groups with at most
   ``k`` keys in each moves every count by at most ``k``: an L2 distance of Δ₂ = √(g·k²).
   ``Binomial(m, ½)`` has variance m/4, so a Gaussian of that variance would be ρ-zCDP with
   ρ = Δ₂²/(2·m/4) = 2·Δ₂²/m — 0.005 for m = 1 200 and a person in 3 groups with 1 key each.
   That ρ is only an approximation: the binomial has finite support, and an outcome beyond it
   (a count of ``real + m + 1``) happens with probability 2⁻ᵐ under one neighbour and 0 under the
   other, so the mechanism is approximate DP. :class:`DummyCoins` accounts it exactly by its
   privacy-loss distribution (PLD): at outcome x the loss is log(P[X = x]/P[X = x − k]), the
   losses of the ``g`` groups add, and δ(ε) = E[(1 − e^(ε − L))₊] for both neighbouring
   directions, the larger taken. Outcomes the other side cannot produce have infinite loss and
   give their whole mass to δ.

2. **Padded counts — seen by both.** The carrier sees the size of each cohort group the airline
   sends; the airline sees the number of records the carrier lists for a (family, month). Each such
   count N is padded **upwards** with P = max(0, shift + Z) random records, Z a discrete Gaussian
   of scale σ from OpenDP's exact sampler, and the observer sees N + P. Without the clamp at 0 it
   would be the Gaussian mechanism (ρ-zCDP at σ = Δ₂/√(2ρ), calibrated by OpenDP's own privacy
   map); padding cannot remove records, so the clamp is needed, and it costs a δ: ``shift`` is the
   smallest integer for which a proven upper bound on P[Z < −shift] is at most ``delta_tail``.
   :class:`PaddingNoise` pads a vector of counts at once (one draw each) at an L2 sensitivity
   across them.

How the δ of the padding composes. The padded mechanism differs from the unclamped Gaussian one
only when some coordinate is clamped, which happens with probability at most c·``delta_tail`` for c
padded values (a union bound). A mechanism that close, in total variation, to a ρ-zCDP mechanism is
(ε, δ_ρ(ε) + (1 + e^ε)·c·``delta_tail``)-DP for every ε, where δ_ρ(ε) is the conversion of ρ
(:meth:`PaddingNoise.guarantee`). The ledger charges ρ and carries the extra δ.

Why the worst case is the whole shift k in every group: a binomial is log-concave, so its shifts
have a monotone likelihood ratio, and the hockey-stick divergence between X and X + s grows with s
(the power of the Neyman–Pearson test grows with the alternative); tensor products keep that order.
A person in fewer groups or with fewer keys is therefore covered.

Map of the module:

* :func:`dummy_count` — the smallest ``m`` whose Gaussian-approximate ρ meets a target.
* :class:`DummyCoins` — ``m`` per group, its ρ, its exact δ(ε) and ε(δ), and the coins themselves
  (:meth:`DummyCoins.flip`, from :mod:`secrets`).
* :class:`PaddingNoise` — σ, shift and δ of the padding, its (ε, δ) guarantee and its draws
  (:meth:`PaddingNoise.sample`).

Randomness: coins come from :mod:`secrets` and the padding from OpenDP's discrete Gaussian, both
on the operating system's CSPRNG; neither :mod:`random` nor ``numpy.random`` is used, so draws
cannot be seeded and the tests are statistical.
"""

from __future__ import annotations

import functools
import math
import secrets
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.dp._opendp import INTEGER_TYPE, dp
from engine.dp.accounting import DEFAULT_DELTA, check_positive, zcdp_to_epsilon
from foundation.errors import ConfigError, InputError

__all__ = ["DummyCoins", "PaddingNoise", "dummy_count"]

Floats = npt.NDArray[np.float64]

# Binomial mass farther from m/2 than Hoeffding's bound for this probability is not enumerated; it
# is charged as infinite loss instead (a pessimistic bound that adds at most g·1e-18 to δ).
_PRUNED_MASS = 1e-18
# Beyond this many atoms the composition rounds losses up to a grid (pessimistic, see _Pld).
_EXACT_ATOMS = 1 << 21
_GRID = 5e-5  # loss grid past _EXACT_ATOMS: ε overstated by < 5e-5 per group rounded
_SQRT_2PI = math.sqrt(2 * math.pi)


def _check_count(value: object, name: str, minimum: int) -> int:
    """Return ``value`` if it is an integer ≥ ``minimum`` (not a bool), or raise InputError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise InputError(f"{name} must be {kind} integer, not {value!r}", field=name)
    return int(value)


def _check_probability(value: object, name: str) -> float:
    """Return ``value`` if it lies strictly between 0 and 1, or raise InputError."""
    result = check_positive(value, name)
    if result >= 1:
        raise InputError(f"{name} must be below 1, not {value!r}", field=name)
    return result


def dummy_count(groups_per_person: int, keys_per_group: int, rho: float) -> int:
    """Smallest m (per group) with 2·Δ2²/m ≤ rho; at least 1.

    Δ2² = groups_per_person · keys_per_group² is the squared L2 distance one person moves the
    vector of match counts. The inequality is solved in exact rationals, so ``rho`` is met
    exactly as the float it is.
    """
    squared = _squared_sensitivity(groups_per_person, keys_per_group)
    target = Fraction(check_positive(rho, "rho"))
    return max(1, math.ceil(Fraction(2 * squared) / target))


def _squared_sensitivity(groups_per_person: int, keys_per_group: int) -> int:
    """Δ2² = g·k² of the match counts, after validating g and k."""
    groups = _check_count(groups_per_person, "groups_per_person", 1)
    keys = _check_count(keys_per_group, "keys_per_group", 1)
    return groups * keys * keys


# --- the privacy-loss distribution of the dummy coins -----------------------------------------


@dataclass(frozen=True)
class _Pld:
    """A privacy-loss distribution: finite losses, their masses, and the mass at +∞ loss.

    ``steps`` is set when the losses lie on the grid (losses = steps·_GRID exactly as integers).
    """

    losses: Floats
    masses: Floats
    infinite: float
    steps: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        # PLDs are cached and shared between DummyCoins values: make them read-only.
        for array in (self.losses, self.masses, self.steps):
            if array is not None:
                array.setflags(write=False)

    def grid_steps(self) -> npt.NDArray[np.int64]:
        """The losses rounded up to the grid, in grid steps: a pessimistic (safe) rounding.

        δ(ε) = E[(1 − e^(ε − L))₊] grows with L, and the composed loss is a sum, so rounding any
        summand up can only raise δ.
        """
        if self.steps is not None:
            return self.steps
        return np.ceil(self.losses / _GRID).astype(np.int64)


def _log_binomial_pmf(m: int, lo: int, hi: int) -> Floats:
    """log P[X = j] for X ~ Binomial(m, ½) and j = lo…hi."""
    constant = math.lgamma(m + 1) - m * math.log(2)
    values = [constant - math.lgamma(j + 1) - math.lgamma(m - j + 1) for j in range(lo, hi + 1)]
    return np.array(values, dtype=np.float64)


def _group_pld(m: int, shift: int, adding: bool) -> _Pld:
    """The PLD of one group: X + shift against X (``adding``) or X against X + shift.

    The numerator's binomial variable j runs over Hoeffding's window around m/2; its mass outside
    (at most ``_PRUNED_MASS``) is charged as infinite loss. Where the other side has probability
    0 (j + shift > m when adding, j < shift when removing) the loss is infinite as well.
    """
    half = math.sqrt(m * math.log(2 / _PRUNED_MASS) / 2)
    lo, hi = max(0, math.ceil(m / 2 - half)), min(m, math.floor(m / 2 + half))
    pruned = 0.0 if (lo, hi) == (0, m) else _PRUNED_MASS
    base = max(0, lo - shift)
    log_pmf = _log_binomial_pmf(m, base, min(m, hi + shift))
    j = np.arange(lo, hi + 1)
    other = j + shift if adding else j - shift
    finite = (other >= 0) & (other <= m)
    numerator = log_pmf[j - base]
    losses = numerator[finite] - log_pmf[other[finite] - base]
    masses = np.exp(numerator)
    order = np.argsort(losses, kind="stable")
    return _Pld(losses[order], masses[finite][order], float(masses[~finite].sum()) + pruned)


def _either_infinite(first: _Pld, second: _Pld) -> float:
    """P[either loss infinite] ≤ a + b − ab, increasing in both: upper bounds stay upper bounds."""
    return first.infinite + second.infinite - first.infinite * second.infinite


def _compose(first: _Pld, second: _Pld) -> _Pld:
    """The PLD of two independent mechanisms: losses add, masses multiply.

    Exact (every pair of atoms) while that stays below ``_EXACT_ATOMS``; past it, both sides are
    rounded up to the loss grid and convolved there, which overstates each loss by < ``_GRID``.
    """
    if len(first.losses) * len(second.losses) > _EXACT_ATOMS:
        return _convolved_on_grid(first, second)
    losses = np.add.outer(first.losses, second.losses).ravel()
    masses = np.multiply.outer(first.masses, second.masses).ravel()
    return _Pld(losses, masses, _either_infinite(first, second))


def _convolved_on_grid(first: _Pld, second: _Pld) -> _Pld:
    """Compose on the loss grid: ``first`` as a dense array, shifted once per atom of ``second``."""
    a, b = first.grid_steps(), second.grid_steps()
    dense = np.bincount(a - a.min(), weights=first.masses)
    out = np.zeros(len(dense) + int(b.max() - b.min()))
    # Sums of non-negative terms only, so no cancellation (unlike an FFT).
    for offset, mass in zip(b - b.min(), second.masses, strict=True):
        out[offset : offset + len(dense)] += mass * dense
    kept = np.flatnonzero(out)
    steps = kept + int(a.min() + b.min())
    losses = steps.astype(np.float64) * _GRID
    return _Pld(losses, out[kept], _either_infinite(first, second), steps)


@lru_cache(maxsize=16)
def _directions(m: int, shift: int, groups: int) -> tuple[tuple[_Pld, _Pld], ...]:
    """Per neighbouring direction: the PLD of all groups but one, and that last group's."""
    result = []
    for adding in (True, False):
        group = _group_pld(m, shift, adding)
        rest = _Pld(np.zeros(1), np.ones(1), 0.0)
        for _ in range(groups - 1):
            rest = _compose(rest, group)
        result.append((rest, group))
    return tuple(result)


def _hockey_stick(rest: _Pld, last: _Pld, epsilon: float) -> float:
    """δ(ε) of ``rest`` composed with ``last``, the last group summed exactly by tail sums.

    For each atom a of ``rest`` the last group contributes Σ_{L_j > ε − L_a} p_j·(1 − e^(ε−L_a−L_j))
    = T_p − e^(ε − L_a)·T_q, with T_p and T_q the tails of the numerator and denominator masses.
    """
    denominator = last.masses * np.exp(-last.losses)
    tail_p = np.append(np.cumsum(last.masses[::-1])[::-1], 0.0)
    tail_q = np.append(np.cumsum(denominator[::-1])[::-1], 0.0)
    cut = np.searchsorted(last.losses, epsilon - rest.losses, side="right")
    inside = tail_p[cut] - np.exp(epsilon - rest.losses) * tail_q[cut]
    finite = float(np.dot(rest.masses, np.maximum(inside, 0.0)))
    infinite = rest.infinite + last.infinite - rest.infinite * last.infinite
    return min(1.0, finite + infinite)


@dataclass(frozen=True)
class DummyCoins:
    """``per_group`` dummy keys in every cohort group, each matched on a secret fair coin.

    The airline sees real + Binomial(m, ½) per group. ``rho`` is the Gaussian approximation;
    :meth:`delta` and :meth:`epsilon` are the exact accounting by the privacy-loss distribution of
    a person in ``groups_per_person`` groups moving each count by ``keys_per_group``.
    """

    per_group: int
    groups_per_person: int
    keys_per_group: int

    def __post_init__(self) -> None:
        _check_count(self.per_group, "per_group", 1)
        _squared_sensitivity(self.groups_per_person, self.keys_per_group)

    @classmethod
    def for_rho(cls, groups_per_person: int, keys_per_group: int, rho: float) -> DummyCoins:
        """The coins of :func:`dummy_count` dummies per group for a target ρ."""
        m = dummy_count(groups_per_person, keys_per_group, rho)
        return cls(m, groups_per_person, keys_per_group)

    @property
    def rho(self) -> float:
        """2·Δ2²/m: the zCDP cost of a Gaussian with the binomial's variance m/4."""
        return (
            2 * _squared_sensitivity(self.groups_per_person, self.keys_per_group) / self.per_group
        )

    def delta(self, epsilon: float) -> float:
        """Exact hockey-stick δ at ``epsilon`` of the composed PLD, the larger direction."""
        if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
            raise InputError(f"epsilon must be a number, not {epsilon!r}", field="epsilon")
        if not (math.isfinite(epsilon) and epsilon >= 0):
            raise InputError(f"epsilon must be non-negative, not {epsilon!r}", field="epsilon")
        plds = _directions(self.per_group, self.keys_per_group, self.groups_per_person)
        return max(_hockey_stick(rest, last, float(epsilon)) for rest, last in plds)

    def epsilon(self, delta: float) -> float:
        """Smallest ε with delta(ε) ≤ ``delta``, by bisection (returned from the safe side)."""
        delta = _check_probability(delta, "delta")
        if self.delta(0.0) <= delta:
            return 0.0
        plds = _directions(self.per_group, self.keys_per_group, self.groups_per_person)
        # Past the largest finite loss only the infinite-loss mass is left.
        high = max(float(rest.losses.max() + last.losses.max()) for rest, last in plds)
        if self.delta(high) > delta:
            raise ConfigError(
                f"{self.per_group} dummy keys per group cannot reach delta {delta!r}: outcomes "
                f"one neighbour cannot produce alone have probability {self.delta(high):.3g}; "
                "use more dummy keys per group"
            )
        low = 0.0
        while high - low > 1e-9 * max(1.0, high):
            middle = (low + high) / 2
            low, high = (low, middle) if self.delta(middle) <= delta else (middle, high)
        return high

    @staticmethod
    def flip(count: int) -> npt.NDArray[np.bool_]:
        """``count`` fair coins (True = send the dummy so that it matches), from :mod:`secrets`."""
        count = _check_count(count, "count", 0)
        raw = np.frombuffer(secrets.token_bytes((count + 7) // 8), dtype=np.uint8)
        return np.unpackbits(raw)[:count].astype(np.bool_)


# --- padding ----------------------------------------------------------------------------------


def _gaussian(scale: float, length: int | None = None) -> Any:
    """OpenDP's discrete Gaussian on an int64 vector at a float L2 distance (as mechanisms.py)."""
    domain = dp.vector_domain(dp.atom_domain(T=INTEGER_TYPE), size=length)
    return dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale=scale)


@functools.lru_cache(maxsize=256)
def _calibrated_scale(rho: float, sensitivity: float) -> float:
    """Smallest σ whose OpenDP privacy map at ``sensitivity`` stays within ``rho``."""
    closed_form = sensitivity / math.sqrt(2 * rho)
    scale = float(
        dp.binary_search_param(
            _gaussian,
            d_in=sensitivity,
            d_out=rho,
            bounds=(closed_form / 2, closed_form * 2),
            T=float,
        )
    )
    if _gaussian(scale).map(sensitivity) > rho:
        raise ConfigError("could not calibrate the padding noise to rho; report this as a bug")
    return scale


def _normal_sf(x: float) -> float:
    """P[N(0, 1) ≥ x], accurate far into the tail (erfc does not cancel)."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def _tail_bound(sigma: float, t: int) -> float:
    """A proven upper bound on P[Z ≥ t], Z the discrete Gaussian of scale σ, for t ≥ 0.

    The normaliser Σ e^(−z²/2σ²) is at least σ√(2π) (Poisson summation). The tail sum is at most
    e^(−t²/2σ²) + ∫_t^∞ (the terms decrease), and, where e^(−u²/2σ²) is convex (u ≥ σ), at most
    ∫_(t−½)^∞ (Hermite–Hadamard on each unit interval) — the near-exact Q((t − ½)/σ).
    """
    bound = _normal_sf(t / sigma) + math.exp(-t * t / (2 * sigma * sigma)) / (sigma * _SQRT_2PI)
    if t - 0.5 >= sigma:
        bound = min(bound, _normal_sf((t - 0.5) / sigma))
    return bound


def _padding_shift(sigma: float, delta_tail: float) -> int:
    """Smallest shift ≥ 0 with the bound on P[Z < −shift] = P[Z ≥ shift + 1] ≤ delta_tail."""
    high = 1
    while _tail_bound(sigma, high + 1) > delta_tail:
        high *= 2
    low = -1  # the bound fails at low (or low is below the range), holds at high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (
            (low, middle) if _tail_bound(sigma, middle + 1) <= delta_tail else (middle, high)
        )
    return high


@dataclass(frozen=True)
class PaddingNoise:
    """Upward padding P = max(0, shift + Z) of counts at ``l2_sensitivity``, Z discrete Gaussian.

    Unclamped, the padding is the ρ-zCDP Gaussian mechanism; the clamp at 0 happens with
    probability at most ``delta_tail`` per padded value, which is what the ledger carries as δ.
    """

    rho: float
    l2_sensitivity: float
    delta_tail: float = 1e-9
    _scale: float = field(init=False, repr=False, compare=False)
    _shift: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", check_positive(self.rho, "rho"))
        sensitivity = check_positive(self.l2_sensitivity, "l2_sensitivity")
        object.__setattr__(self, "l2_sensitivity", sensitivity)
        object.__setattr__(self, "delta_tail", _check_probability(self.delta_tail, "delta_tail"))
        object.__setattr__(self, "_scale", _calibrated_scale(self.rho, sensitivity))
        object.__setattr__(self, "_shift", _padding_shift(self._scale, self.delta_tail))

    @property
    def scale(self) -> float:
        """σ of the discrete Gaussian, the smallest OpenDP's map allows for ρ at the sensitivity."""
        return self._scale

    @property
    def shift(self) -> int:
        """The smallest shift with P[Z < −shift] ≤ delta_tail by a proven tail bound."""
        return self._shift

    @property
    def delta(self) -> float:
        """δ per padded value (= ``delta_tail``); c values clamp with probability ≤ c·δ."""
        return self.delta_tail

    def guarantee(self, count: int, delta: float = DEFAULT_DELTA) -> tuple[float, float]:
        """(ε, δ_total) of padding ``count`` values: ε from ρ at ``delta``, plus the clamp's δ.

        δ_total = delta + (1 + e^ε)·count·delta_tail, the mechanism being within total variation
        count·delta_tail of the ρ-zCDP unclamped one.
        """
        count = _check_count(count, "count", 1)
        epsilon = zcdp_to_epsilon(self.rho, delta)
        return epsilon, delta + (1 + math.exp(epsilon)) * count * self.delta_tail

    def sample(self, count: int) -> npt.NDArray[np.int64]:
        """``count`` independent paddings, all ≥ 0: OpenDP discrete Gaussian + shift, clamped."""
        count = _check_count(count, "count", 0)
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        noise = _gaussian(self.scale, count)(np.zeros(count, dtype=np.int64))
        padding: npt.NDArray[np.int64] = np.maximum(
            np.asarray(noise, dtype=np.int64) + self.shift, 0
        )
        return padding

    def expected(self) -> float:
        """Expected padding, for cost estimates: shift plus an upper bound on the clamped part.

        E[max(0, s + Z)] = s + Σ_{j≥1} P[Z ≥ s + j], and the sum is at most the integral of the
        tail bound from s (it decreases): σ·(φ(x) − x·Q(x)) at x = (s − ½)/σ where the convex
        bound holds, plus Q(s/σ) for the looser one — far below 1 for any useful ``delta_tail``.
        """
        sigma, shift = self.scale, self.shift
        if shift + 0.5 >= sigma:
            x = (shift - 0.5) / sigma
            extra = sigma * (math.exp(-x * x / 2) / _SQRT_2PI - x * _normal_sf(x))
        else:
            x = shift / sigma
            extra = sigma * (math.exp(-x * x / 2) / _SQRT_2PI - x * _normal_sf(x)) + _normal_sf(x)
        return shift + extra
