"""Tests for ``crossmesh budget`` and ``crossmesh audit``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.ledger  # noqa: F401  (registers budget and audit on the top-level app)
from cli import app, main
from engine.dp.accounting import zcdp_to_epsilon
from engine.ledger import Ledger, Scope
from foundation.errors import ConfigError, InputError

runner = CliRunner()
JULY = Scope("airline-carrier", "2024-07")


def test_budget_set_total_then_show(tmp_path: Path) -> None:
    """--set-total changes the scope's total, is logged, and the table shows ρ and ε."""
    args = ["budget", "--workspace", str(tmp_path), "--set-total", "0.3", "--scope", str(JULY)]
    result = runner.invoke(app, [*args, "--actor", "ops"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if line.startswith(str(JULY))]
    fields = row.split()
    assert fields[1:4] == ["0.3", "0", "0.3"]
    assert float(fields[4]) == pytest.approx(zcdp_to_epsilon(0.3), rel=1e-3)
    assert "δ=1e-06" in result.output
    with Ledger.in_workspace(tmp_path) as ledger:
        [entry] = ledger.audit()
    assert (entry.actor, entry.scope, entry.rho) == ("ops", str(JULY), 0.3)


def test_budget_lists_every_charged_scope_with_spent_and_left(tmp_path: Path) -> None:
    """After a two-month release, both months show what was spent and what is left."""
    with Ledger.in_workspace(tmp_path) as ledger:
        spec = hashlib.sha256(b"q").hexdigest()
        ledger.reserve(spec, [JULY, Scope("airline-carrier", "2024-08")], 0.2, "analyst")
    result = runner.invoke(app, ["budget", "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line.split()[:4] for line in result.output.splitlines() if "@" in line]
    assert rows == [
        ["airline-carrier@2024-07", "0.5", "0.2", "0.3"],
        ["airline-carrier@2024-08", "0.5", "0.2", "0.3"],
    ]


def test_set_total_without_scope_is_an_input_error(tmp_path: Path) -> None:
    """--set-total alone does not guess a scope."""
    result = runner.invoke(app, ["budget", "--workspace", str(tmp_path), "--set-total", "1"])
    assert isinstance(result.exception, InputError)


def test_audit_prints_the_log_and_limit_keeps_the_newest(tmp_path: Path) -> None:
    """`audit` prints one line per row; --limit 1 only the newest."""
    with Ledger.in_workspace(tmp_path) as ledger:
        ledger.set_budget(JULY, 0.4, "ops")
        ledger.reserve(hashlib.sha256(b"q").hexdigest(), [JULY], 0.1, "analyst")
    full = runner.invoke(app, ["audit", "--workspace", str(tmp_path)])
    assert full.exit_code == 0, full.output
    lines = full.output.splitlines()
    assert "set_budget" in lines[1] and "reserve" in lines[2] and len(lines) == 3
    newest = runner.invoke(app, ["audit", "--workspace", str(tmp_path), "--limit", "1"])
    assert newest.output.splitlines()[1:] == lines[2:]


def test_audit_of_a_workspace_without_ledger_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() shows the ConfigError as one line on stderr and exits 2; nothing is created."""
    result = runner.invoke(app, ["audit", "--workspace", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    with pytest.raises(SystemExit) as done:
        main(["audit", "--workspace", str(tmp_path)])
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith("error: no ledger at ")
    assert not (tmp_path / "ledger").exists()
