"""The time left of a running job, estimated from its pace so far, as words for the progress bar.

A release reports the fraction of its work done (``JobStatus.fraction``); the estimate is
:func:`foundation.pace.seconds_left`, shown in whole seconds below 90 s and in whole minutes
above, never as zero.
"""

from __future__ import annotations

import math

from app.i18n import DEFAULT_LANGUAGE, text
from foundation.pace import seconds_left

__all__ = ["time_left_text"]


def time_left_text(elapsed: float, fraction: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """``残り約 12 秒`` / ``about 12 s left`` (minutes from 90 s on), or "" when unknown."""
    left = seconds_left(elapsed, fraction)
    if left is None:
        return ""
    if left >= 90:
        return text("eta.minutes", lang, minutes=math.ceil(left / 60))
    return text("eta.seconds", lang, seconds=max(1, math.ceil(left)))
