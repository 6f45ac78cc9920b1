"""``crossmesh prepare`` validates the airline's inputs too, before building anything."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from cli import main


def test_prepare_refuses_random_bytes_as_members(
    tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An airline members.csv of random bytes stops prepare with exit 2, naming the file."""
    data = tmp_path / "data"
    shutil.copytree(tiny_dir / "airline", data / "airline")
    shutil.copytree(tiny_dir / "carrier", data / "carrier")
    noise = random.Random(14).randbytes(50_000)
    (data / "airline" / "members.csv").write_bytes(noise)
    workspace = tmp_path / "ws"
    with pytest.raises(SystemExit) as done:
        main(["prepare", "--data", str(data), "--workspace", str(workspace)])
    assert done.value.code == 2
    captured = capsys.readouterr()
    assert "members.csv" in captured.err and "Traceback" not in captured.err
    assert not workspace.exists()
