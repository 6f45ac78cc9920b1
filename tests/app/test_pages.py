"""Every dashboard page driven through AppTest against the real service on the tiny world.

The deck checks read the ``deck_gl_json_chart`` spec exactly as the browser receives it: layers
of released values carry only released fields, and no suppressed cell or area carries a number.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import text
from engine.ledger import Ledger

PAGES = (
    "home",
    "visit_map",
    "flows",
    "repeat",
    "furusato",
    "preboarding",
    "hokkaido",
    "ledger",
    "method",
)
# The keys a record of each released layer may have; context layers carry no released value.
TIP = {"place", "day", "status"}  # tooltip words, never a number of people
PUBLISHED = {"code", "title", "tip", "suppressed", "value", "ci95", "fill"} | TIP
ALLOWED = {
    "cells": PUBLISHED | {"polygon"},
    "cells-suppressed": {"code", "title", "tip", "suppressed", "polygon"} | TIP,
    "areas": PUBLISHED | {"position", "radius"},
    "areas-suppressed": {"code", "title", "tip", "suppressed", "position"} | TIP,
    "arcs": {"code", "title", "tip", "value", "ci95", "source", "target", "width"} | TIP,
}
# The ground, labels and scale bar: reference data, never a released value.
CONTEXT = {
    "sea", "land", "municipal-lines", "prefecture-lines", "region", "places", "airports",
    "airport-names", "scale-bar", "scale-text", "cells-hatch",
}  # fmt: skip
WIDE_DATES = (dt.date(2025, 8, 1), dt.date(2025, 8, 14))

OpenPage = Callable[..., AppTest]


def assert_clean(app: AppTest) -> None:
    """No exception and no error box on the page."""
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def decks(app: AppTest) -> list[dict[str, Any]]:
    """The specs of every pydeck chart on the page, as the browser receives them."""
    return [json.loads(element.proto.json) for element in app.get("deck_gl_json_chart")]


def charts_shown(app: AppTest) -> int:
    """Charts drawn, counting one whose values were all withheld (it says so instead)."""
    words = {text("release.empty", lang) for lang in ("ja", "en")}
    withheld = [info for info in app.info if info.value in words]
    return len(app.get("vega_lite_chart")) + len(withheld)


def layers(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Layer id → its data records."""
    return {layer["id"]: layer.get("data", []) for layer in spec["layers"]}


def run(app: AppTest, key: str) -> AppTest:
    """Press a run button and wait for the rerun; the page must stay clean."""
    app.button(key=key).click().run()
    assert_clean(app)
    return app


def check_released_only(spec: dict[str, Any], threshold: int = 10) -> int:
    """Assert the deck's released layers hold only released fields; return suppressed records."""
    hidden = 0
    for layer_id, records in layers(spec).items():
        if layer_id in CONTEXT:
            assert not any("value" in record for record in records), layer_id
            continue
        allowed = ALLOWED["arcs" if layer_id.startswith("arcs-") else layer_id]
        for record in records:
            assert set(record) <= allowed, (layer_id, set(record) - allowed)
            if record.get("suppressed"):
                hidden += 1
                assert_no_number(record)
            else:
                assert record["value"] >= 0
    return hidden


def assert_no_number(record: dict[str, Any]) -> None:
    """A suppressed record: no value, interval or colour; its tooltip words hold no digit."""
    assert not {"value", "ci95", "fill", "radius", "width"} & set(record)
    assert not re.search(r"\d", record["tip"])
    for key, item in record.items():
        if key not in ("polygon", "position"):
            assert isinstance(item, str | bool), (key, item)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_renders_in_both_languages(page: OpenPage, name: str, lang: str) -> None:
    """Each page renders without error, titled in the chosen language."""
    app = page(name, lang)
    assert_clean(app)
    key = {"visit_map": "visit", "home": "home"}.get(name, name)
    assert app.title[0].value == text(f"{key}.title", lang)


def test_main_routes_home_in_japanese_and_switches_to_english(main_app: AppTest) -> None:
    """The entry point opens Home in Japanese; the sidebar switch turns it English."""
    assert_clean(main_app)
    assert main_app.title[0].value == text("home.title", "ja")
    main_app.session_state["lang"] = "en"
    main_app.run()
    assert main_app.title[0].value == text("home.title", "en")


def test_visit_map_shows_cost_before_running(page: OpenPage) -> None:
    """Before the run: ε cost and remaining budget are shown, and no map is drawn yet."""
    app = page("visit_map")
    app.slider(key="visit:epsilon").set_value(0.9).run()  # a spec no other test of the session ran
    labels = [metric.label for metric in app.metric]
    assert text("cost.epsilon", "ja") in labels and text("cost.remaining", "ja") in labels
    assert app.metric[0].value == "0.9"
    assert not decks(app)


def test_visit_map_deck_carries_only_released_fields(page: OpenPage) -> None:
    """After the release, cells and arcs hold released fields only; withheld cells no number.

    The tiny world's busiest cell holds 12 people a day, below the ±28 of ε = 2: the rule
    withholds every cell (a published one would have to exceed its interval).
    """
    app = page("visit_map")
    app.date_input(key="visit:dates").set_value(WIDE_DATES).run()
    app.slider(key="visit:epsilon").set_value(2.0).run()
    run(app, "run:visit")
    [spec] = decks(app)
    found = layers(spec)
    assert check_released_only(spec) > 0, "cells are withheld on the tiny world"
    assert all(record["value"] > record["ci95"] for record in found["cells"])
    assert spec["initialViewState"]["pitch"] == 0  # top-down by default
    assert app.get("download_button"), "CSV and GeoJSON downloads are offered"


def test_visit_map_population_and_share_views(page: OpenPage) -> None:
    """All visitors needs the carrier's population release; the share view follows from both."""
    app = page("visit_map")
    run(app, "run:visit")
    app.radio(key="visit:view").set_value("visitors").run()
    assert app.button(key="run:visit-population"), "the population release is offered"
    run(app, "run:visit-population")
    check_released_only(decks(app)[0])
    app.radio(key="visit:view").set_value("share").run()
    assert_clean(app)
    spec = decks(app)[0]
    check_released_only(spec)
    assert all(record["value"] >= 0 for record in layers(spec)["cells"])


def test_visit_map_day_level_and_area_change_only_the_drawing(page: OpenPage) -> None:
    """Another day, a coarser mesh or one municipality redraw the same release at no cost."""
    app = page("visit_map")
    run(app, "run:visit")
    app.toggle(key="visit:arcs").set_value(False).run()
    app.segmented_control(key="visit:offset").set_value(1).run()
    app.selectbox(key="visit:level:nanki_shirahama").set_value(2).run()
    assert_clean(app)
    spec = decks(app)[0]
    check_released_only(spec)
    codes = [r["code"] for r in layers(spec)["cells"] + layers(spec)["cells-suppressed"]]
    assert codes and all(len(code) == 6 for code in codes)
    assert spec["initialViewState"]["pitch"] == 0
    app.selectbox(key="visit:area:nanki_shirahama").set_value("30401").run()
    assert_clean(app)


def test_flows_page_draws_arcs_and_profiles(page: OpenPage) -> None:
    """Flows: arcs to published municipalities; time: hour and age × gender charts."""
    app = page("flows")
    app.date_input(key="flows:dates").set_value(WIDE_DATES).run()
    run(app, "run:flows")
    [spec] = decks(app)
    check_released_only(spec)
    assert "arcs-SHM" in layers(spec)
    run(app, "run:profile")
    assert charts_shown(app) >= 3  # hours, age × gender; the top places (or: none published)


def test_repeat_page_compares_airports(page: OpenPage) -> None:
    """One release per chosen airport; first-timers and repeaters side by side."""
    app = page("repeat")
    run(app, "run:repeat:SHM,repeat:TAK")
    labels = [metric.label for metric in app.metric]
    assert labels.count(text("repeat.first", "ja")) == 2
    assert charts_shown(app)


def test_furusato_page_shows_visit_rates(page: OpenPage) -> None:
    """Donors against the comparison cohort, as rates with intervals."""
    app = page("furusato")
    run(app, "run:furusato")
    assert charts_shown(app) and app.dataframe


def test_preboarding_page_compares_morning_and_afternoon(page: OpenPage) -> None:
    """Two charts: morning and afternoon flights."""
    app = page("preboarding", "en")
    run(app, "run:preboarding")
    assert charts_shown(app) == 2


def test_hokkaido_page_draws_three_airports(page: OpenPage) -> None:
    """Arcs from MMB, KUH and SHB, and the overlap table."""
    app = page("hokkaido")
    app.date_input(key="hokkaido:dates").set_value(WIDE_DATES).run()
    run(app, "run:hokkaido")
    [spec] = decks(app)
    check_released_only(spec)
    assert {"arcs-MMB", "arcs-KUH", "arcs-SHB"} <= set(layers(spec))
    none = text("hokkaido.none_published", "ja")
    assert app.dataframe or any(info.value == none for info in app.info)


def test_ledger_reopens_a_release_at_no_cost(page: OpenPage, dashboard: Path) -> None:
    """Reopening a past release spends no budget and shows it again, map included."""
    run(page("visit_map"), "run:visit")
    app = page("ledger")
    ledger = Ledger.in_workspace(dashboard)
    before = [budget.remaining_rho for budget in ledger.budgets()]
    visit = next(str(r.id) for r in ledger.releases() if r.summary.startswith("visit-map"))
    app.selectbox(key="ledger:pick").set_value(visit).run()
    app.button(key="ledger:reopen").click().run()
    assert_clean(app)
    assert [budget.remaining_rho for budget in ledger.budgets()] == before
    assert any(text("ledger.reopened", "ja", id=visit) in m.value for m in app.markdown)
    check_released_only(decks(app)[0])


def test_method_page_states_the_n03_credit(page: OpenPage) -> None:
    """The Method page names the three stages and credits MLIT's N03 data."""
    app = page("method")
    assert any("国土数値情報（行政区域データ）" in c.value for c in app.caption)
    body = " ".join(m.value for m in app.markdown)
    for stage in ("deidentify", "aggregate", "disclose"):
        assert text(f"method.{stage}.title", "ja") in body


def test_compare_page_runs_both_releases_and_speaks_japanese(page: OpenPage) -> None:
    """Two periods of SHM flows: one button runs both (their joint cost shown first); the page
    then compares them or says nothing could be shown, in Japanese."""
    app = page("compare")
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    labels = [metric.label for metric in app.metric]
    assert text("cost.epsilon", "ja") in labels
    app.slider(key="compare:epsilon").set_value(0.1).run()  # the module's workspace shares a budget
    run(app, "run:compare:a,compare:b")
    shown = " ".join(
        [*(m.value for m in app.markdown), *(i.value for i in app.info)]
        + [str(frame.value.columns.tolist()) for frame in app.dataframe]
    )
    assert text("compare.col_verdict", "ja") in shown or text("release.empty", "ja") in shown


def test_hourly_page_plays_the_hours_back(page: OpenPage) -> None:
    """After the release: an hour slider, a play toggle, and each hour's map; playing moves the
    hour on by one per run of the fragment."""
    app = page("hourly")
    app.slider(key="hourly:epsilon").set_value(0.1).run()  # the module's workspace shares a budget
    run(app, "run:hourly")
    assert app.slider(key="hourly:hour").value == 8
    [deck] = decks(app)
    assert "land" in {layer["id"] for layer in deck["layers"]}
    app.toggle(key="hourly:play").set_value(True).run()
    assert_clean(app)
    assert app.slider(key="hourly:hour").value == 9
