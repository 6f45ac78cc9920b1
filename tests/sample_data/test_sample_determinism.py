"""The same scale and seed give byte-identical folders; another seed gives another world."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sample_data import generate


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_bytes(tiny_world: Path, tmp_path: Path) -> None:
    """A second run with seed 7 reproduces every file byte for byte."""
    generate("tiny", 7, tmp_path / "again")
    assert _hashes(tmp_path / "again") == _hashes(tiny_world)


def test_other_seed_gives_other_world(tiny_world: Path, tmp_path: Path) -> None:
    """Seed 8 changes every party file and the truth."""
    generate("tiny", 8, tmp_path / "other")
    ours, theirs = _hashes(tiny_world), _hashes(tmp_path / "other")
    assert ours.keys() == theirs.keys()
    changed = {name for name in ours if ours[name] != theirs[name]}
    assert {
        "airline/members.csv",
        "carrier/observations.parquet",
        "truth/visit_mesh.csv",
    } <= changed


def test_no_temporary_files_left(tiny_world: Path) -> None:
    """Atomic writes leave no temporary siblings behind."""
    assert not [path for path in tiny_world.rglob("*") if path.name.endswith(".tmp")]


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_seed_out_of_range_is_refused(seed: int, tmp_path: Path) -> None:
    """A negative or too large seed is an InputError before anything is written."""
    from foundation.errors import InputError

    with pytest.raises(InputError, match="seed"):
        generate("tiny", seed, tmp_path / "never")
    assert not (tmp_path / "never").exists()
