"""Tests for ``crossmesh budget``, ``crossmesh audit`` and ``crossmesh admin set-budget``."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.ledger  # noqa: F401  (registers budget, audit and admin on the top-level app)
from cli import app, main
from engine.dp.accounting import zcdp_to_epsilon
from engine.ledger import AuditAction, Ledger, Scope
from engine.session import SecureSession, SessionSettings
from foundation.errors import ConfigError, InputError, IntegrityError

runner = CliRunner()
JULY = Scope("airline+carrier", "2024-07")
AUGUST = Scope("airline+carrier", "2024-08")
DATASET = hashlib.sha256(b"the data").hexdigest()


def bound(workspace: Path, party: str = "airline") -> Ledger:
    """The ledger of ``party`` for a test dataset, anchored in ``workspace`` as prepare does."""
    return Ledger.for_dataset(workspace / party, party, DATASET)


def test_budget_lists_every_charged_scope_with_spent_and_left(tmp_path: Path) -> None:
    """After a two-month release, both months show what was spent and what is left."""
    with bound(tmp_path) as ledger:
        ledger.reserve(hashlib.sha256(b"q").hexdigest(), [JULY, AUGUST], 0.2, "analyst")
    result = runner.invoke(app, ["budget", "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line.split()[:4] for line in result.output.splitlines() if "@" in line]
    assert rows == [
        ["airline+carrier@2024-07", "0.5", "0.2", "0.3"],
        ["airline+carrier@2024-08", "0.5", "0.2", "0.3"],
    ]
    assert "δ=1e-06" in result.output


def test_budget_on_a_freshly_prepared_workspace_shows_default_totals(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Right after prepare, before any release, each party's data months show the default."""
    with SecureSession(tmp_path, tiny_dir, SessionSettings(key_bits=1024)) as session:
        session.prepare()
    for party, pair in (("airline", "airline+carrier"), ("carrier", "carrier")):
        result = runner.invoke(app, ["budget", "--workspace", str(tmp_path), "--party", party])
        assert result.exit_code == 0, result.output
        rows = [line.split()[:4] for line in result.output.splitlines() if "@" in line]
        assert [f"{pair}@2025-08", "0.5", "0", "0.5"] in rows
        assert all(row[0].startswith(f"{pair}@") and row[2] == "0" for row in rows)


def test_a_phantom_scope_is_refused_with_the_valid_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scope airline-carrier@… (charged by no release) exits 2 and lists the valid forms."""
    bound(tmp_path).close()
    bound(tmp_path, "carrier").close()
    for party, phantom in (("airline", "airline-carrier@2025-08"), ("carrier", str(JULY))):
        with pytest.raises(SystemExit) as done:
            main(["budget", "--workspace", str(tmp_path), "--party", party, "--scope", phantom])
        assert done.value.code == 2
        message = capsys.readouterr().err
        assert "no release charges" in message
        assert ("airline+carrier@YYYY-MM" if party == "airline" else "carrier@YYYY-MM") in message
    result = runner.invoke(app, ["budget", "--workspace", str(tmp_path), "--scope", "garbage"])
    assert isinstance(result.exception, InputError)


def test_set_total_on_budget_is_gone_and_points_to_the_admin_command(tmp_path: Path) -> None:
    """budget --set-total changes nothing and names 'crossmesh admin set-budget'."""
    bound(tmp_path).close()
    args = ["budget", "--workspace", str(tmp_path), "--set-total", "9", "--scope", str(JULY)]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError)
    assert "crossmesh admin set-budget" in str(result.exception)
    with bound(tmp_path) as ledger:
        assert ledger.budget(JULY).total_rho == 0.5


def _set_budget(workspace: Path, rho: str, *extra: str, answer: str = "") -> object:
    args = ["admin", "set-budget", "--workspace", str(workspace), "--scope", str(JULY)]
    return runner.invoke(app, [*args, "--rho", rho, *extra], input=answer)


def test_set_budget_asks_first_and_a_no_changes_nothing(tmp_path: Path) -> None:
    """Without --yes the command asks; answering no aborts and leaves total and log alone."""
    bound(tmp_path).close()
    result = _set_budget(tmp_path, "0.8", answer="n\n")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "from ρ=0.5 to ρ=0.8" in result.output  # type: ignore[attr-defined]
    with bound(tmp_path) as ledger:
        assert ledger.budget(JULY).total_rho == 0.5
        assert ledger.audit() == []


def test_set_budget_confirmed_is_audited_with_who_and_old_to_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A confirmed change is logged as admin:$USER with the old and the new total."""
    monkeypatch.setenv("USER", "hanako")
    bound(tmp_path).close()
    result = _set_budget(tmp_path, "0.8", answer="y\n")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert _set_budget(tmp_path, "1.2", "--yes").exit_code == 0  # type: ignore[attr-defined]
    with bound(tmp_path) as ledger:
        assert ledger.budget(JULY).total_rho == 1.2
        first, second = ledger.audit()
    assert (first.action, first.actor, first.scope) == (
        AuditAction.SET_BUDGET,
        "admin:hanako",
        str(JULY),
    )
    assert "0.5 → 0.8" in first.detail and "0.8 → 1.2" in second.detail
    assert first.rho == pytest.approx(0.8) and first.epsilon == pytest.approx(zcdp_to_epsilon(0.8))


def test_set_budget_below_spent_is_refused(tmp_path: Path) -> None:
    """A total below what is already spent is refused, before asking."""
    with bound(tmp_path) as ledger:
        ledger.reserve(hashlib.sha256(b"q").hexdigest(), [JULY], 0.3, "analyst")
    result = _set_budget(tmp_path, "0.2", "--yes")
    assert isinstance(result.exception, InputError)  # type: ignore[attr-defined]
    assert "0.3 spent" in str(result.exception).replace("ρ=", "")  # type: ignore[attr-defined]
    with bound(tmp_path) as ledger:
        assert ledger.budget(JULY).total_rho == 0.5


def test_budget_verify_counts_the_entries_of_a_sound_ledger(tmp_path: Path) -> None:
    """--verify checks the chain and says how many entries it covers."""
    with bound(tmp_path, "carrier") as ledger:
        ledger.reserve(hashlib.sha256(b"q").hexdigest(), [Scope("carrier", "2024-07")], 0.1, "a")
        links = ledger.verify()
    result = runner.invoke(
        app, ["budget", "--workspace", str(tmp_path), "--party", "carrier", "--verify"]
    )
    assert result.exit_code == 0, result.output
    assert f"ledger verified: {links} entries" in result.output


def test_budget_verify_of_a_tampered_ledger_names_table_and_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A charge lowered with sqlite3: --verify exits 2 naming the charges table and the row."""
    with bound(tmp_path) as ledger:
        ledger.reserve(hashlib.sha256(b"q").hexdigest(), [JULY], 0.3, "analyst")
        path = ledger.path
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("DROP TRIGGER charges_no_update")
        raw.execute("UPDATE charges SET rho_units = 1")
        raw.commit()
    result = runner.invoke(app, ["budget", "--workspace", str(tmp_path), "--verify"])
    assert isinstance(result.exception, IntegrityError)
    with pytest.raises(SystemExit) as done:
        main(["budget", "--workspace", str(tmp_path), "--verify"])
    assert done.value.code == 2
    assert "table charges row 1|airline+carrier@2024-07" in capsys.readouterr().err


def test_audit_prints_the_log_and_limit_keeps_the_newest(tmp_path: Path) -> None:
    """`audit` prints one line per row; --limit 1 only the newest."""
    with bound(tmp_path) as ledger:
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
    assert capsys.readouterr().err.startswith("error: no ledger is bound to ")
    assert not (tmp_path / "airline").exists()
