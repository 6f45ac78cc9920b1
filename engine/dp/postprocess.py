"""Post-processing of decrypted noisy values: clamp at zero, suppress small values.

Post-processing cannot weaken differential privacy, so it is free; it only has to be honest about
what it does to the numbers. The steps, in order:

1. Round — the decrypted values are already integers (integer sums plus OpenDP's integer noise),
   so rounding is the identity. A non-integer here would mean float noise slipped in upstream;
   it is refused rather than rounded away.
2. Clamp at zero — a count cannot be negative; negative noisy values become 0.
3. Suppress — values below :data:`DEFAULT_THRESHOLD` (configurable) are withheld, as Mobile Spatial
   Statistics do for small cells: small noisy counts are mostly noise and invite over-reading.
   A suppressed value carries *no number*: its value is ``None`` from here on, so no writer can
   leak it.

:func:`postprocess` returns a :class:`PostProcessed` pair of tuples (values, suppression flags).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from foundation.errors import InputError

__all__ = ["DEFAULT_THRESHOLD", "PostProcessed", "check_threshold", "postprocess"]

DEFAULT_THRESHOLD = 10


def check_threshold(threshold: object) -> int:
    """Return ``threshold`` if it is a non-negative integer, or raise :class:`InputError`."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 0:
        raise InputError(
            f"suppression threshold must be a non-negative integer, not {threshold!r}",
            field="threshold",
        )
    return int(threshold)


@dataclass(frozen=True)
class PostProcessed:
    """Published values (``None`` where suppressed) and their suppression flags, index-aligned."""

    values: tuple[int | None, ...]
    suppressed: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.suppressed):
            raise InputError("values and suppression flags must have the same length")
        for value, hidden in zip(self.values, self.suppressed, strict=True):
            if hidden != (value is None):
                raise InputError("a value is None exactly when it is suppressed")


def postprocess(noisy: Iterable[int], *, threshold: int = DEFAULT_THRESHOLD) -> PostProcessed:
    """Clamp decrypted noisy integers at 0 and suppress those below ``threshold``."""
    threshold = check_threshold(threshold)
    clamped = [max(0, _as_integer(value, position)) for position, value in enumerate(noisy)]
    suppressed = tuple(value < threshold for value in clamped)
    values = tuple(
        None if hidden else value for value, hidden in zip(clamped, suppressed, strict=True)
    )
    return PostProcessed(values, suppressed)


def _as_integer(value: object, position: int) -> int:
    """An exact integer (Python or numpy), never a bool or a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise InputError(
            f"noisy value at position {position} must be an integer, not {type(value).__name__}; "
            "DP noise is integer, so a float means float noise upstream"
        )
    return int(value)
