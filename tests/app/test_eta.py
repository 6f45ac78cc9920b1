"""Tests of the time-left estimate on the progress bar (app.eta)."""

from __future__ import annotations

import pytest

from app.eta import time_left_text
from foundation.pace import seconds_left


def test_the_estimate_is_the_pace_so_far_times_the_work_left() -> None:
    assert seconds_left(10.0, 0.25) == pytest.approx(30.0)
    assert seconds_left(3.0, 0.5) == pytest.approx(3.0)


@pytest.mark.parametrize("fraction", [0.0, 0.01, 1.0])
def test_nothing_is_said_too_early_or_when_done(fraction: float) -> None:
    assert seconds_left(5.0, fraction) is None
    assert time_left_text(5.0, fraction) == ""


def test_words_in_japanese_by_default_and_in_english() -> None:
    assert time_left_text(10.0, 0.25) == "残り約 30 秒"
    assert time_left_text(10.0, 0.25, "en") == "about 30 s left"
    assert time_left_text(60.0, 0.25) == "残り約 3 分"  # 180 s: whole minutes
    assert time_left_text(0.01, 0.99) == "残り約 1 秒"  # never "0 seconds"
