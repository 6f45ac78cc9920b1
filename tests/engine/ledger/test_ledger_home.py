"""Tests for the ledger home and the dataset identity: budgets follow the data, not the folder."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from engine.ledger import CROSS_PAIR, LEDGER_HOME_ENV, Scope, dataset_identity, ledger_home
from engine.parties.airline import AirlineParty
from engine.parties.carrier import CarrierParty
from engine.workspace import Workspace

AUGUST = Scope(CROSS_PAIR, "2025-08")


def test_the_home_follows_the_override_then_xdg_then_the_user_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CROSSMESH_LEDGER_HOME wins; else $XDG_DATA_HOME/crossmesh; else ~/.local/share/crossmesh."""
    monkeypatch.setenv(LEDGER_HOME_ENV, str(tmp_path / "mine"))
    assert ledger_home() == tmp_path / "mine"
    monkeypatch.delenv(LEDGER_HOME_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert ledger_home() == tmp_path / "xdg" / "crossmesh"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert ledger_home() == tmp_path / "me" / ".local" / "share" / "crossmesh"


def test_the_identity_is_of_the_bytes_not_the_folder(tiny_dir: Path, tmp_path: Path) -> None:
    """A copy elsewhere has the same identity; a changed byte, party or pair another."""
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dir / "airline", copy)
    original = dataset_identity("airline", CROSS_PAIR, tiny_dir / "airline")
    assert dataset_identity("airline", CROSS_PAIR, copy) == original
    assert dataset_identity("carrier", CROSS_PAIR, copy) != original
    assert dataset_identity("airline", "other+carrier", copy) != original
    target = next(path for path in sorted(copy.rglob("*")) if path.is_file())
    data = bytearray(target.read_bytes())
    data[-1] ^= 0x01
    target.write_bytes(bytes(data))
    assert dataset_identity("airline", CROSS_PAIR, copy) != original
    assert len(original) == len(hashlib.sha256().hexdigest())


def test_a_second_workspace_on_the_same_data_shares_the_budget(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """What one workspace spends, a new workspace over the same data sees spent: one ledger."""
    first = Workspace.open(tmp_path / "first")
    airline = AirlineParty(tiny_dir / "airline", first.airline)
    carrier = CarrierParty(tiny_dir / "carrier", first.carrier)
    spec = hashlib.sha256(b"a release").hexdigest()
    airline.ledger.reserve(spec, [AUGUST], 0.2, "analyst")
    carrier.ledger.reserve(spec, [Scope("carrier", "2025-08")], 0.3, "analyst")
    airline.close()
    carrier.close()
    second = Workspace.open(tmp_path / "second")
    again = AirlineParty(tiny_dir / "airline", second.airline)
    other = CarrierParty(tiny_dir / "carrier", second.carrier)
    try:
        assert again.ledger.path == airline.ledger.path
        assert again.ledger.budget(AUGUST).spent_rho == pytest.approx(0.2)
        assert other.ledger.budget(Scope("carrier", "2025-08")).spent_rho == pytest.approx(0.3)
    finally:
        again.close()
        other.close()
