"""Tests of ``crossmesh validate DIR``: per-file counts, shown rejections, report and exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner, Result

import cli.validate  # noqa: F401  (registers the validate command on the main app)
from cli import app

MEMBERS = ["member_id,phone,age_band,gender,home_prefecture", "M1,090-1234-5678,30-39,F,13"]
GOOD_FLIGHT = "M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00"
EARLY_ARRIVAL = "M1,JL0515,HND,CTS,2025-08-02T09:30:00,2025-08-02T08:05:00"
BOARDINGS = [
    "member_id,flight,origin,destination,departure,arrival",
    EARLY_ARRIVAL,
    EARLY_ARRIVAL.replace("JL0515", "JL0517"),
    GOOD_FLIGHT,
    EARLY_ARRIVAL.replace("JL0515", "JL0519"),
    GOOD_FLIGHT.replace("JL0513", "JL0511"),
]
SUBSCRIBERS = [
    "subscriber_id,phone,age_band,gender,home_municipality,opt_out",
    "S1,09012345678,30-39,F,13101,0",
    "S2,09012345679,30-39,F,13101,0",
]
OBSERVATIONS = ["subscriber_id,observed_at,lat,lon", "S1,2025-08-01T12:00:00,43.06,141.35"]


def write(path: Path, lines: list[str]) -> None:
    """Write ``lines`` as a UTF-8 file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def invoke(*args: str) -> Result:
    """Run ``crossmesh validate ARGS`` through typer's CliRunner on the main app.

    A Typer app holding a single command runs it directly, so the command name is passed only
    when other command modules have turned the app into a group.
    """
    is_group = isinstance(typer.main.get_command(app), TyperGroup)
    argv = ["validate", *args] if is_group else list(args)
    return CliRunner().invoke(app, argv)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Both parties' files; boarding rows 2, 3 and 5 have arrivals before departure."""
    write(tmp_path / "airline" / "members.csv", MEMBERS)
    write(tmp_path / "airline" / "boardings.csv", BOARDINGS)
    write(tmp_path / "carrier" / "subscribers.csv", SUBSCRIBERS)
    write(tmp_path / "carrier" / "observations.csv", [*OBSERVATIONS, "S2,noon,43.06,141.35"])
    return tmp_path


def test_prints_counts_per_file_and_exits_zero_with_rejections(inputs: Path) -> None:
    """Rejected rows are reported but do not fail the command."""
    result = invoke(str(inputs))
    assert result.exit_code == 0, result.output
    assert "members.csv: read 1, kept 1, duplicates 0, rejected 0, warnings 0" in result.output
    assert "boardings.csv: read 5, kept 2, duplicates 0, rejected 3" in result.output
    assert "observations.csv: read 2, kept 1, duplicates 0, rejected 1" in result.output
    assert "row 3 (header is row 1), field 'observed_at'" in result.output


def test_show_limits_the_rejections_printed(inputs: Path) -> None:
    """--show 1 prints one rejection per file and says how many more there are."""
    result = invoke(str(inputs), "--show", "1")
    assert result.output.count("field 'arrival'") == 1
    assert "… 2 more" in result.output


def test_report_writes_every_rejection(inputs: Path, tmp_path: Path) -> None:
    """--report FILE.csv holds all rejections with file, row, field and reason."""
    target = tmp_path / "out" / "report.csv"
    result = invoke(str(inputs), "--show", "0", "--report", str(target))
    assert result.exit_code == 0
    report = pd.read_csv(target)
    assert list(report.columns) == ["file", "row", "field", "severity", "reason"]
    assert sorted(zip(report["file"], report["row"], strict=True)) == [
        ("boardings.csv", 2),
        ("boardings.csv", 3),
        ("boardings.csv", 5),
        ("observations.csv", 3),
    ]


def test_a_party_folder_can_be_given_directly(inputs: Path) -> None:
    """DIR may be the carrier folder itself."""
    result = invoke(str(inputs / "carrier"))
    assert result.exit_code == 0 and "subscribers.csv" in result.output
    assert "members.csv" not in result.output


def test_missing_required_column_exits_two(inputs: Path) -> None:
    """A file-level problem prints one error naming file and column and exits with status 2."""
    write(inputs / "carrier" / "observations.csv", ["subscriber_id,observed_at,lat", "S1,x,1"])
    result = invoke(str(inputs))
    assert result.exit_code == 2
    assert "observations.csv" in result.stderr and "'lon'" in result.stderr
    assert "members.csv: read 1" in result.stdout


def test_folder_without_inputs_exits_two(tmp_path: Path) -> None:
    """A folder with no party files is a file-level error."""
    result = invoke(str(tmp_path))
    assert result.exit_code == 2 and "neither airline/ nor carrier/" in result.stderr


def test_output_never_contains_phone_numbers(inputs: Path) -> None:
    """An invalid phone is reported by position and reason only."""
    write(inputs / "carrier" / "subscribers.csv", [*SUBSCRIBERS, "S3,03-5555-6666,30-39,F,13101,0"])
    result = invoke(str(inputs))
    assert "field 'phone'" in result.output and "5555" not in result.output


def test_a_file_with_every_row_rejected_exits_2_after_its_report(tmp_path: Path) -> None:
    """Epoch integers for every departure: the counts are printed, then exit 2."""
    write(tmp_path / "airline" / "members.csv", MEMBERS)
    write(
        tmp_path / "airline" / "boardings.csv",
        [BOARDINGS[0], "M1,JL0513,HND,CTS,1754008200,1754013900"],
    )
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "boardings.csv: read 1, kept 0, duplicates 0, rejected 1" in result.output
    assert "none of its 1 data rows could be used" in result.output


def test_header_only_file_exits_2(tmp_path: Path) -> None:
    """A members file with only its header is an error, not a success."""
    write(tmp_path / "airline" / "members.csv", MEMBERS[:1])
    write(tmp_path / "airline" / "boardings.csv", BOARDINGS)
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "has no data rows" in result.output
