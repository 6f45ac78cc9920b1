"""``python -m bench`` (and ``crossmesh bench``): every benchmark, one JSON object, the targets.

Full run (demo scale; about ten minutes on two cores)::

    .venv/bin/python -m bench

Quick run (the tiny world, small counts; under a minute)::

    .venv/bin/python -m bench --quick

The quick run measures the same things on less data: its crypto ratios match the full run's
within a few per cent, but ingest throughput and release latency on the tiny world are dominated
by fixed costs (key generation, cluster start) and are *not* the demo-scale targets; the JSON
says which scale each figure is for.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench import bench_crypto, bench_ingest, bench_release, bench_utility
from bench.common import ensure_data, machine

CONFIGS_FULL = ["in-process", "dask-1", "dask-2"]
CONFIGS_QUICK = ["dask-1", "dask-2"]


def _crypto(quick: bool) -> dict[str, Any]:
    measured = bench_crypto.run(quick)
    paths = measured["packed"]
    keep = ("ciphertexts_per_s", "slots_per_s", "ratio_per_ciphertext", "ratio_per_slot")
    return {
        "phe_encrypt_per_s": measured["phe_encrypt_per_s"],
        "slots_per_ciphertext": measured["slots_per_ciphertext"],
        "packed_key_holder": {k: paths["key_holder"][k] for k in (*keep, "fraction_of_floor")},
        "packed_public": {k: paths["public"][k] for k in (*keep, "fraction_of_floor")},
        "floor_us": {
            "key_holder": measured["floor"]["key_holder_floor_us"],
            "public": measured["floor"]["public_floor_us"],
        },
        "blinding": measured["blinding"],
    }


def _utility(cells: int) -> dict[str, Any]:
    measured = bench_utility.run(cells)
    return {
        kind: {
            "one_pass_variance": measured[kind]["one_pass_variance"],
            "variance_ratio_by_partitions": {
                str(row["partitions"]): row["measured_over_one_pass"]
                for row in measured[kind]["per_partition_noise"]
            },
        }
        for kind in ("gaussian", "laplace")
    }


def _target(measured: float | None, bound: float, at_least: bool, scale: str) -> dict[str, Any]:
    """One target; ``met`` is None where the figure is not for the scale the target names."""
    met = None
    if measured is not None and scale in ("demo", "2048-bit key"):
        met = measured >= bound if at_least else measured <= bound
    return {"measured": measured, "target": bound, "at_least": at_least, "met": met, "on": scale}


def _targets(result: dict[str, Any], scale: str) -> dict[str, Any]:
    key_holder = result["crypto"]["packed_key_holder"]
    ingest, release = result["ingest"], result["release"]
    return {
        "packed_x_phe_per_ciphertext": _target(
            key_holder["ratio_per_ciphertext"], 40, True, "2048-bit key"
        ),
        "packed_x_phe_per_slot": _target(key_holder["ratio_per_slot"], 2000, True, "2048-bit key"),
        "ingest_2_workers_over_1": _target(ingest.get("speedup_2_over_1_worker"), 1.7, True, scale),
        "one_month_visit_map_release_s": _target(release["secure"]["cold_s"], 5.0, False, scale),
        "first_ingest_s": _target(ingest.get("first_ingest_s"), 180.0, False, scale),
    }


def run(quick: bool, scale: str, data: Path | None, airport: str) -> dict[str, Any]:
    """Every benchmark; the demo-scale targets are judged only on demo-scale data."""
    started = time.perf_counter()
    scale = "tiny" if quick and data is None else scale
    data_dir = data or ensure_data(scale)
    result: dict[str, Any] = {"benchmark": "crossmesh", "quick": quick, "scale": scale}
    result["machine"] = machine()
    result["crypto"] = _crypto(quick)
    result["ingest"] = bench_ingest.run(data_dir, CONFIGS_QUICK if quick else CONFIGS_FULL)
    workspace = Path(result["ingest"]["runs"]["dask-2"]["workspace"])
    result["release"] = bench_release.run(workspace, data_dir, airport, "2025-08")
    result["utility"] = _utility(2_000 if quick else 20_000)
    result["targets"] = _targets(result, scale)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny world, small counts (< 1 min)")
    parser.add_argument("--scale", default="demo", help="the world to generate: demo or large")
    parser.add_argument("--data", type=Path, help="an existing data folder instead of --scale")
    parser.add_argument("--airport", default="CTS", help="arrival airport of the visit map")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.scale, args.data, args.airport), indent=2))


if __name__ == "__main__":
    main()
