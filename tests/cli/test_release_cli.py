"""``crossmesh prepare``, ``release`` and ``budget --party``: the secure pipeline from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import cli.ledger
import cli.prepare
import cli.release  # noqa: F401
from cli import app


def test_prepare_release_and_both_budgets(tiny_dir: Path, tmp_path: Path) -> None:
    """Prepare, release a visit map to CSV with metadata, then read both parties' budgets."""
    runner = CliRunner()
    workspace = tmp_path / "ws"
    prepared = runner.invoke(
        app, ["prepare", "--data", str(tiny_dir), "--workspace", str(workspace)]
    )
    assert prepared.exit_code == 0, prepared.output
    assert "prepare done" in prepared.output
    out = tmp_path / "shm.csv"
    released = runner.invoke(
        app,
        [
            "release", "--query", "visit-map", "--airport", "SHM", "--from", "2025-08-01",
            "--to", "2025-08-12", "--epsilon", "1", "--workspace", str(workspace),
            "--data", str(tiny_dir), "--out", str(out),
        ],
    )  # fmt: skip
    assert released.exit_code == 0, released.output
    frame = pd.read_csv(out, dtype=str)
    assert {"day_offset", "mesh_code", "value", "ci95"} <= set(frame.columns)
    metadata = json.loads(Path(f"{out}.json").read_text(encoding="utf-8"))
    assert metadata["epsilon"] == 1.0
    for party, scope in (("airline", "airline+carrier@2025-08"), ("carrier", "carrier@2025-08")):
        budget = runner.invoke(app, ["budget", "--workspace", str(workspace), "--party", party])
        assert budget.exit_code == 0, budget.output
        assert scope in budget.output
    audit = runner.invoke(app, ["audit", "--workspace", str(workspace), "--party", "carrier"])
    assert "cohort points re-blinded" in audit.output  # the carrier logs its padded volumes

    # --preview: the accuracy of a further release, predicted from this one; nothing charged.
    before = runner.invoke(app, ["budget", "--workspace", str(workspace)]).output
    previewed = runner.invoke(
        app,
        [
            "release", "--query", "visit-map", "--airport", "SHM", "--from", "2025-08-01",
            "--to", "2025-08-12", "--epsilon", "0.5", "--workspace", str(workspace),
            "--data", str(tiny_dir), "--preview",
        ],
    )  # fmt: skip
    assert previewed.exit_code == 0, previewed.output
    assert "each ±" in previewed.output and "predicted from release" in previewed.output
    assert "nothing was charged" in previewed.output
    assert runner.invoke(app, ["budget", "--workspace", str(workspace)]).output == before
