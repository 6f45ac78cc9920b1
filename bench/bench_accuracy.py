"""Accuracy of releases at a given ε: mean absolute error of shown values, share suppressed.

Runs one release per query type over an ingested workspace and compares every value that was not
suppressed with the plaintext truth tables the generator wrote (``DATA/truth``; benchmarks only).

    .venv/bin/python bench/bench_accuracy.py --data data/demo --workspace workspace --epsilon 1

Prints one JSON object (and, with ``--markdown``, a table for BENCHMARKS.md). The releases are
charged to the workspace's ledger like any other, so run it on a scratch copy of a workspace.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from engine.queries import QuerySpec
from engine.service import CrossmeshService

MONTH: dict[str, Any] = {"start": "2025-08-01", "end": "2025-08-31"}


def _truth(data: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(data / "truth" / f"{name}.csv", dtype=str)
    for column in ("count", "visited"):
        if column in frame:
            frame[column] = frame[column].astype(int)
    return frame


def _in_month(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[(frame[column] >= MONTH["start"]) & (frame[column] <= MONTH["end"])]


def _expected(data: Path, kind: str) -> tuple[pd.Series, list[str]]:
    """The truth aggregated like the release's rows, and the key columns."""
    if kind in ("visit-map", "flows"):
        name, slot, airport = {
            "visit-map": ("visit_mesh", "mesh_code", "SHM"),
            "flows": ("visit_area", "municipality_code", "CTS"),
        }[kind]
        truth = _in_month(_truth(data, name), "arrival_date")
        keys = ["day_offset", slot]
        return truth[truth["airport"] == airport].groupby(keys)["count"].sum(), keys
    if kind == "hokkaido":
        truth = _in_month(_truth(data, "visit_area"), "arrival_date")
        truth = truth[truth["airport"].isin(["MMB", "KUH", "SHB"])]
        keys = ["airport", "day_offset", "municipality_code"]
        return truth.groupby(keys)["count"].sum(), keys
    if kind == "profile":
        truth = _in_month(_truth(data, "hour_profile"), "arrival_date")
        truth = truth[truth["airport"] == "FUK"].assign(
            dimension="hour", category=lambda f: f["hour"].str.zfill(2)
        )
        keys = ["day_offset", "dimension", "category"]
        return truth.groupby(keys)["count"].sum(), keys
    if kind == "repeat":
        truth = _in_month(_truth(data, "repeat"), "arrival_date")
        truth = truth[truth["airport"] == "SHM"].assign(day_offset="0")
        keys = ["day_offset", "prior_bucket"]
        return truth.groupby(keys)["count"].sum(), keys
    if kind == "preboarding":
        truth = _in_month(_truth(data, "preboarding"), "departure_date")
        truth = truth[(truth["origin"] == "HND") & (truth["location_class"] != "none")]
        keys = ["half", "minutes_before", "location_class"]
        return truth.groupby(keys)["count"].sum(), keys
    if kind == "population":
        truth = _in_month(_truth(data, "population"), "date")
        truth = truth[truth["region"] == "nanki_shirahama"]
        keys = ["residency", "mesh_code"]  # person-days over the window
        return truth.groupby(keys)["count"].sum(), keys
    raise ValueError(kind)


def _furusato_municipality(data: Path) -> str:
    truth = _truth(data, "furusato")
    donors = truth[(truth["cohort"] == "donor") & (truth["month_offset"] == "0")]
    return str(donors.sort_values("cohort_size").iloc[-1]["municipality_code"])


SPECS: dict[str, Callable[[Path, float], QuerySpec]] = {
    "visit-map": lambda d, e: QuerySpec(kind="visit-map", airport="SHM", epsilon=e, **MONTH),
    "flows": lambda d, e: QuerySpec(kind="flows", airport="CTS", epsilon=e, **MONTH),
    "profile": lambda d, e: QuerySpec(kind="profile", airport="FUK", epsilon=e, **MONTH),
    "repeat": lambda d, e: QuerySpec(kind="repeat", airport="SHM", epsilon=e, **MONTH),
    "hokkaido": lambda d, e: QuerySpec(kind="hokkaido", epsilon=e, **MONTH),
    "furusato": lambda d, e: QuerySpec(
        kind="furusato", municipality=_furusato_municipality(d), epsilon=e, **MONTH
    ),
    "preboarding": lambda d, e: QuerySpec(kind="preboarding", airport="HND", epsilon=e, **MONTH),
    "population": lambda d, e: QuerySpec(
        kind="population", region="nanki_shirahama", epsilon=e, **MONTH
    ),
}


def _furusato_expected(data: Path, spec: QuerySpec) -> tuple[pd.Series, list[str]]:
    truth = _truth(data, "furusato")
    truth = truth[(truth["municipality_code"] == spec.municipality)]
    truth = truth[truth["donation_month"] == "2025-08"]
    keys = ["cohort", "donation_month", "month_offset"]
    return truth.set_index(keys)["visited"], keys


def measure(service: CrossmeshService, data: Path, kind: str, epsilon: float) -> dict[str, object]:
    """One release of ``kind`` at ``epsilon``: MAE of shown values, share suppressed, latency."""
    spec = SPECS[kind](data, epsilon)
    started = time.perf_counter()
    release = service.release(service.fit(spec))
    seconds = time.perf_counter() - started
    frame = release.to_frame()
    expected, keys = _furusato_expected(data, spec) if kind == "furusato" else _expected(data, kind)
    got = frame.set_index(keys)
    shown = got[~got["suppressed"]]
    want = expected.reindex(shown.index).fillna(0)
    errors = (shown["value"].astype("int64") - want.astype("int64")).abs()
    return {
        "kind": kind,
        "values": len(frame),
        "shown": len(shown),
        "suppressed_share": round(float(got["suppressed"].mean()), 4),
        "mae_shown": round(float(errors.mean()), 3) if len(errors) else None,
        "median_ci95": float(shown["ci95"].median()) if len(shown) else None,
        "seconds": round(seconds, 2),
    }


def main() -> None:
    """Run every query type once and print the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    service = CrossmeshService.open(args.workspace, args.data)
    results = [measure(service, args.data, kind, args.epsilon) for kind in SPECS]
    print(json.dumps({"epsilon": args.epsilon, "results": results}, indent=2))
    if args.markdown:
        print("| query | values | shown | suppressed | MAE (shown) | median ±95 % | s |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r['kind']} | {r['values']} | {r['shown']} | {r['suppressed_share']:.1%} "
                f"| {r['mae_shown']} | {r['median_ci95']} | {r['seconds']} |"
            )


if __name__ == "__main__":
    main()
