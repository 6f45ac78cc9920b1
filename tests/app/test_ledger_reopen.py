"""Every past release reopens on the ledger page as the chart or map it was, its table folded.

One release of every kind is made once for the module (tiny ε, through the service the pages
use), then each is reopened from the ledger: the page must draw what the kind's own page draws —
its map (with base layers and the PNG button) or its charts — and never fall back to a bare
table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import text
from engine.parallel import SCHEDULER_ENV
from engine.queries import KINDS, QuerySpec
from engine.service import CrossmeshService
from tests.app.deck_checks import check_deck

OpenPage = Callable[..., AppTest]
EPSILON = 0.2  # small: the session's workspace shares its budget with the other app tests
SPECS: dict[str, dict[str, Any]] = {
    "visit-map": {"airport": "SHM", "days": 2},
    "flows": {"airport": "SHM", "days": 2},
    "profile": {"airport": "SHM", "days": 2},
    "hourly": {"airport": "SHM", "days": 2},
    "repeat": {"airport": "SHM"},
    "furusato": {"municipality": "30401", "months_after": 1},
    "preboarding": {"airport": "HND"},
    "hokkaido": {"days": 2},
    "population": {"region": "nanki_shirahama"},
}
BASE = {"sea", "land", "municipal-lines", "prefecture-lines", "places", "scale-bar"}


@pytest.fixture(scope="module")
def released(workspace: Path, tiny_dir: Path) -> Iterator[dict[str, str]]:
    """Kind → ledger id of one release of that kind, made through the service."""
    before = os.environ.get(SCHEDULER_ENV)
    os.environ[SCHEDULER_ENV] = "synchronous"
    service = CrossmeshService.open(workspace, tiny_dir)
    try:
        status = service.status()
        assert status.start is not None
        start, end = status.start, status.start + dt.timedelta(days=6)
        for kind, fields in SPECS.items():
            spec = QuerySpec(kind=kind, start=start, end=end, epsilon=EPSILON, **fields)
            service.release(service.fit(spec))
        # Newest first: the first id of each kind (a population release is the carrier's: c…).
        newest: dict[str, str] = {}
        for row in service.releases():
            newest.setdefault(row.kind, str(row.release_id))
    finally:
        service.close()
        if before is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = before
    yield newest


def _reopen(page: OpenPage, release_id: str) -> AppTest:
    app = page("ledger")
    app.selectbox(key="ledger:pick").set_value(release_id).run()
    app.button(key="ledger:reopen").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def _decks(app: AppTest) -> list[dict[str, Any]]:
    return [json.loads(element.proto.json) for element in app.get("deck_gl_json_chart")]


def _layer_ids(app: AppTest) -> set[str]:
    return {layer["id"] for deck in _decks(app) for layer in deck["layers"]}


def _charts(app: AppTest) -> int:
    """Vega-Lite charts other than the budget gauge at the top of the ledger."""
    return len(app.get("vega_lite_chart")) - 1


def _says_none_published(app: AppTest) -> bool:
    words = {text("release.empty", "ja"), text("hokkaido.none_published", "ja")}
    return any(info.value in words for info in app.info)


# kind → what its page draws: map layers that must be present, and the least number of charts
# (flows and East Hokkaido draw theirs when a value is published, else they say none is).
DRAWN: dict[str, tuple[set[str], int]] = {
    "visit-map": ({"cells", "cells-suppressed"}, 0),
    "flows": ({"areas", "areas-suppressed", "arcs-SHM"}, 2),
    "profile": (set(), 2),
    "hourly": ({"areas", "areas-suppressed"}, 0),
    "repeat": (set(), 1),
    "furusato": (set(), 1),
    "preboarding": (set(), 2),
    "hokkaido": ({"arcs-KUH", "arcs-MMB", "arcs-SHB"}, 1),
    "population": ({"cells", "cells-suppressed"}, 0),
}


def test_every_kind_is_covered() -> None:
    assert set(DRAWN) == set(KINDS) == set(SPECS)


@pytest.mark.parametrize("kind", sorted(DRAWN))
def test_a_past_release_reopens_as_its_page_draws_it(
    page: OpenPage, dashboard: Path, released: dict[str, str], kind: str
) -> None:
    """The kind's map (ground, names, scale, PNG button) or charts; the table folded below."""
    app = _reopen(page, released[kind])
    layers, charts = DRAWN[kind]
    if layers:
        assert layers | BASE <= _layer_ids(app), sorted(_layer_ids(app))
        for spec in _decks(app):
            check_deck(spec)
        assert any(b.proto.label == text("download.png", "ja") for b in app.get("download_button"))
    assert _charts(app) >= charts or _says_none_published(app)
    assert text("ledger.table", "ja") in [e.label for e in app.expander]


def test_repeat_reopens_with_its_first_timer_metrics(
    page: OpenPage, dashboard: Path, released: dict[str, str]
) -> None:
    app = _reopen(page, released["repeat"])
    assert text("repeat.first", "ja") in [metric.label for metric in app.metric]


def test_furusato_reopens_with_its_plain_verdicts(
    page: OpenPage, dashboard: Path, released: dict[str, str]
) -> None:
    app = _reopen(page, released["furusato"])
    assert any(text("furusato.offset", "ja") in m.value for m in app.markdown)
