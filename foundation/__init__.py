"""The ground floor every Crossmesh package may stand on: errors, atomic writes, folder locks.

* :mod:`~foundation.errors` — :class:`CrossmeshError` and its documented subclasses;
* :mod:`~foundation.atomic` — durable, atomic file writes (temporary sibling, fsync, replace) and
  exclusive creation (never a replace) for keys;
* :mod:`~foundation.locks` — one writer at a time per folder (``flock``, never waiting);
* :mod:`~foundation.faults` — named fault points for crash tests (inert unless an env var is set).

It imports nothing of ours, so ``geo/`` (which imports nothing else of ours), ``engine/``,
``sample_data/``, ``app/`` and ``cli/`` can all use it without reaching into each other.
"""
