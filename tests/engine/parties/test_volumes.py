"""The carrier's volume log (engine.parties.volumes): points re-blinded per month, capped."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.parties.volumes import VolumeLog
from foundation.errors import ProtocolError


def test_points_add_up_per_month_and_survive_a_reopen(tmp_path: Path) -> None:
    """Every month a query reads is charged its points; a new log on the file sees them."""
    log = VolumeLog(tmp_path / "volumes.sqlite", 1_000)
    log.charge(["2025-08", "2025-09"], 300)
    log.charge(["2025-09"], 200)
    again = VolumeLog(tmp_path / "volumes.sqlite", 1_000)
    assert (again.used("2025-08"), again.used("2025-09"), again.used("2025-10")) == (300, 500, 0)


def test_a_query_past_the_monthly_cap_is_refused_and_charges_nothing(tmp_path: Path) -> None:
    """A query that would pass the cap in one of its months is refused in every month."""
    log = VolumeLog(tmp_path / "volumes.sqlite", 1_000)
    log.charge(["2025-09"], 900)
    with pytest.raises(ProtocolError, match="monthly cap"):
        log.charge(["2025-08", "2025-09"], 200)
    assert (log.used("2025-08"), log.used("2025-09")) == (0, 900)
