"""Releases as jobs: leaving the page or double-clicking never loses or doubles a release's cost."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest

import app.state
from engine.service import CrossmeshService
from engine.session import SecureSession
from tests.app.conftest import TIMEOUT, render_page
from tests.app.test_pages import charts_shown


@pytest.fixture
def fresh(tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workspace of its own (no release made yet), the app pointed at it."""
    root = tmp_path / "ws"
    with SecureSession(root, tiny_dir) as session:
        session.prepare()
    monkeypatch.setenv("CROSSMESH_WORKSPACE", str(root))
    monkeypatch.setenv("CROSSMESH_DATA", str(tiny_dir))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield root
    app.state.service().close()
    st.cache_resource.clear()
    st.cache_data.clear()


def _page() -> AppTest:
    shown = AppTest.from_function(
        render_page, args=("app.screens.preboarding",), default_timeout=TIMEOUT
    )
    shown.session_state["lang"] = "en"
    return shown.run()


def _leave_during_first_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user leaves (Streamlit stops the script) while the page waits for the job."""
    real = CrossmeshService.wait
    calls = Counter[str]()

    def wait(self: CrossmeshService, spec: Any, timeout: float | None = None) -> Any:
        calls["wait"] += 1
        if calls["wait"] == 1:
            raise StopException()
        return real(self, spec, timeout)

    monkeypatch.setattr(CrossmeshService, "wait", wait)


def _actions() -> Counter[str]:
    """Reservations, commits, abandons and cache hits in the airline's audit log.

    A reservation over two months is logged once per month; it is counted once.
    """
    seen = {(str(entry.action), entry.detail) for entry in app.state.service().audit(None)}
    return Counter(action for action, _detail in seen)


def _until_committed(timeout: float = 120.0) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        actions = _actions()
        if actions["commit"]:
            return actions
        time.sleep(0.2)
    raise AssertionError("the release job never committed")


def test_leaving_the_page_mid_release_keeps_the_release(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The script stops while the job runs: the job still commits once; reopening shows it free."""
    _leave_during_first_wait(monkeypatch)
    shown = _page()
    shown.button(key="run:preboarding").click().run()
    assert not shown.exception and not charts_shown(shown)  # the page was left
    actions = _until_committed()
    assert (actions["reserve"], actions["commit"], actions["abandon"]) == (1, 1, 0)
    again = _page()  # a new visit, no click
    assert not again.exception and charts_shown(again) == 2
    assert _actions() == actions  # shown from the cache: nothing more reserved


def test_double_click_runs_and_charges_once(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The button is drawn locked once pressed; the next run follows the same job, charged once."""
    _leave_during_first_wait(monkeypatch)
    shown = _page()
    shown.button(key="run:preboarding").click().run()
    assert shown.button(key="run:preboarding").disabled  # a second press is impossible
    shown.run()  # the user's next move (any widget) reruns the page
    assert not shown.exception and charts_shown(shown) == 2
    actions = _until_committed()
    assert (actions["reserve"], actions["commit"], actions["abandon"]) == (1, 1, 0)
