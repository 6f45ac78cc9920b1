"""Blinding done ahead: the next query's scalar drawn early, its own points raised while idle.

Why. A release's largest cost is X25519 (DESIGN §3, steps 2–5): each party raises its own points
to its fresh scalar (the airline its cohort and dummies, the carrier its scope records and
matching dummies) and then the other party's points. Its *own* points do not depend on the other
party, and the scalar does not depend on the query: it only has to be fresh and used once. So a
node draws the next query's scalar as soon as a query has taken the last one, and raises to it,
while it is idle, the points it blinded most recently (the dashboard's next query is most often
the same cohort or scope with another ε or window). A query then looks its own points up and
computes only the ones it has not seen; random padding points are drawn ahead too. The other
party's points are still raised during the query: they are fresh for every query.

The rules that keep it sound:

* **one scalar, one query** — :meth:`PreBlinder.take` hands the scalar and its table to exactly
  one query and starts the next with a new :meth:`BlindingKey.generate`; nothing keeps the old
  one, so two queries never share a scalar (what keeps them unlinkable, DESIGN §3);
* **own points only** — the table is filled from points this party blinded itself; a point the
  other party sends is always raised afresh (:meth:`PreBlinding.blind` is not used for them);
* **the key stays home** — the filler is a thread of the node's own process; the table, the
  scalar and the remembered points are never written to disk or sent to a worker;
* **idle only** — the filler pauses while a query runs (:meth:`PreBlinder.busy`); what it has not
  reached is computed on demand, so a query is never slower than without it, only its result's
  arithmetic is moved earlier; the bytes are the same (tested).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from engine.crypto.blinding import BlindingKey, random_points, regrouped
from engine.crypto.idle import IdleGate
from foundation.errors import ConfigError, CryptoError

__all__ = ["PreBlinder", "PreBlinding"]

logger = logging.getLogger(__name__)

CHUNK = 1024  # points raised between two looks at the idle flag (≈ 20 ms on two threads)
SPARE_FACTOR = 8  # random points kept ahead: an eighth of the remembered points, at least 4,096


@dataclass
class PreBlinding:
    """One query's scalar and this party's own points already raised to it (point → blinded)."""

    key: BlindingKey
    table: dict[bytes, bytes] = field(default_factory=dict, repr=False)
    looked_up: int = 0  # points :meth:`blind` found in the table

    def blind(self, points: Sequence[bytes], *, workers: int = 1) -> list[bytes]:
        """Every point raised to :attr:`key`, in order: looked up when done ahead, else now."""
        table = self.table
        missing = [point for point in points if point not in table]
        fresh = dict(zip(missing, self.key.blind(missing, workers=workers), strict=True))
        self.looked_up += len(points) - len(missing)
        return [table[point] if point in table else fresh[point] for point in points]

    def spent(self) -> PreBlinding:
        """The same scalar without its table: once a party's own points are blinded, the rest of
        the query raises only the other party's points, which never come from the table."""
        return PreBlinding(self.key, looked_up=self.looked_up)

    def blind_groups(
        self, groups: Sequence[Sequence[bytes]], *, workers: int = 1
    ) -> list[list[bytes]]:
        """:meth:`blind` of every group, as one batch."""
        flat = self.blind([point for group in groups for point in group], workers=workers)
        return regrouped(flat, groups)


class PreBlinder:
    """The next query's :class:`PreBlinding`, filled while idle from the points blinded lately.

    ``capacity`` bounds the points remembered (and so pre-blinded) — the most recent first; 0
    turns the filler off and :meth:`take` returns a fresh scalar with an empty table.
    """

    def __init__(self, capacity: int, *, workers: int = 2) -> None:
        if capacity < 0:
            raise ConfigError(f"a party pre-blinds 0 or more points, not {capacity}")
        self.capacity = capacity
        self.workers = workers
        self.spare_capacity = max(4096, capacity // SPARE_FACTOR) if capacity else 0
        self._recent: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._next = PreBlinding(BlindingKey.generate())
        self._spares: collections.deque[bytes] = collections.deque()
        self._lock = threading.Lock()
        self._gate = IdleGate()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed: str | None = None  # why the filler stopped on its own, if it did

    # -- what a query uses --------------------------------------------------------------------
    def take(self) -> PreBlinding:
        """A query's scalar and what was raised to it; the next query's scalar is drawn now."""
        with self._lock:
            taken, self._next = self._next, PreBlinding(BlindingKey.generate())
        self._wake.set()
        return taken

    def remember(self, points: Iterable[bytes]) -> None:
        """Points this party blinded itself: the next scalar's table is filled from these."""
        if not self.capacity:
            return
        with self._lock:
            recent = self._recent
            for point in points:
                recent[point] = None
                recent.move_to_end(point)
            while len(recent) > self.capacity:
                recent.popitem(last=False)
        self._wake.set()

    def random_points(self, count: int) -> list[bytes]:
        """``count`` single-use random points: drawn ahead ones first, the rest now."""
        with self._lock:
            taken = [self._spares.popleft() for _ in range(min(count, len(self._spares)))]
        if len(taken) < count:
            taken += random_points(count - len(taken), workers=self.workers)
        self._wake.set()
        return taken

    def __len__(self) -> int:
        """Points the next scalar's table holds."""
        return len(self._next.table)

    @property
    def spares(self) -> int:
        """Random points drawn ahead."""
        return len(self._spares)

    @property
    def paused(self) -> bool:
        """Whether a query holds the filler (:meth:`pause`, :meth:`busy`)."""
        return self._gate.held

    @property
    def holds(self) -> int:
        """How many holds (open queries, running calls) keep the filler paused."""
        return self._gate.holds

    @property
    def ready(self) -> bool:
        """Whether every remembered point is raised to the next scalar and the spares are full."""
        with self._lock:
            raised = all(point in self._next.table for point in self._recent)
        return raised and len(self._spares) >= self.spare_capacity

    # -- the filler -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start filling in the background (a daemon thread; idempotent)."""
        if self.capacity and self._thread is None:
            self._thread = threading.Thread(target=self._fill, name="pre-blinder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the filler and forget the scalar, the table, the spares and the points."""
        self._stopped.set()
        self._gate.open_for_good()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            self._next = PreBlinding(BlindingKey.generate())
            self._recent.clear()
            self._spares.clear()

    def pause(self) -> None:
        """Hold the filler until a matching :meth:`resume` (holds nest: the last one resumes)."""
        self._gate.hold()

    def resume(self) -> None:
        """Release one :meth:`pause`."""
        self._gate.release()

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Pause the filler while a query runs."""
        return self._gate.held_for()

    def _fill(self) -> None:
        try:
            self._fill_until_stopped()
        except Exception as err:  # a filler that fails leaves queries to blind on demand
            self.failed = f"{type(err).__name__}"  # the type only: no point or key in a log
            logger.warning("the pre-blinder stopped (%s); queries blind on demand", self.failed)

    def _fill_until_stopped(self) -> None:
        target: PreBlinding | None = None
        todo: list[bytes] = []
        while not self._stopped.is_set():
            self._gate.wait()
            if self._stopped.is_set():
                return
            if target is not self._next or (not todo and self._wake.is_set()):
                self._wake.clear()
                target, todo = self._todo()
            if todo:
                chunk, todo = todo[:CHUNK], todo[CHUNK:]
                self._raise(target, chunk)
            elif not self._draw_spares():
                self._wake.wait(0.5)

    def _todo(self) -> tuple[PreBlinding, list[bytes]]:
        """The next scalar's table and the remembered points not in it yet, most recent first."""
        with self._lock:
            target = self._next
            return target, [point for point in reversed(self._recent) if point not in target.table]

    def _raise(self, target: PreBlinding, chunk: list[bytes]) -> None:
        """Raise ``chunk`` to ``target``'s scalar; dropped if a query took ``target`` meanwhile."""
        try:
            raised = dict(zip(chunk, target.key.blind(chunk, workers=self.workers), strict=True))
        except CryptoError:  # a point that is none: forget it, keep the others
            raised = {}
            for point in chunk:
                try:
                    raised[point] = target.key.blind([point])[0]
                except CryptoError:
                    with self._lock:
                        self._recent.pop(point, None)
        with self._lock:
            if self._next is target:
                target.table.update(raised)

    def _draw_spares(self) -> bool:
        """Draw random points up to the spare capacity; False when full."""
        if len(self._spares) >= self.spare_capacity:
            return False
        batch = random_points(CHUNK, workers=self.workers)
        with self._lock:
            if not self._stopped.is_set():  # stop() forgets the spares; none come after it
                self._spares.extend(batch)
        return True
