"""Tests for ``crossmesh geo``: import, regions and airports sub-commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.geo  # noqa: F401  (registers the geo sub-app on the top-level app)
from cli import app
from foundation.errors import InputError
from geo.areas import IMPORT_FILE_NAME
from geo.places import AIRPORTS, REGIONS, region_domain

SHARED_GEO = Path(__file__).resolve().parents[3] / ".." / "shared" / "geo"
runner = CliRunner()


def test_regions_lists_every_region_with_its_domain_size() -> None:
    """`geo regions` prints each region id with its airports and domain cell count."""
    result = runner.invoke(app, ["geo", "regions"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == set(REGIONS)
    shirahama = lines["nanki_shirahama"].split()
    assert shirahama[1:4] == ["SHM", "3rd", str(len(region_domain("nanki_shirahama")))]
    assert shirahama[4] == str(len(REGIONS["nanki_shirahama"].municipality_codes))


def test_airports_lists_study_and_origin_airports() -> None:
    """`geo airports` prints all ten airports, HND and ITM as origins."""
    result = runner.invoke(app, ["geo", "airports"])
    assert result.exit_code == 0, result.output
    roles = {line.split()[0]: line.split()[1] for line in result.output.splitlines()[1:]}
    assert set(roles) == set(AIRPORTS)
    assert roles["HND"] == roles["ITM"] == "origin"
    assert roles["SHM"] == "study"


def test_import_prints_a_summary_and_writes_the_import(tmp_path: Path) -> None:
    """`geo import PATH --out DIR` writes the GeoParquet import and reports counts and credit."""
    source = SHARED_GEO / "N03-21_13_210101.json"
    if not source.is_file():
        pytest.skip("shared N03 files are not available")
    result = runner.invoke(app, ["geo", "import", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "63 features, 62 municipalities" in result.output
    assert "skipped 1: no municipality code" in result.output
    assert "国土数値情報" in result.output
    assert (tmp_path / IMPORT_FILE_NAME).is_file()


def test_import_of_a_broken_file_raises_input_error(tmp_path: Path) -> None:
    """A GeoJSON without N03 properties ends in InputError, for main() to show as one line."""
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "x"},
                        "geometry": {"type": "Point", "coordinates": [135.0, 33.0]},
                    }
                ],
            }
        ),
        "utf-8",
    )
    result = runner.invoke(app, ["geo", "import", str(broken), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, InputError)
    assert "N03_004" in str(result.exception)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [[], ["import"], ["regions"], ["airports"]])
def test_every_command_has_help(command: list[str]) -> None:
    """`--help` works on the geo group and each sub-command."""
    result = runner.invoke(app, ["geo", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
