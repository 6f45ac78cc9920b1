"""Exclusive creation of key files and the removal of a killed writer's leftovers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from foundation.atomic import atomic_write_bytes, create_exclusive, remove_leftovers


def test_create_exclusive_never_replaces(tmp_path: Path) -> None:
    """A new file is mode 0600 and whole; an existing name is refused and left as it was."""
    path = tmp_path / "keys" / "mac.key"
    create_exclusive(path, b"first")
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_exclusive(path, b"second")
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in path.parent.iterdir()) == ["mac.key"]


def test_leftovers_are_only_our_temporary_files(tmp_path: Path) -> None:
    """remove_leftovers deletes '.name.*.tmp' siblings and nothing else."""
    atomic_write_bytes(tmp_path / "kept.json", b"{}")
    (tmp_path / ".kept.json.abc123.tmp").write_bytes(b"half")
    (tmp_path / "notes.tmp").write_bytes(b"not ours")
    assert [p.name for p in remove_leftovers(tmp_path)] == [".kept.json.abc123.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "notes.tmp"]
