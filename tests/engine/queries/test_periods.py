"""Only periods inside the data: specs fitted to the observations and events, or refused."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.queries import QuerySpec
from engine.queries.periods import DataPeriod, check_inside, fit_to_data, read_window
from foundation.errors import InputError

AUGUST = DataPeriod(dt.date(2025, 8, 1), dt.date(2025, 8, 31))


def _spec(**fields: object) -> QuerySpec:
    return QuerySpec(**{"start": "2025-08-01", "end": "2025-08-31", "epsilon": 1, **fields})


def test_arrivals_end_early_enough_for_their_days_after() -> None:
    """Three days after arrival: the last arrival fitted is Aug 29, whose day +2 is Aug 31."""
    fitted = fit_to_data(_spec(kind="visit-map", airport="SHM", days=3), AUGUST)
    assert (fitted.start, fitted.end) == (dt.date(2025, 8, 1), dt.date(2025, 8, 29))
    assert read_window(fitted)[1] == AUGUST.last


def test_preboarding_starts_a_day_late_for_its_day_before() -> None:
    """Pre-boarding reads the day before each departure: the first departure is Aug 2."""
    fitted = fit_to_data(_spec(kind="preboarding", airport="HND"), AUGUST)
    assert fitted.start == dt.date(2025, 8, 2) and fitted.end == AUGUST.last


def test_furusato_months_after_stop_at_the_last_month_observed() -> None:
    """Donations in August, two months after asked, data to the end of August: none after."""
    spec = _spec(kind="furusato", municipality="30401", months_after=2)
    fitted = fit_to_data(spec, AUGUST)
    assert fitted.months_after == 0
    with pytest.raises(InputError, match="0 month"):
        check_inside(spec, AUGUST)
    october = DataPeriod(dt.date(2025, 8, 1), dt.date(2025, 10, 31))
    assert check_inside(spec, october) == spec


def test_events_clip_the_window_too() -> None:
    """Boardings only from Aug 10: arrivals before that are outside the airline's data."""
    events = DataPeriod(dt.date(2025, 8, 10), dt.date(2025, 8, 20))
    fitted = fit_to_data(_spec(kind="flows", airport="FUK", days=1), AUGUST, events)
    assert (fitted.start, fitted.end) == (events.first, events.last)


def test_a_window_wholly_outside_is_refused_naming_the_data() -> None:
    """September arrivals against August data: nothing to fit, a clear error."""
    spec = QuerySpec(kind="visit-map", airport="SHM", start="2025-09-01", end="2025-09-07",
                     epsilon=1)  # fmt: skip
    with pytest.raises(InputError, match=r"outside the data.*2025-08-01 – 2025-08-31"):
        fit_to_data(spec, AUGUST)


def test_a_spec_inside_is_returned_unchanged() -> None:
    """Nothing to clip: the same spec (same hash, so the same cached release)."""
    spec = _spec(kind="visit-map", airport="SHM", days=1)
    assert check_inside(spec, AUGUST) is spec
