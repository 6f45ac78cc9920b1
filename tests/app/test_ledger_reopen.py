"""A past release reopens on the ledger page as the chart it was, its table folded below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.i18n import text
from engine.ledger import Ledger

OpenPage = Callable[..., AppTest]


def _reopen(page: OpenPage, workspace: Path, kind: str) -> AppTest:
    """Open the ledger and reopen the newest release of ``kind``."""
    app = page("ledger")
    chosen = next(str(r.id) for r in Ledger.in_workspace(workspace).releases()[::-1]
                  if r.summary.startswith(kind))  # fmt: skip
    app.selectbox(key="ledger:pick").set_value(chosen).run()
    app.button(key="ledger:reopen").click().run()
    assert not app.exception and not app.error
    return app


def test_preboarding_reopens_as_its_two_charts(page: OpenPage, dashboard: Path) -> None:
    """Morning and afternoon charts, as on the pre-boarding page; the table in an expander."""
    page("preboarding").button(key="run:preboarding").click().run()
    app = _reopen(page, dashboard, "preboarding")
    assert len(app.get("vega_lite_chart")) == 1 + 2  # the budget gauge, then the two halves
    assert text("ledger.table", "ja") in [e.label for e in app.expander]
    assert any(text("col.half", "ja") in frame.value.columns for frame in app.dataframe)


def test_repeat_reopens_as_its_metrics_and_chart(page: OpenPage, dashboard: Path) -> None:
    """First-timers and repeaters, then the distribution chart."""
    page("repeat").button(key="run:repeat:SHM,repeat:TAK").click().run()
    app = _reopen(page, dashboard, "repeat")
    assert text("repeat.first", "ja") in [metric.label for metric in app.metric]
    assert len(app.get("vega_lite_chart")) == 1 + 1  # the budget gauge, the distribution
