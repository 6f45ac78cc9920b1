"""Pools of single-use Paillier randomisers, filled while the node is idle.

Why a pool. In protocol v2 the airline encrypts one indicator for every position of a query's
scope (DESIGN §3, step 5); with ``g = n + 1`` an encryption is one multiplication once its random
n-th residue is known, and the residue is almost all of the cost (~110 µs with CRT fixed-base
tables, :mod:`engine.crypto.residues`). Residues do not depend on the query, so a node can compute
them before it is asked — DESIGN §4's "single-use randomiser pools filled in the background" —
and a release then pays ~5 µs a position instead. The carrier, likewise, masks every output of
a release with a *uniform* residue under the airline's key (~9 ms each, DESIGN §3 step 6): a
pool of those (``uniform=True``) takes that off the release too.

The rules that keep it sound:

* **single use** — a residue leaves the pool exactly once (``deque.popleft`` under a lock);
  reusing one would show as two ciphertexts with the same ratio to their plaintexts;
* **never combined** — every pooled residue is a fresh ``h^x`` of its own random exponent, never
  a product of pooled elements;
* **the key stays home** — the filler is a thread of the node's own process; no residue and no
  key is ever sent to a worker or written to disk;
* **idle only** — the filler pauses while a query is encrypting (:meth:`ResiduePool.busy`), so a
  release never competes with its own precomputation; what the pool lacks is computed on demand.
"""

from __future__ import annotations

import collections
import contextlib
import threading

import gmpy2

from engine.crypto.idle import IdleGate
from engine.crypto.residues import CrtResidues, PublicResidues
from foundation.errors import ConfigError

__all__ = ["ResiduePool"]

FILL_BATCH = 64
UNIFORM_BATCH = 4


class ResiduePool:
    """Residues of ``source`` computed ahead up to ``capacity``: short-exponent or uniform."""

    def __init__(
        self, source: CrtResidues | PublicResidues, capacity: int, *, uniform: bool = False
    ) -> None:
        if capacity < 0:
            raise ConfigError(f"a randomiser pool holds 0 or more residues, not {capacity}")
        self.source = source
        self.nsquare = source.nsquare
        self.capacity = capacity
        self.holds_uniform = uniform
        self._ready: collections.deque[gmpy2.mpz] = collections.deque()
        self._lock = threading.Lock()
        self._gate = IdleGate()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._ready)

    def start(self) -> None:
        """Start filling in the background (a daemon thread; idempotent)."""
        if self.capacity and self._thread is None:
            self._thread = threading.Thread(target=self._fill, name="residue-pool", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the filler and forget every residue."""
        self._stopped.set()
        self._gate.open_for_good()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            self._ready.clear()

    def _fill(self) -> None:
        while not self._stopped.is_set():
            self._gate.wait()
            if len(self._ready) >= self.capacity:
                self._stopped.wait(0.2)
                continue
            if self.holds_uniform:
                batch = [self.source.uniform() for _ in range(UNIFORM_BATCH)]
            else:
                batch = self.source.sample_many(FILL_BATCH)
            with self._lock:
                self._ready.extend(batch)

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """Pause the filler while a query encrypts (pauses nest: the last one resumes)."""
        return self._gate.held_for()

    def _take(self, count: int) -> list[gmpy2.mpz]:
        with self._lock:
            return [self._ready.popleft() for _ in range(min(count, len(self._ready)))]

    def uniform(self) -> gmpy2.mpz:
        """A single-use uniform residue: pooled if this pool holds uniform ones, else fresh."""
        if self.holds_uniform:
            taken = self._take(1)
            if taken:
                return taken[0]
        return self.source.uniform()

    def sample_many(self, count: int) -> list[gmpy2.mpz]:
        """``count`` single-use short-exponent residues: pooled ones first, the rest now."""
        if self.holds_uniform:
            return self.source.sample_many(count)
        with self._lock:
            taken = [self._ready.popleft() for _ in range(min(count, len(self._ready)))]
        if len(taken) < count:
            taken += self.source.sample_many(count - len(taken))
        return taken
