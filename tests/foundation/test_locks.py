"""One writer at a time: flock-based folder locks, across processes and within one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from foundation.errors import BusyError
from foundation.locks import LOCK_FILE, folder_lock, holds_lock

HOLD = """
import sys, time
from foundation.locks import folder_lock
with folder_lock(sys.argv[1], "prepare", exclusive=sys.argv[2] == "x"):
    print("held", flush=True)
    time.sleep(30)
"""


def _holder(folder: Path, mode: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), mode], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def _stop(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.wait()
    if child.stdout is not None:
        child.stdout.close()


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    """Another process's exclusive lock makes ours fail at once, with its pid and purpose."""
    child = _holder(tmp_path, "x")
    try:
        started = time.monotonic()
        busy = pytest.raises(BusyError, match=rf"busy: .*pid {child.pid} \(prepare")
        with busy as caught, folder_lock(tmp_path, "repair"):
            pass
        assert time.monotonic() - started < 1.0
        assert caught.value.holder is not None
        with pytest.raises(BusyError), folder_lock(tmp_path, "verify", exclusive=False):
            pass
    finally:
        _stop(child)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    """After SIGKILL of the holder the lock is free again (the kernel drops it)."""
    child = _holder(tmp_path, "x")
    _stop(child)
    with folder_lock(tmp_path, "prepare"):
        assert holds_lock(tmp_path)
    assert (tmp_path / LOCK_FILE).read_text() == ""


def test_readers_share_and_keep_writers_out(tmp_path: Path) -> None:
    """Shared locks coexist; a writer is refused while a reader holds one, named as a reader."""
    child = _holder(tmp_path, "s")
    try:
        with folder_lock(tmp_path, "verify", exclusive=False):
            pass
        with pytest.raises(BusyError, match="a reader"), folder_lock(tmp_path, "prepare"):
            pass
    finally:
        _stop(child)


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    """prepare → key creation → view writes take the same lock without locking themselves out."""
    with folder_lock(tmp_path, "prepare"):
        with folder_lock(tmp_path, "key creation"), folder_lock(tmp_path, "r", exclusive=False):
            assert holds_lock(tmp_path)
        assert holds_lock(tmp_path)
    assert not holds_lock(tmp_path)
    shared = folder_lock(tmp_path, "verify", exclusive=False)
    with shared, pytest.raises(RuntimeError), folder_lock(tmp_path, "prepare"):
        pass
