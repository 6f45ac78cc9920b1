"""Statistics that tell the truth: what the publication rule shows, measured against the exact sums.

For every query kind, at ε = 1 on the demo world, this benchmark

1. runs the real protocol once with both parties' noise switched to zero (in this process only)
   and catches the exact projected rows — the values *before* noise, the truth the release
   estimates — just before the airline would assemble the release; the release is then aborted,
   so nothing exact is ever stored (the reservation is recorded as abandoned);
2. draws ``--draws`` (default 200; more for releases of few values, so that each coverage
   rests on ≥ 20,000 values) independent noise realisations with OpenDP's samplers — per
   row the sum of its draws (two per slot under protocol v2: the carrier's and the airline's;
   one for the carrier-only population) — and applies the publication rule of
   :mod:`engine.dp.publication` (interval excludes 0, Benjamini–Hochberg at 2.5 %);
3. reports, averaged over the draws: the share of shown values whose truth is 0 (goal ≤ 5 %), the
   median relative error of shown values, the share of the true total that falls in shown
   places, and the coverage of the stated 95 % intervals — over every value before the rule
   (goal 94–96 %) and over the shown values only (selection makes this lower near the cut-off);
4. does the same for v1's rule (clamp, show if ≥ 10, half-width √(2k) × one draw's) beside it.

Adding the noise to exact sums here is the same in law as adding it under encryption (the
Paillier sums are exact and the noise additive). Run::

    .venv/bin/python -m bench.bench_statistics --data /tmp/bench-demo --workspace WS [--markdown]

on a scratch workspace (prepared with ``crossmesh prepare``): it raises that workspace's budgets.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd

import engine.parties.airline as airline_module
import engine.parties.carrier as carrier_module
from bench.common import machine, raise_budgets
from engine.dp import NoiseMechanism, PrivacyCost, noise_law, publish
from engine.queries import QuerySpec
from engine.service import CrossmeshService

MONTH = {"start": "2025-08-01", "end": "2025-08-31", "epsilon": 1.0}
OLD_THRESHOLD = 10


class _Caught(Exception):
    """Raised after the exact rows are caught: the release must not be committed."""


@dataclass(frozen=True)
class Exact:
    """The exact rows of one release and the noise they would carry."""

    kind: str
    truth: np.ndarray
    draws: np.ndarray  # noise draws per row
    mechanism: NoiseMechanism


def _specs(data: Path) -> dict[str, QuerySpec]:
    furusato = pd.read_csv(data / "truth" / "furusato.csv", dtype=str)
    donors = furusato[(furusato["cohort"] == "donor") & (furusato["month_offset"] == "0")]
    town = str(
        donors.assign(n=donors["cohort_size"].astype(int))
        .sort_values("n")
        .iloc[-1]["municipality_code"]
    )
    return {
        "visit-map": QuerySpec(kind="visit-map", airport="SHM", **MONTH),  # type: ignore[arg-type]
        "flows": QuerySpec(kind="flows", airport="CTS", **MONTH),  # type: ignore[arg-type]
        "profile": QuerySpec(kind="profile", airport="FUK", **MONTH),  # type: ignore[arg-type]
        "hourly": QuerySpec(kind="hourly", airport="SHM", days=2, **MONTH),  # type: ignore[arg-type]
        "repeat": QuerySpec(kind="repeat", airport="SHM", **MONTH),  # type: ignore[arg-type]
        "hokkaido": QuerySpec(kind="hokkaido", **MONTH),  # type: ignore[arg-type]
        "furusato": QuerySpec(kind="furusato", municipality=town, months_after=0, **MONTH),  # type: ignore[arg-type]
        "preboarding": QuerySpec(kind="preboarding", airport="HND", **MONTH),  # type: ignore[arg-type]
        "population": QuerySpec(kind="population", region="nanki_shirahama", **MONTH),  # type: ignore[arg-type]
    }


@contextmanager
def _catching() -> Iterator[dict[str, Any]]:
    """Zero noise, and the exact rows caught where either party would build its release."""
    caught: dict[str, Any] = {}

    def airline_assemble(rows: Any, mechanism: Any, cost: Any, spec: Any) -> Any:
        caught.update(values=rows.values, draws=[2 * s for s in rows.summed], mechanism=mechanism)
        raise _Caught

    def carrier_build(noisy: Any, mechanism: Any, cost: Any, **_: Any) -> Any:
        caught.update(values=list(noisy), draws=[1] * len(list(noisy)), mechanism=mechanism)
        raise _Caught

    def zero(self: NoiseMechanism, length: int) -> np.ndarray:
        return np.zeros(length, dtype=np.int64)

    with (
        patch.object(NoiseMechanism, "sample", zero),
        patch.object(airline_module, "_assemble", airline_assemble),
        patch.object(carrier_module, "build_release", carrier_build),
    ):
        yield caught


def _release_until_caught(service: CrossmeshService, spec: QuerySpec) -> None:
    """Run ``spec`` until the catching patch stops it (the session wraps a party's failure)."""
    try:
        service.release(service.fit(spec))
    except Exception as error:
        caught = isinstance(error, _Caught) or isinstance(error.__cause__, _Caught)
        if not caught and "_Caught" not in repr(error):
            raise


def exact_rows(service: CrossmeshService, kind: str, spec: QuerySpec) -> Exact:
    """Run ``spec`` with zero noise and catch its exact rows (nothing is committed)."""
    with _catching() as caught:
        _release_until_caught(service, spec)
    mechanism = caught["mechanism"]
    return Exact(
        kind,
        np.asarray(caught["values"], dtype=np.int64),
        np.asarray(caught["draws"], dtype=np.int64),
        NoiseMechanism(mechanism.kind, mechanism.scale, mechanism.bounds),
    )


def _decrypted_exact(service: CrossmeshService, spec: QuerySpec) -> tuple[Any, np.ndarray, Any]:
    """Zero noise; catch the airline's decrypted (exact) matrix and its query; commit nothing."""
    caught: dict[str, Any] = {}
    real_decrypt = airline_module.AirlineParty._decrypt

    def decrypt(self: Any, query: Any, message: Any) -> np.ndarray:
        values = real_decrypt(self, query, message)
        caught.update(values=values.copy(), sizes=query.padded_sizes, shape=query.shape)
        return values

    with _catching(), patch.object(airline_module.AirlineParty, "_decrypt", decrypt):
        _release_until_caught(service, spec)
    return caught["shape"], caught["values"], caught["sizes"]


def measure_adaptive(service: CrossmeshService, spec: QuerySpec, draws: int) -> dict[str, Any]:
    """A two-level visit map: both parties' noise on child and parent slots, reconciliation,
    the rule and the drawn partition, on ``draws`` copies; metrics over the *drawn* cells (a
    parent counts with its children's truth)."""
    shape, exact, sizes = _decrypted_exact(service, spec)
    labels = shape.group_labels
    truth_rows = shape.project(labels, list(exact), sizes)
    truth = np.asarray(truth_rows.values, dtype=np.int64)
    children = np.asarray([up >= 0 for up in truth_rows.parent_of])
    cost = PrivacyCost.from_epsilon(spec.epsilon, spec.delta, spec.mechanism)  # type: ignore[arg-type]
    parent_of = np.asarray(truth_rows.parent_of)
    shown_masks, values, widths, covered = [], [], [], []
    for _ in range(draws):
        noisy = exact + shape.sample_noise() + shape.sample_noise()  # N_C and N_A
        rows = shape.project(labels, list(noisy), sizes)
        release = airline_module._assemble(rows, shape.mechanism, cost, spec)
        drawn_at = release.label_names.index("drawn")
        shown_masks.append([row[drawn_at] == "yes" for row in release.row_labels])
        # At any level: a child's truth is in a shown place if it or its parent is shown.
        visible = ~np.asarray(release.suppressed)
        up = np.where(parent_of >= 0, parent_of, 0)
        covered.append(children & (visible | (visible[up] & (parent_of >= 0))))
        values.append([0 if v is None else v for v in release.values])
        widths.append([0 if w is None else w for w in release.ci95])
    shown = np.asarray(shown_masks)
    noisy_values, stated = np.asarray(values), np.asarray(widths)
    metrics = _metrics(truth, shown, noisy_values, stated)
    total = float(truth[children].sum())
    metrics["true_total_share_shown"] = round(
        float(np.mean((shown * truth).sum(axis=1)) / total), 3
    )
    metrics["coverage_all"] = None
    at_any = float(np.mean((np.asarray(covered) * truth).sum(axis=1)))
    metrics["true_total_share_any_level"] = round(at_any / total, 3)
    metrics["drawn_parents_mean"] = round(float((shown & ~children).sum(axis=1).mean()), 1)
    return {
        "kind": f"{spec.kind} (adaptive)",
        "values": int(truth.size),
        "true_zero_values": int((truth == 0).sum()),
        "true_total": int(total),
        "median_ci95": int(np.median(stated[shown])) if shown.any() else 0,
        "rule": metrics,
        "v1_threshold_10": None,
    }


def _noisy(exact: Exact, draws: int) -> np.ndarray:
    """``draws`` noisy copies of the exact rows: each row plus the sum of its OpenDP draws."""
    per_copy = int(exact.draws.sum())
    noise = exact.mechanism.sample(per_copy * draws).reshape(draws, per_copy)
    starts = np.concatenate(([0], np.cumsum(exact.draws)[:-1]))
    return exact.truth + np.add.reduceat(noise, starts, axis=1)


def _metrics(truth: np.ndarray, shown: np.ndarray, values: np.ndarray, widths: np.ndarray) -> dict:
    """Metrics over ``shown`` masks (copies × rows) of noisy ``values`` with ``widths``."""
    copies = shown.shape[0]
    counts = shown.sum(axis=1)
    zero = (shown & (truth == 0)).sum(axis=1)
    zero_share = (
        float(np.mean(zero[counts > 0] / counts[counts > 0])) if (counts > 0).any() else None
    )
    positive = shown & (truth > 0)
    relative = np.abs(values - truth)[positive] / np.broadcast_to(truth, values.shape)[positive]
    total = float(truth.sum())
    inside = np.abs(values - truth) <= widths
    return {
        "shown_mean": round(float(counts.mean()), 1),
        "shown_zero_share": None if zero_share is None else round(zero_share, 4),
        "median_relative_error": round(float(np.median(relative)), 3) if relative.size else None,
        "true_total_share_shown": round(
            float(np.mean((shown * truth).sum(axis=1) / total)) if total else 0.0, 3
        ),
        "coverage_shown": round(float(inside[shown].mean()), 4) if shown.any() else None,
        "copies": copies,
    }


def measure(exact: Exact, draws: int) -> dict[str, Any]:
    """The new rule and v1's, on ``draws`` noisy copies of one release (more for a release of
    few values, so that every coverage rests on at least 20,000 values; at most 2,000 copies)."""
    draws = min(max(draws, math.ceil(20_000 / max(1, exact.truth.size))), max(draws, 2_000))
    noisy = _noisy(exact, draws)
    laws = {
        int(d): noise_law(exact.mechanism.kind, exact.mechanism.scale, int(d))
        for d in set(exact.draws)
    }
    row_laws = [laws[int(d)] for d in exact.draws]
    widths = np.asarray([law.half_width() for law in row_laws], dtype=np.int64)
    published = [publish(list(copy), row_laws) for copy in noisy]
    shown = np.asarray([[not s for s in p.suppressed] for p in published])
    stated = np.asarray([[w if w is not None else 0 for w in p.ci95] for p in published])
    one = exact.mechanism.ci95
    old_widths = np.asarray([math.ceil(one * math.sqrt(int(d))) for d in exact.draws])
    old_shown = np.maximum(noisy, 0) >= OLD_THRESHOLD
    clamped = np.maximum(noisy, 0)
    new = _metrics(exact.truth, shown, noisy, stated)
    new["coverage_all"] = round(float((np.abs(noisy - exact.truth) <= widths).mean()), 4)
    old = _metrics(exact.truth, old_shown, clamped, old_widths)
    old["coverage_all"] = round(float((np.abs(noisy - exact.truth) <= old_widths).mean()), 4)
    return {
        "kind": exact.kind,
        "values": int(exact.truth.size),
        "true_zero_values": int((exact.truth == 0).sum()),
        "true_total": int(exact.truth.sum()),
        "median_ci95": int(np.median(widths)),
        "rule": new,
        "v1_threshold_10": old,
    }


def _raise_budgets(service: CrossmeshService) -> None:
    carrier = service.carrier_ledger
    assert carrier is not None  # the embedded service holds both parties' ledgers
    raise_budgets({"airline": service.ledger, "carrier": carrier}, "bench_statistics")


def run(data: Path, workspace: Path, draws: int) -> dict[str, Any]:
    """Every kind: catch the exact rows, then measure both rules over ``draws`` copies."""
    service = CrossmeshService.open(workspace, data)
    _raise_budgets(service)
    results = []
    try:
        for kind, spec in _specs(data).items():
            results.append(measure(exact_rows(service, kind, spec), draws))
            print(json.dumps(results[-1]), flush=True)
        adaptive = QuerySpec(kind="visit-map", airport="SHM", resolution="adaptive", **MONTH)  # type: ignore[arg-type]
        results.append(measure_adaptive(service, adaptive, draws))
        print(json.dumps(results[-1]), flush=True)
    finally:
        service.close()
    return {"benchmark": "statistics", "epsilon": MONTH["epsilon"], "draws": draws,
            "machine": machine(), "results": results}  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    """The table for BENCHMARKS.md."""
    lines = [
        "| query | values (truly 0) | ± 95 % | shown | shown truly 0 | median rel. error | "
        "true total in shown | coverage, all | coverage, shown |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        for name, m in (("rule", r["rule"]), ("v1 (≥ 10)", r["v1_threshold_10"])):
            if m is None:
                continue
            zero = "–" if m["shown_zero_share"] is None else f"{m['shown_zero_share']:.1%}"
            rel = "–" if m["median_relative_error"] is None else f"{m['median_relative_error']:.0%}"
            cov = "–" if m["coverage_shown"] is None else f"{m['coverage_shown']:.1%}"
            lines.append(
                f"| {r['kind']} ({name}) | {r['values']} ({r['true_zero_values']}) | "
                f"{r['median_ci95']} | {m['shown_mean']} | {zero} | {rel} | "
                f"{m['true_total_share_shown']:.0%}"
                + (
                    f" (any level {m['true_total_share_any_level']:.0%})"
                    if "true_total_share_any_level" in m
                    else ""
                )
                + " | "
                f"{'–' if m['coverage_all'] is None else format(m['coverage_all'], '.1%')} | "
                f"{cov} |"
            )
    return "\n".join(lines)


def main() -> None:
    """Measure and print one JSON object (and the table with ``--markdown``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    report = run(args.data, args.workspace, args.draws)
    print(json.dumps(report, indent=1))
    if args.markdown:
        print(markdown(report))


if __name__ == "__main__":
    main()
