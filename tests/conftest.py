"""Shared fixtures: the tiny synthetic world, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sample_data import generate


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``crossmesh generate --scale tiny --seed 7`` into a session-wide folder (read-only use)."""
    out = tmp_path_factory.mktemp("tiny") / "data"
    generate("tiny", 7, out)
    return out
