"""Privacy accounting: what a release costs, in the units people read and the units we add up.

People read (ε, δ)-DP. Adding up the costs of many Gaussian releases in (ε, δ) is loose, so the
ledger accounts in ρ of zero-concentrated DP (zCDP), where composition is plain addition, and
converts to (ε, δ) only to show a total. The conversions:

* ρ-zCDP ⇒ (ε, δ)-DP — :func:`zcdp_to_epsilon` uses OpenDP's own conversion
  (``make_zCDP_to_approxDP``), which implements Canonne, Kamath & Steinke 2020 (§2.3, "The
  Discrete Gaussian for Differential Privacy"); it is tighter than the textbook bound of Bun &
  Steinke 2016, ε = ρ + 2·√(ρ·ln(1/δ)), which :func:`bun_steinke_epsilon` gives for comparison.
* (ε, δ) ⇒ ρ — :func:`epsilon_to_zcdp`, the largest ρ whose conversion stays within ε, found by
  OpenDP's binary search over the same conversion.
* pure ε ⇒ ρ — :func:`pure_epsilon_to_zcdp`, ρ = ε²/2 (Bun & Steinke 2016, Proposition 1.4), so
  discrete-Laplace releases can be charged to the same ρ ledger.

:class:`PrivacyCost` is the frozen value that travels with a release and into the ledger. The
mechanism kinds live here too (:data:`MECHANISM_KINDS`), because a kind decides its accounting:
``"gaussian"`` is charged in ρ (zCDP), ``"laplace"`` in pure ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal, cast, get_args

from engine.dp._opendp import INTEGER_TYPE, dp
from engine.dp.bounds import sqrt_rounded_up
from foundation.errors import InputError

__all__ = [
    "DEFAULT_DELTA",
    "MECHANISM_KINDS",
    "MechanismKind",
    "PrivacyCost",
    "bun_steinke_epsilon",
    "epsilon_to_zcdp",
    "pure_epsilon_to_zcdp",
    "zcdp_to_epsilon",
]

DEFAULT_DELTA = 1e-6  # well below 1/(number of people), as (ε, δ)-DP asks for
MechanismKind = Literal["gaussian", "laplace"]
MECHANISM_KINDS: tuple[MechanismKind, ...] = get_args(MechanismKind)


def check_kind(kind: object) -> MechanismKind:
    """Return ``kind`` as a :data:`MechanismKind`, or raise :class:`InputError`."""
    if kind not in MECHANISM_KINDS:
        raise InputError(f"mechanism must be one of {', '.join(MECHANISM_KINDS)}, not {kind!r}")
    return cast(MechanismKind, kind)


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, or raise :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be a number, not {value!r}", field=name)
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be positive and finite, not {value!r}", field=name)
    return float(value)


def _check_delta(delta: object) -> float:
    """δ of a zCDP conversion must lie strictly between 0 and 1."""
    value = check_positive(delta, "delta")
    if value >= 1:
        raise InputError(f"delta must be below 1, not {delta!r}", field="delta")
    return value


@cache
def _unit_gaussian() -> Any:
    """A discrete Gaussian of scale 1 cast to (ε, δ): at distance d it is (d²/2)-zCDP."""
    gaussian = dp.m.make_gaussian(
        dp.atom_domain(T=INTEGER_TYPE), dp.absolute_distance(T=float), scale=1.0
    )
    return dp.c.make_zCDP_to_approxDP(gaussian)


@lru_cache(maxsize=1024)
def zcdp_to_epsilon(rho: float, delta: float = DEFAULT_DELTA) -> float:
    """Return the ε for which ρ-zCDP implies (ε, δ)-DP, by OpenDP's (CKS20) conversion."""
    rho = check_positive(rho, "rho")
    delta = _check_delta(delta)
    # At distance √(2ρ), rounded up, the unit Gaussian is (at least) ρ-zCDP, so the ε read off
    # its privacy profile is OpenDP's conversion of ρ, never an understatement.
    profile = _unit_gaussian().map(sqrt_rounded_up(2 * rho))
    return float(profile.epsilon(delta))


def bun_steinke_epsilon(rho: float, delta: float = DEFAULT_DELTA) -> float:
    """Return ε = ρ + 2·√(ρ·ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3), looser than OpenDP's."""
    rho = check_positive(rho, "rho")
    delta = _check_delta(delta)
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


@lru_cache(maxsize=1024)
def epsilon_to_zcdp(epsilon: float, delta: float = DEFAULT_DELTA) -> float:
    """Return the largest ρ such that ρ-zCDP implies (ε, δ)-DP under :func:`zcdp_to_epsilon`."""
    epsilon = check_positive(epsilon, "epsilon")
    delta = _check_delta(delta)
    # The inverse of the looser closed form always passes (halved against rounding), so the
    # search starts from a valid ρ and only has to find the upper end.
    log_inverse = math.log(1 / delta)
    floor = (math.sqrt(log_inverse + epsilon) - math.sqrt(log_inverse)) ** 2 / 2
    rho = dp.binary_search(
        lambda candidate: zcdp_to_epsilon(candidate, delta) <= epsilon,
        bounds=(floor, None),
        T=float,
    )
    return float(rho)


def pure_epsilon_to_zcdp(epsilon: float) -> float:
    """Return ρ = ε²/2: an ε-DP mechanism is (ε²/2)-zCDP (Bun & Steinke 2016, Prop. 1.4)."""
    epsilon = check_positive(epsilon, "epsilon")
    return epsilon * epsilon / 2


@dataclass(frozen=True)
class PrivacyCost:
    """What one release spends: ρ for the ledger, (ε, δ) for people, and the mechanism kind.

    For ``"gaussian"`` releases ρ is what is charged and (ε, δ) what it guarantees; for
    ``"laplace"`` releases ε is pure (δ = 0) and ρ = ε²/2 is its charge in the zCDP ledger.
    """

    rho: float
    epsilon: float
    delta: float
    mechanism: MechanismKind

    def __post_init__(self) -> None:
        check_kind(self.mechanism)
        check_positive(self.rho, "rho")
        check_positive(self.epsilon, "epsilon")
        if self.mechanism == "laplace":
            self._check_pure()
        else:
            _check_delta(self.delta)

    def _check_pure(self) -> None:
        """A pure-ε cost has δ = 0 and ρ = ε²/2."""
        if self.delta != 0:
            raise InputError("a laplace (pure ε) cost has delta 0", field="delta")
        if not math.isclose(self.rho, pure_epsilon_to_zcdp(self.epsilon), rel_tol=1e-12):
            raise InputError("a laplace (pure ε) cost has rho = epsilon²/2", field="rho")

    @classmethod
    def from_epsilon(
        cls,
        epsilon: float,
        delta: float = DEFAULT_DELTA,
        mechanism: MechanismKind = "gaussian",
    ) -> PrivacyCost:
        """The cost of a release people asked for in (ε, δ).

        For ``"gaussian"`` ρ is the largest that still guarantees (ε, δ); for ``"laplace"``,
        which is pure ε-DP and spends no δ, ``delta`` is not used and the cost records δ = 0.
        """
        kind = check_kind(mechanism)
        epsilon = check_positive(epsilon, "epsilon")
        if kind == "laplace":
            return cls(pure_epsilon_to_zcdp(epsilon), epsilon, 0.0, kind)
        return cls(epsilon_to_zcdp(epsilon, delta), epsilon, float(delta), kind)

    @classmethod
    def from_rho(cls, rho: float, delta: float = DEFAULT_DELTA) -> PrivacyCost:
        """The cost of a Gaussian release charged ρ, with the ε it guarantees at ``delta``."""
        rho = check_positive(rho, "rho")
        return cls(rho, zcdp_to_epsilon(rho, delta), float(delta), "gaussian")

    @property
    def budget(self) -> float:
        """What the mechanism's own privacy map is held to: ρ (gaussian) or ε (laplace)."""
        return self.epsilon if self.mechanism == "laplace" else self.rho
