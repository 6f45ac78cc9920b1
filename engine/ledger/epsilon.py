"""ρ as people read it: (ε, δ) at the project's default δ.

The ledger accounts in ρ (zero-concentrated DP), because ρ adds up exactly under composition; ε of
a sum is not the sum of the ε's. People, though, are shown ε and δ. The conversion and the default
δ belong to :mod:`engine.dp.accounting` (OpenDP's ρ ⇒ (ε, δ), tighter than ρ + 2·√(ρ·ln(1/δ)));
this module only applies them, so there is one definition of both, and caches the result because
the ledger converts the same few costs over and over, some of them while holding its write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from engine.dp.accounting import DEFAULT_DELTA, zcdp_to_epsilon

__all__ = ["EpsilonDelta", "describe_rho", "epsilon_at_default_delta"]


@dataclass(frozen=True)
class EpsilonDelta:
    """An (ε, δ) pair for display."""

    epsilon: float
    delta: float


@lru_cache(maxsize=1024)
def epsilon_at_default_delta(rho: float) -> EpsilonDelta:
    """(ε, δ) that ρ-zCDP guarantees at the default δ; ρ = 0 is ε = 0."""
    epsilon = 0.0 if rho <= 0 else zcdp_to_epsilon(rho, DEFAULT_DELTA)
    return EpsilonDelta(epsilon, DEFAULT_DELTA)


def describe_rho(rho: float) -> str:
    """``ρ=0.05 (ε≈1.47 at δ=1e-06)``."""
    shown = epsilon_at_default_delta(rho)
    return f"ρ={rho:.6g} (ε≈{shown.epsilon:.3g} at δ={shown.delta:.0e})"
