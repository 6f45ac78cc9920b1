"""The carrier node's preparation progress lines (cli.nodes)."""

from __future__ import annotations

import re

import pytest

from cli.nodes import _progress_lines


def test_each_step_done_is_a_line_with_the_time_left_after_the_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    say = _progress_lines("carrier views")
    for done in range(1, 4):
        say("views", done, 3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("carrier views: 1 of 3")
    assert re.fullmatch(r"carrier views: 2 of 3 \(about \d+ s left\)", lines[1])
    assert lines[2] == "carrier views: 3 of 3"  # done: nothing left to estimate
