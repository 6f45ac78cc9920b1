"""Differential privacy for Crossmesh releases (DESIGN §5), as small modules:

* :mod:`~engine.dp.bounds` — contribution bounds and the L1/L2 sensitivities derived from them;
* :mod:`~engine.dp.accounting` — ρ (zCDP) ⇄ (ε, δ) and pure ε ⇒ ρ, :class:`PrivacyCost`;
* :mod:`~engine.dp.mechanisms` — OpenDP's discrete Gaussian / discrete Laplace, calibrated to a
  cost, sampled as exact integer noise on a zero vector;
* :mod:`~engine.dp.intervals` — exact 95 % half-widths of that noise;
* :mod:`~engine.dp.sums` — the exact law of a sum of noise draws (FFT convolution);
* :mod:`~engine.dp.publication` — the rule deciding which values are shown: interval excludes 0,
  false discoveries controlled (Benjamini–Hochberg), an optional floor;
* :mod:`~engine.dp.hierarchy` — adaptive resolution: the ρ split between a map's two mesh levels,
  the parents' sensitivity, the consistent two-level estimator and the drawn partition;
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
from engine.dp.hierarchy import (
    PARENT_SHARE,
    LevelMechanisms,
    Reconciled,
    drawn_partition,
    level_mechanisms,
    mark_drawn,
    parent_bounds,
    reach_per_record,
    reconcile,
    round_consistently,
)
from engine.dp.intervals import CI_LEVEL, coverage_probability, half_width
from engine.dp.mechanisms import NoiseMechanism, calibrate, mechanism_for
from engine.dp.publication import DEFAULT_FLOOR, FALSE_DISCOVERY_RATE, RULE, Publication, publish
from engine.dp.release import RELEASE_FORMAT, Label, Release, build_release
from engine.dp.side_channels import DummyCoins, PaddingNoise, dummy_count
from engine.dp.sums import (
    NoiseLaw,
    difference_half_width,
    noise_law,
    normal_law,
    sum_half_width,
)

__all__ = [
    "CI_LEVEL",
    "DEFAULT_DELTA",
    "DEFAULT_FLOOR",
    "FALSE_DISCOVERY_RATE",
    "MECHANISM_KINDS",
    "MESH_LABEL",
    "MUNICIPALITY_LABEL",
    "PARENT_SHARE",
    "RELEASE_FORMAT",
    "RULE",
    "ContributionBounds",
    "DummyCoins",
    "GeometryFor",
    "Label",
    "LevelMechanisms",
    "MechanismKind",
    "NoiseLaw",
    "NoiseMechanism",
    "PaddingNoise",
    "PrivacyCost",
    "Publication",
    "Reconciled",
    "Release",
    "build_release",
    "bun_steinke_epsilon",
    "calibrate",
    "coverage_probability",
    "difference_half_width",
    "drawn_partition",
    "dummy_count",
    "epsilon_to_zcdp",
    "half_width",
    "level_mechanisms",
    "mark_drawn",
    "mechanism_for",
    "metadata_path",
    "noise_law",
    "normal_law",
    "parent_bounds",
    "publish",
    "pure_epsilon_to_zcdp",
    "reach_per_record",
    "reconcile",
    "release_geojson",
    "release_metadata",
    "round_consistently",
    "sum_half_width",
    "write_release",
    "zcdp_to_epsilon",
]
