"""ρ as people read it: (ε, δ) at the project's default δ, when the accounting module is present.

The ledger accounts in ρ (zero-concentrated DP), because ρ adds up exactly under composition; ε of
a sum is not the sum of the ε's. People, though, are shown ε and δ. The conversion
(ε = ρ + 2·sqrt(ρ·ln(1/δ))) and the default δ belong to :mod:`engine.dp.accounting`; this module
only looks them up, so there is one definition of both. It expects ``rho_to_epsilon(rho, delta)``
and ``DEFAULT_DELTA``; when they are not there, the ledger shows and logs ρ alone rather than a
second, possibly diverging, formula.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["EpsilonDelta", "describe_rho", "epsilon_at_default_delta"]

_ACCOUNTING = "engine.dp.accounting"


@dataclass(frozen=True)
class EpsilonDelta:
    """An (ε, δ) pair for display."""

    epsilon: float
    delta: float


def _converter() -> tuple[Callable[[float, float], float], float] | None:
    try:
        accounting = importlib.import_module(_ACCOUNTING)
    except ImportError:
        return None
    convert = getattr(accounting, "rho_to_epsilon", None)
    delta = getattr(accounting, "DEFAULT_DELTA", None)
    if not callable(convert) or not isinstance(delta, float):
        return None
    return convert, delta


def epsilon_at_default_delta(rho: float) -> EpsilonDelta | None:
    """(ε, δ) for ``rho`` at the default δ, or None without the accounting module."""
    found = _converter()
    if found is None:
        return None
    convert, delta = found
    epsilon = 0.0 if rho <= 0 else float(convert(rho, delta))
    return EpsilonDelta(epsilon, delta)


def describe_rho(rho: float) -> str:
    """``ρ=0.05 (ε≈1.7 at δ=1e-06)``, or ``ρ=0.05`` without the accounting module."""
    shown = epsilon_at_default_delta(rho)
    if shown is None:
        return f"ρ={rho:.6g}"
    return f"ρ={rho:.6g} (ε≈{shown.epsilon:.3g} at δ={shown.delta:.0e})"
