"""Noise subtraction: each party knows its own noise, and subtracting it must not give the truth.

A curious airline drew ``N_A`` and decrypted exact + ``N_C``; a curious carrier drew ``N_C`` and
sees the published value. Each strips its own noise from what it holds; what is left must still
differ from the exact sums by the *other* party's noise, at the mechanism's full scale.

The publication rule withholds most cells of the tiny world (their intervals include 0), which
only helps the defender; so the carrier is played at its strongest, as if every value had been
published: it is given exact + ``N_C`` + ``N_A`` for every cell (the values the rule is applied
to), and the shown values are checked to be exactly those.

Statistics (one visit-map release: 3 day offsets × 384 cells = 1,152 draws of each noise, σ ≈ 19;
the spread is measured on all 1,152 draws): the sample standard deviation of n
draws of a discrete Gaussian of scale σ ≥ 2 has a relative standard error ≈ 1/√(2n) = 2.1 %, so
the ±12 % tolerance is 5.8 standard errors (false failure < 1e-8 per check). The fraction of
non-zero residuals is compared with 1 − 2·P[Z = 0] (P[Z = 0] ≤ 1/(σ√(2π)) ≈ 2 %), more than 6
standard errors below its mean; the correlation bound 5/√n fails with probability < 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from engine.dp import PrivacyCost, mechanism_for
from engine.queries.shapes import shape_of

TOLERANCE = 0.12


@dataclass(frozen=True)
class Observed:
    """One release and everything each party held, plus the truth."""

    exact: np.ndarray  # groups × slots, from the omniscient referee
    decrypted: np.ndarray  # what the airline decrypted
    carrier_noise: np.ndarray  # N_C, as the carrier drew it
    airline_noise: np.ndarray  # N_A, as the airline drew it
    published: np.ndarray  # the release's values, −1 where withheld
    noisy: np.ndarray  # exact + N_C + N_A before the rule: as if every value were shown
    scale: float  # σ of the mechanism each party calibrated
    rho: float  # ρ the release is charged
    worst_l2_squared: int  # the largest squared L2 norm one real person adds to the sums
    bound_l2_squared: int  # the squared L2 sensitivity the noise is calibrated to


@pytest.fixture(scope="module")
def observed(
    kit: ModuleType, spy: Any, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Observed:
    """One visit-map release of SHM arrivals, Aug 1–12, ε = 1."""
    session = kit.open_world(tmp_path_factory.mktemp("noise"), tiny_dir)
    spec = kit.visit_spec(threshold=0)
    release = session.release(spec)
    shape = shape_of(spec)
    cost = PrivacyCost.from_epsilon(spec.epsilon, spec.delta, spec.mechanism)
    scale = mechanism_for(cost, shape.bounds).scale
    exact = kit.exact_sums(session, spec)
    worst = _worst_person(kit, session, spec)
    (decrypted,), (n_c,), (n_a,) = spy.decrypted, spy.noise["carrier"], spy.noise["airline"]
    published = np.array([v if v is not None else -1 for v in release.values], dtype=np.int64)
    session.close()
    return Observed(
        exact, decrypted, n_c.reshape(exact.shape), n_a.reshape(exact.shape), published,
        decrypted + n_a.reshape(exact.shape), scale,
        cost.rho, worst, shape.bounds.l2_squared,
    )  # fmt: skip


def _worst_person(kit: ModuleType, session: Any, spec: Any) -> int:
    """max over people (phones) of ‖their contribution to the exact sums‖₂², by the referee."""
    records = kit.scope_records(session, spec)
    people: dict[str, dict[tuple[int, int], int]] = {}
    for number, group in enumerate(kit.cohort_points(session, spec)):
        for point, (phone, _period) in group.items():
            cells = people.setdefault(phone, {})
            for slot in records.get(point, ()):
                cells[number, int(slot)] = cells.get((number, int(slot)), 0) + 1
    return max(sum(v * v for v in cells.values()) for cells in people.values())


def _spread_ok(residual: np.ndarray, scale: float) -> bool:
    return abs(float(np.std(residual)) / scale - 1) < TOLERANCE


def _zero_mass(scale: float) -> float:
    return 1 / (scale * np.sqrt(2 * np.pi)) + 1e-6


def test_noise_covers_the_worst_real_person(observed: Observed) -> None:
    """Each party's σ meets ρ = Δ₂²/(2σ²) for a Δ₂ that bounds every real person's contribution."""
    assert 0 < observed.worst_l2_squared <= observed.bound_l2_squared
    assert observed.bound_l2_squared / (2 * observed.scale**2) <= observed.rho * (1 + 1e-9)


def test_curious_airline_keeps_the_carriers_noise(observed: Observed) -> None:
    """The airline's decrypted values (or published − N_A) differ from truth by N_C at full σ."""
    held = observed.decrypted
    residual = (held - observed.exact).ravel()
    # What the airline holds is exact + the carrier's noise, nothing less.
    assert np.array_equal(residual, observed.carrier_noise.ravel())
    # Stripping its own noise from the published values gives it no more than that.
    shown = observed.published.ravel() >= 0
    stripped = observed.published.ravel() - observed.airline_noise.ravel()
    assert np.array_equal(stripped[shown], held.ravel()[shown])
    # ...which misses the truth in most cells, with the spread of the mechanism.
    assert (residual != 0).mean() > 1 - 2 * _zero_mass(observed.scale)
    assert _spread_ok(residual, observed.scale), (np.std(residual), observed.scale)
    assert abs(float(residual.mean())) < 5 * observed.scale / np.sqrt(residual.size)


def test_curious_carrier_keeps_the_airlines_noise(observed: Observed) -> None:
    """The carrier's published − N_C differs from truth by N_A (independent of N_C), at full σ."""
    noisy, published = observed.noisy.ravel(), observed.published.ravel()
    shown = published >= 0
    assert np.array_equal(published[shown], noisy[shown]), "shown values are the noisy ones"
    estimate = noisy - observed.carrier_noise.ravel()  # every value, as if all were shown
    residual = estimate - observed.exact.ravel()
    assert np.array_equal(residual, observed.airline_noise.ravel())
    assert (residual != 0).mean() > 1 - 2 * _zero_mass(observed.scale)
    assert _spread_ok(observed.airline_noise, observed.scale)
    # Drawn independently of the carrier's noise: the carrier cannot predict it (|r| < 5/√n).
    n_a, n_c = observed.airline_noise.ravel(), observed.carrier_noise.ravel()
    assert abs(float(np.corrcoef(n_a, n_c)[0, 1])) < 5 / np.sqrt(n_a.size)
