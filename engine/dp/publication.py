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
3. **Intervals that hold after selection.** A value is shown *because* it is large, so near the
   cut-off its noise is more often positive than not, and the plain interval ``x ± k`` covers
   less than 95 % of shown values (86 % on East Hokkaido's map). So the interval of a shown
   value is the *conditional* one (Lee et al. 2016; Fithian, Sun & Taylor 2014): the truths t
   under which ``x`` is not in either 2.5 % tail of the law of ``t + N`` *given* ``t + N ≥ c``,
   ``c`` the BH cut-off the release reached. Far above ``c`` it is ``x ± k``; near ``c`` it
   reaches down towards 0. A value is shown only if this interval excludes 0, and its
   half-width is the larger side (a symmetric interval containing the conditional one).
4. **An optional floor** (``threshold``, default 0): a value below it is withheld too.

Everything here reads only noisy values and public noise laws, so it is post-processing: it costs
no privacy, and a withheld value's number never leaves this module (``None`` from here on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.dp.intervals import CI_LEVEL
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
    "selective_interval",
    "smallest_shown",
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
    kept = selected([law.upper_tail(value) for value, law in zip(values, laws, strict=True)], rate)
    level = rate * max(1, int(kept.sum())) / max(1, len(values))  # the p-value BH reached
    widths: list[int] = []
    shown: list[bool] = []
    for value, law, keep in zip(values, laws, kept, strict=True):
        width = 0
        if keep:
            low, high = selective_interval(law, value, law.cut_off(level))
            width = max(value - low, high - value, law.half_width())
            keep = low > 0 and value > width and value >= floor
        widths.append(width)
        shown.append(bool(keep))
    return Publication(
        values=tuple(v if s else None for v, s in zip(values, shown, strict=True)),
        suppressed=tuple(not s for s in shown),
        ci95=tuple(w if s else None for w, s in zip(widths, shown, strict=True)),
    )


def selective_interval(
    law: NoiseLaw, value: int, cut: int, level: float = CI_LEVEL
) -> tuple[int, int]:
    """The 95 % interval of the truth t given that ``value`` = t + N was selected for ``value ≥
    cut``: the integers t for which neither conditional tail probability
    P(t+N ≥ value | t+N ≥ cut) nor P(t+N ≤ value | t+N ≥ cut) is below (1 − level)/2.

    Both tails are monotone in t (the noise is log-concave), so each end is found by bisection.
    """
    alpha = (1 - level) / 2
    cut = min(cut, value)

    def upper(t: int) -> float:  # P(t+N ≥ value | t+N ≥ cut), rising in t
        given = law.upper_tail(cut - t)
        return (
            1.0
            if given <= 0 and value == cut
            else law.upper_tail(value - t) / given
            if given > 0
            else 0.0
        )

    def lower(t: int) -> float:  # P(t+N ≤ value | t+N ≥ cut), falling in t
        given = law.upper_tail(cut - t)
        return 1.0 if given <= 0 else 1 - law.upper_tail(value + 1 - t) / given

    # Below ``floor_t`` the chance of selection is under 10⁻¹⁰, where the computed tails are
    # rounding noise; there the conditional law sits at ``cut`` and ``upper`` is 0 (v > cut).
    floor_t = cut - law.cut_off(1e-10)
    reach = int(40 * max(1.0, law.sd))
    low = _first(lambda t: upper(t) > alpha, floor_t, value)
    high = _first(lambda t: lower(t) <= alpha, value, value + reach) - 1
    return low, max(low, high)


def smallest_shown(law: NoiseLaw, level: float) -> int:
    """The smallest value the rule shows when BH reaches p-value ``level``: at least the cut-off
    and with a selection-adjusted interval above 0 (what a preview can promise)."""
    cut = law.cut_off(level)
    reach = cut + int(40 * max(1.0, law.sd))
    return _first(lambda v: selective_interval(law, v, cut)[0] > 0, cut, reach)


def _first(holds: Callable[[int], bool], start: int, stop: int) -> int:
    """The smallest integer t in [start, stop] with ``holds(t)`` (monotone), or ``stop``."""
    while start < stop:
        middle = (start + stop) // 2
        if holds(middle):
            stop = middle
        else:
            start = middle + 1
    return start


def _as_integer(value: object, position: int) -> int:
    """An exact integer (Python or numpy), never a bool or a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InputError(
            f"noisy value at position {position} must be an integer, not {type(value).__name__}; "
            "DP noise is integer, so a float means float noise upstream"
        )
    return int(value)
