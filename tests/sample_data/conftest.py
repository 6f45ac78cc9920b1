"""Shared fixtures: the tiny synthetic world, generated and read once per test session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sample_data import generate

TINY_SEED = 7
PARTY_FILES = (
    "airline/members.csv",
    "airline/boardings.csv",
    "airline/donations.csv",
    "carrier/subscribers.csv",
)
TRUTH_FILES = (
    "visit_mesh",
    "visit_area",
    "hour_profile",
    "profile",
    "repeat",
    "furusato",
    "preboarding",
    "population",
    "links",
)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the tiny world of seed 7."""
    out = tmp_path_factory.mktemp("tiny") / "world"
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def tiny(tiny_world: Path) -> dict[str, Any]:
    """Every table of the tiny world: CSVs as text frames, observations as written, manifest."""
    tables: dict[str, Any] = {
        name.split("/")[1].removesuffix(".csv"): pd.read_csv(
            tiny_world / name, dtype=str, keep_default_na=False
        )
        for name in PARTY_FILES
    }
    for name in TRUTH_FILES:
        tables[f"truth/{name}"] = pd.read_csv(
            tiny_world / "truth" / f"{name}.csv", dtype=str, keep_default_na=False
        )
    tables["observations"] = pq.read_table(tiny_world / "carrier" / "observations.parquet")
    tables["manifest"] = json.loads((tiny_world / "manifest.json").read_text(encoding="utf-8"))
    return tables
