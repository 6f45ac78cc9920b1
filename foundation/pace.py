"""How long a step has left, from its pace so far: the one estimate every progress line uses.

The work done so far took ``elapsed`` seconds; at the same pace, what is left takes
``elapsed · (1 − f) / f`` for the fraction ``f`` done. Nothing is estimated before ``MIN_FRACTION``
of the work is done, nor once it is all done.
"""

from __future__ import annotations

__all__ = ["MIN_FRACTION", "seconds_left"]

MIN_FRACTION = 0.05  # below this the pace says little


def seconds_left(elapsed: float, fraction: float) -> float | None:
    """Seconds still to go at the pace so far, or None while too little is done to tell."""
    if fraction < MIN_FRACTION or fraction >= 1 or elapsed <= 0:
        return None
    return elapsed * (1 - fraction) / fraction
