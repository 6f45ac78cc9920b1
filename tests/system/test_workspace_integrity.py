"""Workspaces that never lie: one writer, crash-safe preparation, keys and views that are checked.

Every scenario runs the real ``crossmesh`` command in separate OS processes. Crashes are
``SIGKILL`` at named fault points (:mod:`foundation.faults`), so nothing gets to clean up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.faults import FAULT_ENV

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env(fault: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_ENV, None)
    if fault is not None:
        env[FAULT_ENV] = fault
    return env


def _start(*args: str, fault: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=_env(fault),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT, env=_env(fault), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _prepare(data: Path, ws: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return _run("prepare", "--data", str(data), "--workspace", str(ws), "--key-bits", "2048",
                fault=fault)  # fmt: skip


def _verify(ws: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run("verify", "--workspace", str(ws), *extra)


def test_four_concurrent_prepares_one_runs_the_others_are_busy(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """4 prepares on one fresh workspace: exactly one runs, 3 exit 2 as busy; verify is clean."""
    ws = tmp_path / "ws"
    # Each holds the locks for 8 s once it has them, so that the others try while it does.
    children = [
        _start(
            "prepare",
            "--data",
            str(tiny_dir),
            "--workspace",
            str(ws),
            fault="prepare.locked:sleep=8",
        )
        for _ in range(4)
    ]
    results = [(child.wait(timeout=600), *child.communicate()) for child in children]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2, 2], results
    for code, _out, err in results:
        if code == 2:
            assert "busy:" in err and "pid " in err and "prepare" in err, err
    check = _verify(ws)
    assert check.returncode == 0, check.stdout
    assert check.stdout.splitlines() == ["airline: clean", "carrier: clean"]


@pytest.mark.parametrize(
    "fault",
    [
        "keys.created@1:kill",  # the airline's MAC key written, its record not yet
        "keys.created@3:kill",  # the Paillier private key written, the public one not yet
        "atomic.replace@6:kill",  # a temporary file complete, not yet moved into place
        "views.month-written@3:kill",  # some view files written, no manifest yet
        "views.manifest-written@2:kill",  # one family's manifest switched, the rest not
    ],
)
def test_a_prepare_killed_at_any_point_is_completed_by_the_next(
    tiny_dir: Path, tmp_path: Path, fault: str
) -> None:
    """kill -9 of prepare at a named point: the next prepare completes and verify is clean."""
    ws = tmp_path / "ws"
    killed = _prepare(tiny_dir, ws, fault=fault)
    assert killed.returncode == -9, killed.stderr
    again = _prepare(tiny_dir, ws)
    assert again.returncode == 0, again.stderr
    check = _verify(ws)
    assert check.returncode == 0, check.stdout
    leftovers = [p for p in ws.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.fixture(scope="module")
def prepared(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prepared workspace (copied by tests that damage it)."""
    ws = tmp_path_factory.mktemp("prepared") / "ws"
    assert _prepare(tiny_dir, ws).returncode == 0
    return ws


def _copy(ws: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    subprocess.run(["cp", "-a", str(ws), str(target)], check=True)
    return target


def test_a_flipped_view_byte_is_reported_refused_and_repaired(
    prepared: Path, tiny_dir: Path, tmp_path: Path
) -> None:
    """verify reports a flipped byte (exit 1), the release refuses pointing to repair, and
    repair restores a clean verify."""
    ws = _copy(prepared, tmp_path)
    target = sorted((ws / "carrier" / "views" / "region_fukuoka").glob("*.npz"))[0]
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    target.write_bytes(bytes(blob))

    check = _verify(ws)
    assert check.returncode == 1
    assert f"{target} fails its checksum" in check.stdout
    release = _run("release", "--query", "flows", "--airport", "FUK", "--epsilon", "1",
                   "--to", "2025-08-12", "--workspace", str(ws), "--data", str(tiny_dir),
                   "--out", str(tmp_path / "flows.csv"))  # fmt: skip
    assert release.returncode == 2
    assert (
        "fails its MAC" in release.stderr and "crossmesh repair --party carrier" in release.stderr
    )
    assert not (tmp_path / "flows.csv").exists()

    fixed = _run("repair", "--workspace", str(ws), "--data", str(tiny_dir))
    assert fixed.returncode == 0, fixed.stdout
    assert "rebuilt 1 view month(s)" in fixed.stdout
    assert _verify(ws).returncode == 0


@pytest.mark.parametrize("name", ["paillier_private.json", "paillier_public.json", "mac.key"])
def test_a_deleted_airline_key_is_refused_by_prepare_and_not_repairable(
    prepared: Path, tiny_dir: Path, tmp_path: Path, name: str
) -> None:
    """A deleted key file: prepare refuses (exit 2) and makes nothing; verify and repair say so."""
    ws = _copy(prepared, tmp_path)
    (ws / "airline" / "keys" / name).unlink()
    before = sorted(p.name for p in (ws / "airline" / "keys").iterdir())
    again = _prepare(tiny_dir, ws)
    assert again.returncode == 2
    assert f"{name} is missing" in again.stderr and "never regenerated" in again.stderr
    assert sorted(p.name for p in (ws / "airline" / "keys").iterdir()) == before
    check = _verify(ws, "--party", "airline")
    assert check.returncode == 1 and name in check.stdout
    fixed = _run("repair", "--workspace", str(ws), "--party", "airline")
    assert fixed.returncode == 1
    assert "restore" in fixed.stdout and "never be reset" in fixed.stdout
    assert (ws / "airline" / "ledger-anchor.json").exists()  # the ledger (and its anchor) stay


def test_a_lost_carrier_mac_key_is_repaired_by_rebuilding_the_views(
    prepared: Path, tiny_dir: Path, tmp_path: Path
) -> None:
    """The carrier's MAC key protects only its views: repair makes a new one and rebuilds all."""
    ws = _copy(prepared, tmp_path)
    (ws / "carrier" / "keys" / "mac.key").unlink()
    assert _prepare(tiny_dir, ws).returncode == 2
    fixed = _run("repair", "--workspace", str(ws), "--party", "carrier", "--data", str(tiny_dir))
    assert fixed.returncode == 0, fixed.stdout
    assert "made a new MAC key" in fixed.stdout
    assert _verify(ws).returncode == 0
