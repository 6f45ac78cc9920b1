"""Japanese mobile numbers for the synthetic people, and the ways people write them down.

A person's number is the national form ``0A0BCCCCCCC`` with ``A`` in 7, 8, 9 and ``B`` in 1–9:
exactly the mobile ranges ``phonenumbers`` accepts (``070/080/090`` followed by a non-zero digit;
``0800`` is toll-free, not mobile). Numbers are drawn without replacement, so they are unique.

Each party wrote its copy of a number by hand, so the written files mix formats: hyphens, spaces,
``+81`` with or without separators, full-width digits. :func:`format_phones` picks one format per
row; every format parses back to the same E.164 number.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FORMATS", "draw_mobile_numbers", "format_phones", "to_e164"]

_PREFIXES = ("070", "080", "090")
_PER_PREFIX = 9 * 10**7  # a non-zero digit then seven digits
_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")

# (name, share of rows); the shares are what a messy customer database looks like.
FORMATS: tuple[tuple[str, float], ...] = (
    ("hyphens", 0.55),
    ("plain", 0.15),
    ("e164", 0.08),
    ("international_spaces", 0.08),
    ("international_hyphens", 0.05),
    ("spaces", 0.05),
    ("full_width", 0.04),
)


def draw_mobile_numbers(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct national mobile numbers (11 digits, leading 0) in random order."""
    picks = rng.choice(len(_PREFIXES) * _PER_PREFIX, size=count, replace=False)
    prefix, rest = np.divmod(picks, _PER_PREFIX)
    return [
        f"{_PREFIXES[p]}{r // 10**7 + 1}{r % 10**7:07d}"
        for p, r in zip(prefix.tolist(), rest.tolist(), strict=True)
    ]


def to_e164(national: str) -> str:
    """The E.164 form (``+81…``) of a national number."""
    return "+81" + national[1:]


def _written(national: str, style: str) -> str:
    """One number in one writing style."""
    area, middle, last = national[:3], national[3:7], national[7:]
    if style == "hyphens":
        return f"{area}-{middle}-{last}"
    if style == "plain":
        return national
    if style == "e164":
        return to_e164(national)
    if style == "international_spaces":
        return f"+81 {area[1:]} {middle} {last}"
    if style == "international_hyphens":
        return f"+81-{area[1:]}-{middle}-{last}"
    if style == "spaces":
        return f"{area} {middle} {last}"
    return f"{area}-{middle}-{last}".translate(_FULL_WIDTH)


def format_phones(rng: np.random.Generator, numbers: list[str]) -> list[str]:
    """Write each national number in a randomly chosen style (shares from :data:`FORMATS`)."""
    styles = [name for name, _ in FORMATS]
    shares = np.array([share for _, share in FORMATS])
    picks: npt.NDArray[np.int64] = rng.choice(
        len(styles), size=len(numbers), p=shares / shares.sum()
    )
    return [_written(number, styles[k]) for number, k in zip(numbers, picks.tolist(), strict=True)]
