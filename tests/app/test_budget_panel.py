"""The cost panel after a release: it shows the budget the release left, in the same run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.i18n import text
from engine.ledger import Ledger
from engine.ledger.epsilon import epsilon_at_default_delta

OpenPage = Callable[..., AppTest]


def _metric(app: AppTest, key: str) -> str:
    """The value of the metric labelled with ``key``'s Japanese text."""
    [value] = [m.value for m in app.metric if m.label == text(key, "ja")]
    return str(value)


def _left(workspace: Path) -> str:
    """ε left in the tightest month of the airline's ledger, as the panel prints it."""
    rho = min(budget.remaining_rho for budget in Ledger.in_workspace(workspace).budgets())
    return f"{epsilon_at_default_delta(rho).epsilon:.2f}"


def test_gauge_after_a_release_shows_the_new_figures(page: OpenPage, dashboard: Path) -> None:
    """After the run: ε left drops to the ledger's figure, the count of releases falls, cached."""
    app = page("preboarding")
    app.slider(key="preboarding:epsilon").set_value(0.3).run()  # a spec no other test ran
    before = _metric(app, "cost.remaining")
    more = _metric(app, "cost.more")
    assert more != "–"
    assert not any(i.value == text("cost.cached", "ja") for i in app.info)
    app.button(key="run:preboarding").click().run()
    assert not app.exception and not app.error
    after = _metric(app, "cost.remaining")
    assert after == _left(dashboard) and float(after) < float(before)
    assert _metric(app, "cost.more") == "–"  # shown again from the cache, it costs nothing
    assert any(i.value == text("cost.cached", "ja") for i in app.info)
    assert app.button(key="run:preboarding").disabled  # drawn locked while it ran


def test_home_and_ledger_show_total_used_and_left_per_month(page: OpenPage) -> None:
    """The gauge's table: one row per month in words, ε total / used / left, and why."""
    for name in ("home", "ledger"):
        app = page(name)
        assert not app.exception
        [table] = [frame for frame in app.dataframe if "total_epsilon" in frame.value]
        assert list(table.value.columns) == [
            "label",
            "total_epsilon",
            "spent_epsilon",
            "remaining_epsilon",
        ]
        assert all("@" not in label for label in table.value["label"])
        assert any(c.value == text("budget.why", "ja") for c in app.caption)
