"""The time left of a running job, estimated from its pace so far, as words for the progress bar.

A release reports the fraction of its work done (``JobStatus.fraction``); the estimate is the time
spent per unit of work times the work left. It is shown only once enough is done for the pace to
mean something (5 %), in whole seconds below a minute and in whole minutes above, never as zero.
"""

from __future__ import annotations

import math

from app.i18n import DEFAULT_LANGUAGE, text

__all__ = ["seconds_left", "time_left_text"]

MIN_FRACTION = 0.05  # below this the pace says little


def seconds_left(elapsed: float, fraction: float) -> float | None:
    """Seconds still to go at the pace so far, or None while too little is done to tell."""
    if fraction < MIN_FRACTION or fraction >= 1 or elapsed <= 0:
        return None
    return elapsed * (1 - fraction) / fraction


def time_left_text(elapsed: float, fraction: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """``残り約 12 秒`` / ``about 12 s left`` (minutes from 90 s on), or "" when unknown."""
    left = seconds_left(elapsed, fraction)
    if left is None:
        return ""
    if left >= 90:
        return text("eta.minutes", lang, minutes=math.ceil(left / 60))
    return text("eta.seconds", lang, seconds=max(1, math.ceil(left)))
