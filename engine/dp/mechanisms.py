"""Noise mechanisms: OpenDP's exact integer samplers, calibrated to a privacy target.

Why OpenDP, and why integers: the noise is added to Paillier-encrypted integer sums (DESIGN §5),
so it must be an integer, and floating-point noise leaks through its rounding pattern (Mironov
2012). OpenDP's discrete Gaussian and discrete Laplace samplers draw *exactly* from the integer
distributions (pmf ∝ exp(−x²/2σ²) and ∝ exp(−|x|/b)) with exact arithmetic on a
cryptographically secure random source — no float is ever sampled, and neither ``random`` nor
``numpy.random`` is involved. The price is that the draws cannot be seeded; tests are statistical.

Map of the module:

* :class:`NoiseMechanism` — a kind (``"gaussian"``, the default, under zCDP; ``"laplace"`` for pure
  ε), a scale and the :class:`~engine.dp.bounds.ContributionBounds` it protects. Its sensitivity
  (L2 or L1) and its cost (ρ or ε) are *derived*: the cost is the OpenDP measurement's own
  ``map(sensitivity)``, so it can never be typed in wrong.
* :meth:`NoiseMechanism.sample` — applies the measurement to a zero vector of the release's length:
  the result is the noise alone, ready to be encrypted and added under encryption.
* :func:`calibrate` and :func:`mechanism_for` — the smallest scale whose cost stays within a target
  ρ or ε, found by ``opendp.mod.binary_search_param`` over the same measurement.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.dp._opendp import INTEGER_TYPE, dp
from engine.dp.accounting import (
    DEFAULT_DELTA,
    MechanismKind,
    PrivacyCost,
    check_kind,
    check_positive,
    pure_epsilon_to_zcdp,
    zcdp_to_epsilon,
)
from engine.dp.bounds import ContributionBounds
from engine.dp.intervals import CI_LEVEL, half_width
from foundation.errors import ConfigError, InputError

__all__ = ["NoiseMechanism", "calibrate", "mechanism_for"]


def _measurement(kind: MechanismKind, scale: float, length: int | None) -> Any:
    """The OpenDP measurement adding ``kind`` noise of ``scale`` to an int64 vector."""
    domain = dp.vector_domain(dp.atom_domain(T=INTEGER_TYPE), size=length)
    if kind == "gaussian":
        # A float L2 metric, because the L2 sensitivity is irrational in general (bounds.py).
        return dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale=scale)
    return dp.m.make_laplace(domain, dp.l1_distance(T=INTEGER_TYPE), scale=scale)


def _sensitivity(kind: MechanismKind, bounds: ContributionBounds) -> float | int:
    """The distance OpenDP is told one person can move the vector: L2 (gaussian) or L1."""
    return bounds.l2 if kind == "gaussian" else bounds.l1


@dataclass(frozen=True)
class NoiseMechanism:
    """A discrete Gaussian or discrete Laplace of ``scale`` protecting ``bounds``.

    ``sensitivity`` and ``cost`` are computed, not passed: ``cost`` is ρ (zCDP) for
    ``"gaussian"`` and ε (pure DP) for ``"laplace"``, as OpenDP's privacy map states it.
    """

    kind: MechanismKind
    scale: float
    bounds: ContributionBounds
    sensitivity: float | int = field(init=False)
    cost: float = field(init=False)

    def __post_init__(self) -> None:
        check_kind(self.kind)
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))
        if not isinstance(self.bounds, ContributionBounds):
            raise InputError("a noise mechanism needs ContributionBounds", field="bounds")
        sensitivity = _sensitivity(self.kind, self.bounds)
        object.__setattr__(self, "sensitivity", sensitivity)
        # The privacy map does not depend on the vector's length: the sensitivity is of the
        # whole vector, so any length gives the same cost.
        cost = _measurement(self.kind, self.scale, None).map(sensitivity)
        object.__setattr__(self, "cost", float(cost))

    @property
    def tail_bound(self) -> int:
        """A bound |noise| exceeds with negligible probability: 12 σ (< 1e-32), 40 b (< 1e-17).

        Used where a value must fit a fixed width (packed lanes) or be checked for plausibility
        (an amplified sum); never to clip the noise itself.
        """
        return int(self.scale * (12 if self.kind == "gaussian" else 40)) + 1

    @property
    def ci95(self) -> int:
        """Half-width k of the exact 95 % interval of one noise value: P(|noise| ≤ k) ≥ 0.95."""
        return half_width(self.kind, self.scale, CI_LEVEL)

    def sample(self, length: int) -> npt.NDArray[np.int64]:
        """Draw ``length`` independent integer noise values (OpenDP's exact discrete sampler)."""
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise InputError(f"noise length must be a non-negative integer, not {length!r}")
        if length == 0:
            return np.zeros(0, dtype=np.int64)
        measurement = _measurement(self.kind, self.scale, length)
        noise = measurement(np.zeros(length, dtype=np.int64))
        return np.asarray(noise, dtype=np.int64)

    def privacy_cost(self, delta: float = DEFAULT_DELTA) -> PrivacyCost:
        """What this mechanism spends: ρ and its (ε, δ) at ``delta``, or pure ε and ρ = ε²/2."""
        if self.kind == "laplace":
            return PrivacyCost(pure_epsilon_to_zcdp(self.cost), self.cost, 0.0, "laplace")
        return PrivacyCost(self.cost, zcdp_to_epsilon(self.cost, delta), float(delta), "gaussian")


def calibrate(kind: MechanismKind, bounds: ContributionBounds, budget: float) -> NoiseMechanism:
    """Return the mechanism of smallest scale whose cost (ρ or ε) is at most ``budget``.

    The search is deterministic in its inputs, so its result is kept: both parties calibrate
    every query, and the search is the slow part (≈ 0.1 s).
    """
    return _calibrated(check_kind(kind), bounds, check_positive(budget, "budget"))


@functools.lru_cache(maxsize=256)
def _calibrated(kind: MechanismKind, bounds: ContributionBounds, budget: float) -> NoiseMechanism:
    kind = check_kind(kind)
    budget = check_positive(budget, "rho" if kind == "gaussian" else "epsilon")
    d_in = _sensitivity(kind, bounds)
    closed_form = d_in / math.sqrt(2 * budget) if kind == "gaussian" else d_in / budget
    # The search brackets the closed form (σ = Δ₂/√(2ρ), b = Δ₁/ε) but trusts only the map.
    scale = dp.binary_search_param(
        lambda candidate: _measurement(kind, candidate, None),
        d_in=d_in,
        d_out=budget,
        bounds=(closed_form / 2, closed_form * 2),
        T=float,
    )
    mechanism = NoiseMechanism(kind, float(scale), bounds)
    if mechanism.cost > budget:
        raise ConfigError(f"could not calibrate {kind} noise to the budget; report this as a bug")
    return mechanism


def mechanism_for(cost: PrivacyCost, bounds: ContributionBounds) -> NoiseMechanism:
    """Return the mechanism a :class:`PrivacyCost` pays for: within its ρ (gaussian) or ε."""
    return calibrate(cost.mechanism, bounds, cost.budget)
