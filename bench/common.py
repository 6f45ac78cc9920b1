"""What every benchmark shares: the machine's description, timing, and the synthetic data.

Timings are wall-clock seconds from :func:`time.perf_counter`. The data is the deterministic
synthetic world (``crossmesh generate``), generated once per scale and seed into a cache folder
and reused, so that every run of a benchmark reads the same inputs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import gmpy2

from engine.ledger import Ledger
from engine.ledger.scopes import party_scopes
from engine.parallel import default_workers
from sample_data import generate

__all__ = [
    "BENCH_MONTHS",
    "cache_dir",
    "ensure_data",
    "machine",
    "person_days",
    "raise_budgets",
    "timed",
]

T = TypeVar("T")


def machine() -> dict[str, Any]:
    """The machine and library versions a result was measured with."""
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": default_workers(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "gmpy2": gmpy2.version(),
        "gmp": gmpy2.mp_version(),
        **{name: version(name) for name in ("pynacl", "phe", "opendp", "distributed")},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": dt.date.today().isoformat(),
    }


BENCH_MONTHS = ("2025-07", "2025-08", "2025-09", "2025-10")


def raise_budgets(ledgers: dict[str, Ledger], reason: str) -> None:
    """Give each party's ledger (by party name) room for a benchmark over :data:`BENCH_MONTHS`."""
    for party, ledger in ledgers.items():
        for scope in party_scopes(party, BENCH_MONTHS):
            ledger.set_budget(scope, 1e4, reason)


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """``(seconds, result)`` of one call of ``action``."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def cache_dir() -> Path:
    """Where generated data and benchmark workspaces live (``CROSSMESH_BENCH_DIR`` or tmp)."""
    root = os.environ.get("CROSSMESH_BENCH_DIR") or Path(tempfile.gettempdir()) / "crossmesh-bench"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_data(scale: str, seed: int = 7, folder: Path | None = None) -> Path:
    """The synthetic world of ``scale``, generated into ``folder`` unless it is already there."""
    folder = folder or cache_dir() / f"{scale}-{seed}"
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("scale") == scale:
        return folder
    generate(scale, seed, folder)
    return folder


def person_days(data_dir: Path) -> int:
    """Carrier person-days with observations, as the generator's manifest states them."""
    return int(json.loads((data_dir / "manifest.json").read_text())["carrier_person_days"])
