"""When a background filler may run: only while no query holds it (holds nest).

The randomiser pools (:mod:`engine.crypto.pool`) and the pre-blinder
(:mod:`engine.crypto.preblind`) compute ahead on a thread of the party's process, and must give
the CPU back while a query runs. A query holds the gate for its whole life, a call for its own
span; the filler runs again only when the last hold is released.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Protocol

__all__ = ["IdleGate", "Pausable", "all_paused"]


class IdleGate:
    """A counter of holds and an event that is set while there are none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds = 0
        self._open = threading.Event()
        self._open.set()

    @property
    def holds(self) -> int:
        """How many holds keep the filler paused."""
        return self._holds

    @property
    def held(self) -> bool:
        """Whether anything holds the gate."""
        return not self._open.is_set()

    def hold(self) -> None:
        """Pause the filler until a matching :meth:`release`."""
        with self._lock:
            self._holds += 1
            self._open.clear()

    def release(self) -> None:
        """Release one :meth:`hold`; the last one lets the filler run."""
        with self._lock:
            self._holds = max(0, self._holds - 1)
            if not self._holds:
                self._open.set()

    @contextlib.contextmanager
    def held_for(self) -> Iterator[None]:
        """Hold the gate for a ``with`` block."""
        self.hold()
        try:
            yield
        finally:
            self.release()

    def wait(self) -> None:
        """Block the filler until nothing holds the gate."""
        self._open.wait()

    def open_for_good(self) -> None:
        """Let a stopping filler through whatever holds remain."""
        self._open.set()


class Pausable(Protocol):
    """A background filler: :meth:`busy` pauses it for a ``with`` block."""

    def busy(self) -> contextlib.AbstractContextManager[None]: ...


@contextlib.contextmanager
def all_paused(*fillers: Pausable | None) -> Iterator[None]:
    """Pause every filler given (None: a filler the party does not run) for a ``with`` block."""
    with contextlib.ExitStack() as paused:
        for filler in fillers:
            if filler is not None:
                paused.enter_context(filler.busy())
        yield
