"""The ground floor every Crossmesh package may stand on: the exception family and atomic writes.

* :mod:`~foundation.errors` — :class:`CrossmeshError` and its documented subclasses;
* :mod:`~foundation.atomic` — durable, atomic file writes (temporary sibling, fsync, replace).

It imports nothing of ours, so ``geo/`` (which imports nothing else of ours), ``engine/``,
``sample_data/``, ``app/`` and ``cli/`` can all use it without reaching into each other.
"""
