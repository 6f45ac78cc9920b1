"""Shared fixtures: the tiny synthetic world, generated once per test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sample_data import generate


@pytest.fixture(scope="session", autouse=True)
def _no_background_randomisers() -> Iterator[None]:
    """Services opened by tests precompute nothing and start no cluster (no background CPU)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROSSMESH_RANDOMISER_POOL", "0")
        patch.setenv("CROSSMESH_CARRIER_SCHEDULER", "synchronous")
        yield


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``crossmesh generate --scale tiny --seed 7`` into a session-wide folder (read-only use)."""
    out = tmp_path_factory.mktemp("tiny") / "data"
    generate("tiny", 7, out)
    return out


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Undo Streamlit AppTest's replacement of ``__main__`` after each test.

    AppTest runs page scripts as ``__main__`` and leaves that module in place; worker processes
    started later (Dask, forkserver) would re-run the page script and die. Restoring the real
    ``__main__`` keeps every test independent of the order the suite runs in.
    """
    main = sys.modules["__main__"]
    saved = {name: getattr(main, name) for name in ("__file__", "__spec__") if hasattr(main, name)}
    yield
    sys.modules["__main__"] = main
    for name in ("__file__", "__spec__"):
        if name in saved:
            setattr(main, name, saved[name])
        elif hasattr(main, name):
            delattr(main, name)
