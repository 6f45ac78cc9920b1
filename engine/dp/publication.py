"""The publication rule: a value is shown only when noise alone is unlikely to explain it.

A fixed threshold (v1 showed every value ≥ 10) sits far below the noise (±38 to ±81 at ε = 1), so
most shown cells of a sparse map were pure noise. The rule here is derived from the mechanism:

1. **The interval excludes zero.** A noisy value ``x`` whose noise law is ``N`` (the exact law of
   its summed draws, :mod:`engine.dp.sums`) is a candidate only if ``x > k``, where ``k`` is its
   95 % half-width: the interval ``x ± k`` then lies above zero.
2. **False discoveries are controlled across the release** (Benjamini–Hochberg). A release tests
   hundreds of places at once, and most of a map's cells are truly empty: even at 2.5 % per cell,
   4,000 empty cells would put ~100 noise values on the map. So the one-sided p-values
   ``p = P(N ≥ x)`` of "the truth is 0" are ranked and the values with ``p ≤ q·r/m`` (``r`` the
   largest rank meeting it, ``m`` the number of values) are kept, ``q`` =
   :data:`FALSE_DISCOVERY_RATE`. The noise is independent across values, so the expected share of
   shown values whose truth is 0 stays at most ``q`` (Benjamini & Hochberg 1995).
3. **An optional floor** (``threshold``, default 0): a value below it is withheld too.

Everything here reads only noisy values and public noise laws, so it is post-processing: it costs
no privacy, and a withheld value's number never leaves this module (``None`` from here on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.dp.sums import NoiseLaw
from foundation.errors import InputError

__all__ = [
    "DEFAULT_FLOOR",
    "FALSE_DISCOVERY_RATE",
    "RULE",
    "Publication",
    "check_floor",
    "publish",
    "selected",
]

FALSE_DISCOVERY_RATE = 0.025
DEFAULT_FLOOR = 0
RULE = f"interval-excludes-0+bh-{FALSE_DISCOVERY_RATE:g}"  # recorded in every release


@dataclass(frozen=True)
class Publication:
    """Shown values (``None`` where withheld), flags and 95 % half-widths, index-aligned."""

    values: tuple[int | None, ...]
    suppressed: tuple[bool, ...]
    ci95: tuple[int | None, ...]


def check_floor(floor: object) -> int:
    """Return ``floor`` if it is a non-negative integer, or raise :class:`InputError`."""
    if isinstance(floor, bool) or not isinstance(floor, int | np.integer) or floor < 0:
        raise InputError(
            f"the minimum shown value must be a non-negative integer, not {floor!r}",
            field="threshold",
        )
    return int(floor)


def selected(p_values: Sequence[float], rate: float = FALSE_DISCOVERY_RATE) -> np.ndarray:
    """Benjamini–Hochberg: a boolean mask of the p-values kept at false discovery rate ``rate``."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    passing = np.flatnonzero(p[order] <= rate * np.arange(1, m + 1) / m)
    keep = np.zeros(m, dtype=bool)
    if passing.size:
        keep[order[: passing[-1] + 1]] = True
    return keep


def publish(
    noisy: Sequence[int],
    laws: Sequence[NoiseLaw],
    *,
    floor: int = DEFAULT_FLOOR,
    rate: float = FALSE_DISCOVERY_RATE,
) -> Publication:
    """Apply the rule to noisy integers whose noise follows ``laws``; clamp shown values at 0."""
    floor = check_floor(floor)
    if len(noisy) != len(laws):
        raise InputError("every noisy value needs its noise law")
    values = [_as_integer(value, position) for position, value in enumerate(noisy)]
    widths = [law.half_width() for law in laws]
    kept = selected([law.upper_tail(value) for value, law in zip(values, laws, strict=True)], rate)
    shown = [
        bool(keep) and value > width and value >= floor
        for value, width, keep in zip(values, widths, kept, strict=True)
    ]
    return Publication(
        values=tuple(v if s else None for v, s in zip(values, shown, strict=True)),
        suppressed=tuple(not s for s in shown),
        ci95=tuple(w if s else None for w, s in zip(widths, shown, strict=True)),
    )


def _as_integer(value: object, position: int) -> int:
    """An exact integer (Python or numpy), never a bool or a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InputError(
            f"noisy value at position {position} must be an integer, not {type(value).__name__}; "
            "DP noise is integer, so a float means float noise upstream"
        )
    return int(value)
