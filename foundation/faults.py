"""Named fault points, so that tests can kill a real process at a chosen step of a write.

A crash-safety claim ("a preparation killed at any point leaves a workspace the next run
completes") is only as good as the crashes it was tested with. Killing a process after a timer
hits a random point; these hooks hit *named* ones, in a separate OS process, with ``SIGKILL`` —
nothing gets to clean up, exactly as with ``kill -9`` or a power cut.

The code that writes calls :func:`fault_point` at its interesting steps (``atomic.replace``,
``keys.created``, ``views.month-written``, ``views.manifest-written``, ``prepare.locked``).
Outside tests the environment variable :data:`FAULT_ENV` is unset and a fault point costs one
dictionary lookup. Set, it reads ``NAME[@N]:ACTION`` — the ``N``-th time (default the first)
this process reaches ``NAME``, do ``ACTION``:

* ``kill`` — ``SIGKILL`` this process;
* ``sleep=S`` — sleep ``S`` seconds (to hold a lock while other processes try to take it).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

__all__ = ["FAULT_ENV", "fault_point"]

FAULT_ENV = "CROSSMESH_FAULT"

_reached: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Reach the fault point ``name``: nothing happens unless :data:`FAULT_ENV` names it."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    target, _, action = spec.partition(":")
    point, _, nth = target.partition("@")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] != (int(nth) if nth else 1):
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("sleep="):
        time.sleep(float(action.removeprefix("sleep=")))
