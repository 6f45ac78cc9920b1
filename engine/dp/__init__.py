"""Differential privacy for Crossmesh releases (DESIGN §5), as small modules:

* :mod:`~engine.dp.bounds` — contribution bounds and the L1/L2 sensitivities derived from them;
* :mod:`~engine.dp.accounting` — ρ (zCDP) ⇄ (ε, δ) and pure ε ⇒ ρ, :class:`PrivacyCost`;
* :mod:`~engine.dp.mechanisms` — OpenDP's discrete Gaussian / discrete Laplace, calibrated to a
  cost, sampled as exact integer noise on a zero vector;
* :mod:`~engine.dp.intervals` — exact 95 % half-widths of that noise;
* :mod:`~engine.dp.postprocess` — clamp at zero, suppress below a threshold;
* :mod:`~engine.dp.release` — the frozen :class:`Release` and :func:`build_release`;
* :mod:`~engine.dp.side_channels` — the dummy coins and padding that hide protocol v2's match
  counts, scope sizes and group sizes, with their exact accounting;
* :mod:`~engine.dp.export` — CSV, Parquet, GeoJSON and JSON files with metadata beside them.

The typical path: ``cost = PrivacyCost.from_epsilon(ε)`` → the ledger reserves ``cost.rho`` →
``mechanism = mechanism_for(cost, bounds)`` → ``noise = mechanism.sample(length)`` (encrypted and
added by the protocol) → decrypt → ``build_release(noisy, mechanism, cost, …)`` →
``release.write(path)``. Callers import from here; the modules' other names are internal.
"""

from __future__ import annotations

from engine.dp.accounting import (
    DEFAULT_DELTA,
    MECHANISM_KINDS,
    MechanismKind,
    PrivacyCost,
    bun_steinke_epsilon,
    epsilon_to_zcdp,
    pure_epsilon_to_zcdp,
    zcdp_to_epsilon,
)
from engine.dp.bounds import ContributionBounds
from engine.dp.export import (
    MESH_LABEL,
    MUNICIPALITY_LABEL,
    GeometryFor,
    metadata_path,
    release_geojson,
    release_metadata,
    write_release,
)
from engine.dp.intervals import CI_LEVEL, coverage_probability, half_width
from engine.dp.mechanisms import NoiseMechanism, calibrate, mechanism_for
from engine.dp.postprocess import DEFAULT_THRESHOLD, PostProcessed, postprocess
from engine.dp.release import RELEASE_FORMAT, Label, Release, build_release
from engine.dp.side_channels import DummyCoins, PaddingNoise, dummy_count

__all__ = [
    "CI_LEVEL",
    "DEFAULT_DELTA",
    "DEFAULT_THRESHOLD",
    "MECHANISM_KINDS",
    "MESH_LABEL",
    "MUNICIPALITY_LABEL",
    "RELEASE_FORMAT",
    "ContributionBounds",
    "DummyCoins",
    "GeometryFor",
    "Label",
    "MechanismKind",
    "NoiseMechanism",
    "PaddingNoise",
    "PostProcessed",
    "PrivacyCost",
    "Release",
    "build_release",
    "bun_steinke_epsilon",
    "calibrate",
    "coverage_probability",
    "dummy_count",
    "epsilon_to_zcdp",
    "half_width",
    "mechanism_for",
    "metadata_path",
    "postprocess",
    "pure_epsilon_to_zcdp",
    "release_geojson",
    "release_metadata",
    "write_release",
    "zcdp_to_epsilon",
]
