"""One writer at a time: an OS-level lock per party folder.

Two ``crossmesh prepare`` runs on one workspace would interleave their view files and manifests,
and two key creations would race for the same file names. Every operation that writes a party's
folder therefore holds that folder's **exclusive** lock (``fcntl.flock`` on ``<folder>/.lock``);
an operation that only reads what a writer replaces (a release reading the carrier's views,
``crossmesh verify``) holds it **shared**, so readers never block each other.

Why ``flock`` and never a "lock file exists" convention: the kernel drops the lock when its
holder's process ends, however it ends (``kill -9`` included), so there is never a stale lock to
clean up. The lock file itself stays (it is empty but for a note of who holds it); a file left by
a process that died is harmless, and the next holder overwrites the note.

Nothing here waits: a lock held by another process is reported at once as
:class:`~foundation.errors.BusyError`, naming the holder's pid and command when the holder left
that note, so that the caller (and the operator) can decide what to do. An idle folder, one that
nobody is writing, never blocks a reader.

Within one process the lock is re-entrant: ``prepare`` may take the folder's lock and then call
code that takes it again (key creation, view writes) without locking itself out. A shared lock
inside an exclusive one is a no-op; an exclusive one inside a shared one is a programming error.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import BusyError

__all__ = ["LOCK_FILE", "folder_lock", "holds_lock"]

LOCK_FILE = ".lock"


@dataclass
class _Held:
    """A lock this process holds: its file descriptor, its mode and how often it was taken."""

    fd: int
    exclusive: bool
    depth: int = 1


_held: dict[Path, _Held] = {}
_guard = threading.RLock()


def holds_lock(folder: Path, *, exclusive: bool = True) -> bool:
    """Whether this process holds ``folder``'s lock (exclusively, or at all)."""
    held = _held.get(Path(folder).resolve())
    return held is not None and (held.exclusive or not exclusive)


@contextlib.contextmanager
def folder_lock(folder: Path, purpose: str, *, exclusive: bool = True) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; :class:`BusyError` at once if another process has it.

    ``purpose`` (``"prepare"``, ``"release"``, …) names the operation in the note the exclusive
    holder leaves and in the error message the others get.
    """
    key = Path(folder).resolve()
    with _guard:
        held = _held.get(key)
        if held is not None:
            if exclusive and not held.exclusive:
                raise RuntimeError(f"{key}: an exclusive lock was asked for inside a shared one")
            held.depth += 1
        else:
            held = _held[key] = _Held(_acquire(key, purpose, exclusive), exclusive)
    try:
        yield
    finally:
        with _guard:
            held.depth -= 1
            if held.depth == 0:
                del _held[key]
                if held.exclusive:
                    os.ftruncate(held.fd, 0)  # the note names a holder only while it holds
                os.close(held.fd)  # closing the descriptor releases the flock


def _acquire(folder: Path, purpose: str, exclusive: bool) -> int:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _busy(path, purpose) from None
    if exclusive:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _note(purpose).encode("utf-8"), 0)
    return fd


def _note(purpose: str) -> str:
    command = " ".join(os.path.basename(arg) if i == 0 else arg for i, arg in enumerate(sys.argv))
    return f"pid {os.getpid()} ({purpose}: {command[:200]})\n"


def _alive(note: str) -> bool:
    """Whether the pid at the start of a note is a running process."""
    try:
        os.kill(int(note.split()[1]), 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _busy(path: Path, purpose: str) -> BusyError:
    """The error for a lock another process holds, naming it from its note if it left one."""
    try:
        holder = path.read_text(encoding="utf-8").strip() or None
    except OSError:
        holder = None
    if holder is not None and not _alive(holder):
        holder = None  # a note left by a writer that was killed; the lock is a reader's
    who = holder or "another process (a reader, such as a release or verify)"
    return BusyError(
        f"busy: {path.parent} is in use by {who}; {purpose} needs it — wait until that "
        "has finished and try again",
        holder=holder,
    )
