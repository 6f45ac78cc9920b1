"""Which process holds a pending reservation, and whether it is still alive.

A pending reservation means "this query is being released right now". An identical request must
not spend budget again while the first is running, but it must not wait forever for a process
that was killed either. So every reservation records its holder: host name, process id, and the
process's start time (on Linux, from ``/proc/PID/stat``), because process ids are reused and a pid
alone could make a long-dead holder look alive.

:func:`holder_is_alive` answers for holders on this host. A holder on another host cannot be
checked; it counts as alive until its reservation is older than :data:`REMOTE_HOLDER_EXPIRES`.
Either way, the budget a dead holder reserved stays spent: only the *spec* is freed for a new
reservation.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["REMOTE_HOLDER_EXPIRES", "ProcessHolder", "current_holder", "holder_is_alive"]

REMOTE_HOLDER_EXPIRES = timedelta(hours=6)
_PROC = Path("/proc")
_DEAD_STATES = frozenset("ZX")  # zombie (exited, not yet reaped) and dead


@dataclass(frozen=True)
class ProcessHolder:
    """A process, identified well enough to tell it from a later one with the same pid."""

    host: str
    pid: int
    started: str

    def __str__(self) -> str:
        return f"process {self.pid} on {self.host}"


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of ``pid`` from /proc, or None if there is no such process."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces and parentheses; fields after the last ')' don't.
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def current_holder() -> ProcessHolder:
    """This process as a reservation holder."""
    stat = _proc_stat(os.getpid()) if _PROC.is_dir() else None
    return ProcessHolder(socket.gethostname(), os.getpid(), stat[1] if stat else "")


def _local_pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def holder_is_alive(holder: ProcessHolder, reserved_at: str, now: datetime | None = None) -> bool:
    """Whether ``holder`` may still be releasing; remote holders expire after a while."""
    if holder.host != socket.gethostname():
        age = (now or datetime.now(UTC)) - datetime.fromisoformat(reserved_at)
        return age < REMOTE_HOLDER_EXPIRES
    if not holder.started or not _PROC.is_dir():
        return _local_pid_alive(holder.pid)
    stat = _proc_stat(holder.pid)
    if stat is None:
        return False
    state, started = stat
    return state not in _DEAD_STATES and started == holder.started
