"""The ledger in the reader's words: Japanese actions, scopes, kinds, details and JST times."""

from __future__ import annotations

import functools

import pandas as pd

from app.i18n import text
from app.ledger_text import (
    actor_text,
    audit_for_people,
    detail_text,
    jst,
    scope_text,
    summary_text,
)

JA = functools.partial(text, lang="ja")
EN = functools.partial(text, lang="en")


def test_utc_times_are_shown_in_jst() -> None:
    """A stored UTC time is nine hours later in Japan; a naive stamp means UTC."""
    assert jst("2026-12-02T15:30:00+00:00") == "2026-12-03 00:30"
    assert jst("2026-12-02T15:30:00") == "2026-12-03 00:30"
    assert jst("not a time") == "not a time"


def test_scopes_read_as_dataset_and_month() -> None:
    """airline+carrier@2025-08 is 航空×通信 2025年8月; several scopes are listed."""
    assert scope_text("airline+carrier@2025-08", JA) == "航空×通信 2025年8月"
    assert scope_text("carrier@2025-08,carrier@2025-09", EN) == (
        "Carrier subscribers 8/2025, Carrier subscribers 9/2025"
    )
    assert scope_text("", JA) == ""


def test_known_details_are_translated_and_unknown_ones_kept() -> None:
    """The ledger's fixed phrases become Japanese; anything else is shown as stored."""
    assert detail_text("reservation 5 stays spent: StopException", JA) == (
        "予約 5 は中断されました（予算は消費済みのまま）"
    )
    assert detail_text("reservation 3 → release 2; visit-map SHM", JA) == "予約 3 → 公開 2"
    assert detail_text("something new", JA) == "something new"
    assert summary_text("visit-map SHM 2025-08-01–2025-08-31 ε=1", JA).startswith("訪問マップ SHM")


def test_the_audit_table_has_no_english_left_in_japanese() -> None:
    """Every technical word of a typical log becomes Japanese."""
    log = pd.DataFrame(
        {
            "at": ["2026-12-02T01:00:00+00:00"] * 3,
            "actor": ["airline", "carrier", "admin:hanako"],
            "action": ["cache_hit", "abandon", "set_budget"],
            "scope": ["airline+carrier@2025-08", "carrier@2025-08", "carrier@2025-09"],
            "epsilon": [None, None, None],
            "detail": ["served release 4; nothing spent", "reservation 5 stays spent: X",
                       "total ρ 0.5 → 1"],
        }
    )  # fmt: skip
    shown = audit_for_people(log, JA)
    words = " ".join(shown.drop(columns="epsilon").astype(str).to_numpy().ravel())
    for english in ("cache_hit", "abandon", "reservation", "airline", "carrier", "served", "total"):
        assert english not in words
    assert actor_text("admin:hanako", JA) == "管理者 (hanako)"
