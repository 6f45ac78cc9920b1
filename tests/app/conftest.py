"""Dashboard test fixtures: a tiny prepared workspace and AppTest drivers for each page.

The pages run against the real :class:`engine.service.CrossmeshService` over the tiny synthetic
world (prepared once per test session). Each page is driven on its own through
``AppTest.from_function`` (``st.navigation`` pages are functions, which ``AppTest.switch_page``
cannot select); ``app/main.py`` itself is driven with ``AppTest.from_file``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from engine.ledger import Ledger
from engine.ledger.values import Scope
from engine.parallel import SCHEDULER_ENV
from engine.session import SecureSession

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "app" / "main.py"
TIMEOUT = 90
APP_TEST_RHO = 3.0  # per scope; the default 0.5 is one planner's month, not a test suite's
# The tiny world's months and the year before them (repeat visits read the prior year).
MONTHS = [f"{2024 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in range(7, 22)]


@pytest.fixture(scope="session")
def workspace(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world prepared into a fresh workspace (both parties' offline steps)."""
    root = tmp_path_factory.mktemp("app-workspace")
    with SecureSession(root, tiny_dir) as session:
        session.prepare()
    # Every page test runs real releases against one ledger per dataset (the session's ledger
    # home): a budget of their own size, so that none finds it spent by the tests before it.
    for party in ("airline", "carrier"):
        ledger = Ledger.in_workspace(root, party)
        for pair in ("airline+carrier", "carrier"):
            for month in MONTHS:
                ledger.set_budget(Scope(pair, month), APP_TEST_RHO, "テスト用")
        ledger.close()
    return root


@pytest.fixture
def dashboard(workspace: Path, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at the tiny workspace, with empty Streamlit caches before and after."""
    monkeypatch.setenv("CROSSMESH_WORKSPACE", str(workspace))
    monkeypatch.setenv("CROSSMESH_DATA", str(tiny_dir))
    monkeypatch.setenv(SCHEDULER_ENV, "synchronous")  # tiny work: no cluster on a shared machine
    st.cache_resource.clear()
    st.cache_data.clear()
    yield workspace
    st.cache_resource.clear()
    st.cache_data.clear()


def render_page(module: str) -> None:
    """The AppTest script: import one page module and render it."""
    import importlib

    importlib.import_module(module).render()


@pytest.fixture
def page(dashboard: Path) -> Callable[..., AppTest]:
    """Open a page (``"visit_map"``…) in a language and run it once."""

    def open_page(name: str, lang: str = "ja") -> AppTest:
        app = AppTest.from_function(
            render_page, args=(f"app.screens.{name}",), default_timeout=TIMEOUT
        )
        app.session_state["lang"] = lang
        return app.run()

    return open_page


@pytest.fixture
def main_app(dashboard: Path) -> AppTest:
    """``app/main.py`` run once (the home page)."""
    return AppTest.from_file(str(MAIN), default_timeout=TIMEOUT).run()
