"""``crossmesh generate`` writes the world, reports progress on stderr and a summary on stdout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.generate  # noqa: F401  (registers the command)
from cli import _register, app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A runner for the full command set (every command module registered)."""
    _register()
    return CliRunner()


def test_generate_tiny_writes_world_and_summary(runner: CliRunner, tmp_path: Path) -> None:
    """The command writes the folders and manifest and lists rows per file."""
    out = tmp_path / "world"
    result = runner.invoke(app, ["generate", "--scale", "tiny", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["scale"], manifest["seed"]) == ("tiny", 3)
    assert "carrier/observations.parquet" in result.stdout
    assert f"{manifest['rows']['airline/members.csv']:,} rows" in result.stdout
    assert "chunk 1 of" in result.stderr
    # From the second chunk on, an estimate of the time left from the pace so far.
    assert re.search(r"chunk 2 of 3 \(about \d+ s left\)", result.stderr)
    assert (out / "carrier" / "observations.parquet").is_file()


def test_default_folder_is_data_slash_scale(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out the world goes to data/<scale> under the working directory."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["generate", "--scale", "tiny"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "data" / "tiny" / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 7


def test_unknown_scale_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """An unknown scale is a usage error and writes nothing."""
    result = runner.invoke(app, ["generate", "--scale", "huge", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "huge" in result.output
    assert not (tmp_path / "x").exists()
