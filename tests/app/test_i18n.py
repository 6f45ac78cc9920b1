"""The i18n table: both languages complete, the same fields, and every key the app uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, TEXT, fields, has_text, text

APP = Path(__file__).resolve().parents[2] / "app"
# Keys built at run time from a prefix and a released or fixed value.
DYNAMIC = {
    "step.": ("start", "join", "scope", "sums", "noise", "decrypt", "done", "cached"),
    "mechanism.": ("gaussian", "laplace"),
    "scale.": ("tiny", "demo", "large"),
    "dataset.": ("airline+carrier", "carrier"),
    "visit.view.": ("passengers", "visitors", "share"),
    "mesh.level.": ("1", "2", "3", "4", "5", "6"),
    "cat.location_class.": ("home", "airport", "elsewhere"),
    "cat.half.": ("am", "pm"),
    "cat.cohort.": ("donor", "comparison"),
    "cat.residency.": ("resident", "visitor"),
    "cat.gender.": ("F", "M", "unknown"),
    "cat.age.": ("20-29", "30-39", "40-49", "50-59", "60-69", "70+", "unknown"),
}


def test_japanese_is_the_default() -> None:
    """Without a choice the dashboard speaks Japanese; English is offered."""
    assert DEFAULT_LANGUAGE == "ja" and set(LANGUAGES) == {"ja", "en"}
    assert text("page.visit") == "訪問・滞在エリア"
    assert text("page.visit", "en") == "Visit map"


def test_both_languages_have_every_key() -> None:
    """Japanese and English define exactly the same keys."""
    assert set(TEXT["ja"]) == set(TEXT["en"])


@pytest.mark.parametrize("key", sorted(TEXT["ja"]))
def test_both_languages_fill_the_same_fields(key: str) -> None:
    """A translation uses the same {fields} as the Japanese text."""
    assert fields(TEXT["ja"][key]) == fields(TEXT["en"][key])


def test_every_literal_key_in_the_app_exists() -> None:
    """Every tr("…") and text("…") with a literal key in app/ names a key of the table."""
    pattern = re.compile(r"""\b(?:tr|text)\(\s*["']([a-z_.+0-9-]+)["']""")
    used = {
        key
        for path in APP.rglob("*.py")
        for key in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 100
    assert sorted(key for key in used if not has_text(key)) == []


def test_every_dynamic_key_exists() -> None:
    """Keys composed from released labels exist for every label the engine can release."""
    missing = [
        prefix + value
        for prefix, values in DYNAMIC.items()
        for value in values
        if not has_text(prefix + value)
    ]
    assert missing == []


def test_text_fills_fields_and_falls_back_to_japanese() -> None:
    """Fields are filled in; an unknown language gets Japanese."""
    assert text("visit.day_after", "en", n=2) == "Day +2"
    assert text("visit.day_after", "fr", n=2) == "2日後"


def test_every_page_has_its_menu_title_card_and_heading() -> None:
    """Each page of the navigation has a menu title, a heading and (but home) a home card."""
    from app.navigation import PAGES

    for entry in PAGES:
        assert has_text(f"page.{entry.key}") and has_text(f"{entry.key}.title")
        assert entry.key == "home" or has_text(f"card.{entry.key}")
    for stage in ("deidentify", "aggregate", "disclose"):
        assert has_text(f"method.{stage}.title") and has_text(f"method.{stage}.body")
