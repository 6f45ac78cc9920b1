"""Protocol v2 releases on the demo world: first run, release latency per kind, cost per record.

Run (demo scale, ~5 minutes on two cores)::

    .venv/bin/python -m bench.bench_release [--data DIR] [--quick] [--repeats N]

What it measures, in one JSON object:

* ``first_run`` — ``crossmesh generate`` and ``crossmesh prepare`` into fresh folders (the
  embedded demo's first run after the virtual environment exists), and the workspace size;
* ``releases`` — per query (SHM and CTS one-month visit maps, furusato, preboarding): *cold* is a
  new session's first release (its dummy keys hashed, its calibrations made, no randomisers
  ahead, everything in this process); *warm* is the product's case (``CrossmeshService.open``),
  a long-running session whose randomiser and mask pools were filled while it was idle, whose
  parties raised their recent points to the next scalar ahead (:mod:`engine.crypto.preblind`)
  and whose carrier runs large per-slot products on its own 2-worker LocalCluster.
  ``warm_new_points`` is the first warm release of each query: pools full, but its cohort and
  scope not seen before, so nothing of it blinded ahead; ``warm`` the next (another ε, as a
  dashboard reader asks). Every measured release asks a new ε, so no cache answers it; with
  ``--repeats N`` each query is released warm N times (the pools refilled in between) and the
  median is reported too; ``pools_filled_after_s`` is how long the warm session took after it
  connected to fill its pools and pre-blinders (until then a release runs between cold and warm);
* per release, the time each party spent, the scope positions and, per position and side, the
  online cost in µs beside the **floor**: one X25519 scalar multiplication per position on each
  side, one encryption with a pooled residue on the airline's side (``g^m·ρ``), and one
  multiplication mod n² per non-zero payload slot on the carrier's.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gmpy2
from nacl.bindings import crypto_scalarmult

from bench.common import cache_dir, machine, raise_budgets, timed
from engine.crypto.paillier import PaillierKeys, _times_g_power
from engine.crypto.residues import CrtResidues
from engine.queries import QuerySpec
from engine.session import (
    PRODUCT_MASKS,
    PRODUCT_POOL,
    PRODUCT_PREBLIND,
    SecureSession,
    SessionSettings,
)
from sample_data import generate

__all__ = ["floors", "run"]

MONTH = {"start": "2025-08-01", "end": "2025-08-31"}


def _cases(data_dir: Path) -> dict[str, dict[str, Any]]:
    import pandas as pd

    furusato = pd.read_csv(data_dir / "truth" / "furusato.csv", dtype=str)
    town = furusato.loc[furusato["cohort"] == "donor", "municipality_code"].value_counts().index[0]
    return {
        "visit-map SHM": {"kind": "visit-map", "airport": "SHM", **MONTH},
        "visit-map CTS": {"kind": "visit-map", "airport": "CTS", **MONTH},
        "furusato": {"kind": "furusato", "municipality": town, "months_after": 1, **MONTH},
        "preboarding HND": {"kind": "preboarding", "airport": "HND", **MONTH},
    }


def floors() -> dict[str, float]:
    """The arithmetic a position cannot avoid, in µs, on this machine."""
    point = crypto_scalarmult(secrets.token_bytes(32), bytes([9]) + bytes(31))
    scalar = secrets.token_bytes(32)
    count = 2000
    x25519 = timed(lambda: [crypto_scalarmult(scalar, point) for _ in range(count)])[0]
    keys = PaillierKeys.generate(2048)
    n = gmpy2.mpz(keys.public.n)
    nsquare = n * n
    residues = CrtResidues(keys.private.p, keys.private.q).sample_many(count)
    pooled = timed(lambda: [_times_g_power(r, 1 << 24, n, nsquare) for r in residues])[0]
    product = timed(lambda: [r * residues[0] % nsquare for r in residues])[0]
    return {
        "x25519_scalar_mult_us": round(x25519 / count * 1e6, 1),
        "pooled_encryption_us": round(pooled / count * 1e6, 1),
        "multiplication_mod_n2_us": round(product / count * 1e6, 2),
    }


class _Clock:
    """Seconds spent in each party's methods during one release."""

    def __init__(self, session: SecureSession) -> None:
        self.spent = {"airline": 0.0, "carrier": 0.0}
        self.positions = 0
        for name, party in (("airline", session.airline), ("carrier", session.carrier)):
            for method in _METHODS[name]:
                setattr(party, method, self._timed(name, getattr(party, method)))
        scope = session.carrier.scope

        def counted(query_id: str) -> Any:
            for partition in scope(query_id):
                self.positions += partition.positions
                yield partition

        session.carrier.scope = counted  # type: ignore[method-assign]

    def _timed(self, party: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent[party] += time.perf_counter() - start

        return run


_METHODS = {
    "airline": ("open_query", "blinded_cohort", "receive_reblinded", "indicators", "publish"),
    "carrier": ("accept", "reblind", "receive_indicators", "noised_sums", "record"),
}


def _budgets(session: SecureSession) -> None:
    raise_budgets(
        {"airline": session.airline.ledger, "carrier": session.carrier.ledger}, "benchmark"
    )


def _release(session: SecureSession, case: dict[str, Any]) -> dict[str, Any]:
    spec = QuerySpec(**case, epsilon=round(1 + secrets.randbelow(10**6) / 10**7, 7))
    clock = _Clock(session)
    seconds, _ = timed(lambda: session.release(spec))
    scope_time = clock.spent["carrier"]
    return {
        "seconds": round(seconds, 2),
        "airline_s": round(clock.spent["airline"], 2),
        "carrier_s": round(scope_time, 2),
        "positions": clock.positions,
        "airline_us_per_position": round(clock.spent["airline"] / clock.positions * 1e6, 1),
        "carrier_us_per_position": round(scope_time / clock.positions * 1e6, 1),
    }


def _wait_for_pool(session: SecureSession, seconds: float) -> int:
    residues = session.airline.encryptor.residues
    masks = session.carrier._encryptor().residues
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (
        len(residues) < PRODUCT_POOL  # type: ignore[arg-type]
        or len(masks) < PRODUCT_MASKS  # type: ignore[arg-type]
        or not session.airline.preblinder.ready
        or not session.carrier.preblinder.ready
    ):
        time.sleep(0.5)
    return len(residues)  # type: ignore[arg-type]


def run(data_dir: Path | None, quick: bool, repeats: int = 1) -> dict[str, Any]:
    """Every figure of this benchmark (see the module docstring)."""
    root = cache_dir() / "v2"
    shutil.rmtree(root, ignore_errors=True)
    scale = "tiny" if quick else "demo"
    result: dict[str, Any] = {"benchmark": "release-v2", "scale": scale, "machine": machine()}
    generate_s, _ = timed(lambda: generate(scale, 7, root / "data"))
    data = data_dir or root / "data"
    workspace = root / "ws"
    prepare_s, summary = timed(lambda: SecureSession(workspace, data).prepare())
    size = sum(p.stat().st_size for p in workspace.rglob("*") if p.is_file())
    result["first_run"] = {
        "generate_s": round(generate_s, 1),
        "prepare_s": round(prepare_s, 1),
        "total_s": round(generate_s + prepare_s, 1),
        "months_prepared": summary.months_prepared,
        "workspace_mb": round(size / 1e6, 1),
    }
    result["floor_us"] = floors()
    cases = _cases(data)
    releases: dict[str, Any] = {}
    for name, case in cases.items():
        with SecureSession(workspace, data) as cold:
            _budgets(cold)
            releases[name] = {"cold": _release(cold, case)}
    settings = SessionSettings(
        randomiser_pool=PRODUCT_POOL,
        mask_pool=PRODUCT_MASKS,
        preblind=PRODUCT_PREBLIND,
        carrier_scheduler="local",
        carrier_workers=2,
    )
    with SecureSession(workspace, data, settings) as warm:
        _budgets(warm)
        warm.connect()
        started = time.monotonic()
        _wait_for_pool(warm, 20 if quick else 600)
        result["pools_filled_after_s"] = round(time.monotonic() - started, 1)
        for name, case in cases.items():
            _wait_for_pool(warm, 20 if quick else 600)
            releases[name]["warm_new_points"] = _release(warm, case)  # nothing of it blinded ahead
            runs = []
            for _ in range(repeats):
                releases[name]["pool_residues"] = _wait_for_pool(warm, 20 if quick else 600)
                runs.append(_release(warm, case))
            releases[name]["warm"] = runs[0]
            if repeats > 1:
                seconds = [run["seconds"] for run in runs]
                releases[name]["warm_repeats_s"] = seconds
                releases[name]["warm_median_s"] = round(statistics.median(seconds), 2)
    result["releases"] = releases
    return result


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_release")
    parser.add_argument("--data", type=Path, help="an existing data folder")
    parser.add_argument("--quick", action="store_true", help="the tiny world")
    parser.add_argument("--repeats", type=int, default=1, help="warm releases per query")
    args = parser.parse_args()
    print(json.dumps(run(args.data, args.quick, max(1, args.repeats)), indent=2))


if __name__ == "__main__":
    main()
