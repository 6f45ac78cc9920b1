"""Benchmark of utility: one noise pass on the merged sums against noise in every partition.

Crossmesh merges the partitions' encrypted partial sums first and adds DP noise once, to the
merged result (DESIGN §3, A4). The alternative — each partition noising its own partial sum, as a
system must if partials are decrypted or released before they are combined — adds ``P``
independent draws to every released cell. For the same privacy, each draw needs the full scale
(a person's records can sit in any partition, so each partial must protect them on its own), so
the variance of a cell grows from ``Var(Z)`` to ``P·Var(Z)``: the error's standard deviation by
``√P``.

Analytic: ``Var(Z)`` of the discrete Gaussian of scale σ is ``Σ x² e^{-x²/2σ²} / Σ e^{-x²/2σ²}``
(just below σ² for σ ≥ 1); of the discrete Laplace of scale b, ``2e^{-1/b} / (1 − e^{-1/b})²``.
Measured: OpenDP's exact samplers (the ones releases use) draw ``P × cells`` values; the
variance of the per-cell sums is compared with the analytic ``P·Var(Z)``.

The mechanism is calibrated as a one-month visit map of the Nanki-Shirahama region at ε = 1 is:
3 days after arrival, one trip, the mesh block's cap of cells per day. Run::

    .venv/bin/python -m bench.bench_utility [--cells 20000]
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from bench.common import machine
from engine.dp import ContributionBounds, NoiseMechanism, PrivacyCost, mechanism_for
from engine.views import view_family

__all__ = ["analytic_variance", "measured_variance", "run"]

PARTITIONS = (1, 4, 16, 64)


def analytic_variance(mechanism: NoiseMechanism) -> float:
    """The exact variance of one noise draw of ``mechanism``."""
    scale = mechanism.scale
    if mechanism.kind == "laplace":
        q = math.exp(-1 / scale)
        return 2 * q / (1 - q) ** 2
    reach = int(12 * scale) + 12  # the tail beyond 12σ is far below float precision
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    weights = np.exp(-(x**2) / (2 * scale**2))
    return float((x**2 * weights).sum() / weights.sum())


def measured_variance(mechanism: NoiseMechanism, partitions: int, cells: int) -> float:
    """The sample variance of per-cell sums of ``partitions`` independent OpenDP draws."""
    draws = mechanism.sample(partitions * cells).reshape(partitions, cells)
    return float(draws.sum(axis=0).var(ddof=1))


def visit_map_mechanism(kind: str, epsilon: float = 1.0) -> NoiseMechanism:
    """The noise a one-month Nanki-Shirahama visit map at ``epsilon`` is released with."""
    cap = view_family("region:nanki_shirahama").block("mesh").cap
    bounds = ContributionBounds(3, 1, cap)
    return mechanism_for(PrivacyCost.from_epsilon(epsilon, mechanism=kind), bounds)  # type: ignore[arg-type]


def run(cells: int) -> dict[str, Any]:
    """Per mechanism and partition count: analytic and measured variances and their ratio."""
    result: dict[str, Any] = {"cells": cells}
    for kind in ("gaussian", "laplace"):
        mechanism = visit_map_mechanism(kind)
        single = analytic_variance(mechanism)
        rows = []
        for partitions in PARTITIONS:
            measured = measured_variance(mechanism, partitions, cells)
            rows.append(
                {
                    "partitions": partitions,
                    "analytic_variance": round(partitions * single, 2),
                    "measured_variance": round(measured, 2),
                    "measured_over_one_pass": round(measured / single, 2),
                    "std_error": round(math.sqrt(measured), 2),
                }
            )
        result[kind] = {
            "scale": round(mechanism.scale, 3),
            "ci95_one_pass": mechanism.ci95,
            "one_pass_variance": round(single, 2),
            "per_partition_noise": rows,
        }
    return result


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20_000, help="cells drawn per partition count")
    args = parser.parse_args()
    print(json.dumps({"machine": machine(), **run(args.cells)}, indent=2))


if __name__ == "__main__":
    main()
