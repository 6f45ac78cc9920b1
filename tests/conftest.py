"""Shared fixtures: the tiny synthetic world, generated once per test session; ledger homes;
certificates and two node processes (:mod:`tests.two_nodes_kit`) for the tests that run the nodes.

Ledgers live in a ledger home keyed by dataset identity (``CROSSMESH_LEDGER_HOME``), not in the
workspace, so two tests over the same tiny world would share one budget. Each test therefore gets
its own ledger home, and so does each test module and the session (for fixtures of those
scopes); a workspace remembers its ledger's path in its anchor, so a fixture's workspace keeps
its ledger while a test runs under another home. No test ever touches the real
``~/.local/share/crossmesh``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from engine.ledger import LEDGER_HOME_ENV
from sample_data import generate

if TYPE_CHECKING:
    from tests.two_nodes_kit import TwoNodes


@pytest.fixture(scope="session", autouse=True)
def _no_background_randomisers() -> Iterator[None]:
    """Services opened by tests precompute nothing and start no cluster (no background CPU)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROSSMESH_RANDOMISER_POOL", "0")
        patch.setenv("CROSSMESH_CARRIER_SCHEDULER", "synchronous")
        yield


def _ledger_home(factory: pytest.TempPathFactory, name: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LEDGER_HOME_ENV, str(factory.mktemp(name)))
        yield


@pytest.fixture(scope="session", autouse=True)
def _session_ledger_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session-wide fixtures keep their ledgers in a temporary home of the session."""
    yield from _ledger_home(tmp_path_factory, "ledgers-session")


@pytest.fixture(scope="module", autouse=True)
def _module_ledger_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module-wide fixtures keep their ledgers in a temporary home of the module."""
    yield from _ledger_home(tmp_path_factory, "ledgers-module")


@pytest.fixture(autouse=True)
def _test_ledger_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test keeps the ledgers it creates in a temporary home of its own."""
    yield from _ledger_home(tmp_path_factory, "ledgers-test")


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


@pytest.fixture(scope="session")
def node_kit() -> ModuleType:
    """``tests/node_kit.py``: a carrier node process and an airline session calling it."""
    path = Path(__file__).with_name("node_kit.py")
    spec = importlib.util.spec_from_file_location("crossmesh_node_kit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def node_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throw-away certificates for both nodes and the dashboard (``crossmesh certs``)."""
    from engine.wire.certificates import write_demo_certificates

    folder = tmp_path_factory.mktemp("node-certs")
    write_demo_certificates(folder)
    return folder


@pytest.fixture(scope="module")
def two_nodes(
    tiny_dir: Path, node_certs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoNodes]:
    """A carrier node and an airline node on the tiny world, each its own OS process with its
    own folders and ledger home, for the module; stopped (SIGTERM, cleanly) at its end."""
    from tests.two_nodes_kit import start_two_nodes  # imported here: only node tests need it

    nodes = start_two_nodes(tiny_dir, node_certs, tmp_path_factory.mktemp("two-nodes"))
    yield nodes
    assert nodes.airline.stop() == 0
    assert nodes.carrier.stop() == 0
