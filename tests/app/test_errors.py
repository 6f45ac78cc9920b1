"""The page boundary: Crossmesh errors become friendly messages, never tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import app.state
from app.i18n import text
from engine.jobs import ReleaseJobs
from engine.service import CrossmeshService
from foundation.errors import BudgetExceeded

OpenPage = Callable[..., AppTest]
REFUSAL = "the airline+carrier@2025-08 budget has too little left; lower epsilon or wait a month"


class RefusingService:
    """The real service, except that the ledger refuses every release (run as jobs, as there)."""

    submit = CrossmeshService.submit
    job = CrossmeshService.job
    wait = CrossmeshService.wait

    def __init__(self, real: Any) -> None:
        self._real = real
        self.jobs = ReleaseJobs(self.release)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def release(self, spec: Any, progress: Any = None) -> Any:
        """Refuse, as the ledger does when a budget is spent."""
        raise BudgetExceeded(REFUSAL)


def test_missing_workspace_is_a_friendly_configuration_message(
    page: OpenPage, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A folder that holds no prepared data: the page says so and how to fix it."""
    monkeypatch.setenv("CROSSMESH_WORKSPACE", str(tmp_path / "nothing"))
    shown = page("home")
    assert not shown.exception
    [error] = shown.error
    assert text("error.config", "ja") in error.value and text("error.config_advice", "ja") in (
        error.value
    )
    assert "crossmesh" not in error.value  # the engine's English is in the details below
    [details] = shown.expander
    assert details.label == text("error.details", "ja")
    assert any("crossmesh prepare" in code.value for code in shown.code)


def test_budget_refusal_is_shown_with_the_ledgers_words(
    page: OpenPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release the ledger refuses: the page shows why, in the user's language first."""
    real_open = app.state.open_service
    monkeypatch.setattr(
        app.state, "open_service", lambda *paths: RefusingService(real_open(*paths))
    )
    shown = page("preboarding", "en")
    shown.button(key="run:preboarding").click().run()
    assert not shown.exception
    [error] = shown.error
    assert text("error.budget", "en") in error.value and REFUSAL in error.value
