"""The questions: query specs and the public shape both parties derive from them.

* :mod:`~engine.queries.spec` — :class:`QuerySpec`, validated, canonical and hashable;
* :mod:`~engine.queries.shapes` — :class:`QueryShape`: groups, scope, blocks read, bounds and the
  projection onto rows, derived from the spec alone (no data);
* :mod:`~engine.queries.adaptive` — the parents, noise and reconciled rows of a two-level
  (``resolution="adaptive"``) visit map.
"""

from __future__ import annotations

from engine.queries.spec import (
    DEFAULT_THRESHOLD,
    EAST_HOKKAIDO_AIRPORTS,
    KINDS,
    MECHANISMS,
    QuerySpec,
)

__all__ = ["DEFAULT_THRESHOLD", "EAST_HOKKAIDO_AIRPORTS", "KINDS", "MECHANISMS", "QuerySpec"]
