"""Small typed carrier frames for the view tests, shaped like ``engine.inputs`` output."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import pytest

from geo.areas import ApproximateAreas

SubscriberRow = tuple[str, str, str, str, bool]  # id, age band, gender, home municipality, opt out
ObservationRow = tuple[str, str, float, float]  # id, JST time, lat, lon


def subscriber_frame(rows: Sequence[SubscriberRow]) -> pd.DataFrame:
    """Subscribers with the columns and dtypes engine.inputs produces."""
    ids, ages, genders, homes, opt_outs = zip(*rows, strict=True) if rows else ([],) * 5
    return pd.DataFrame(
        {
            "subscriber_id": pd.array(ids, dtype="str"),
            "phone_e164": pd.array([f"+8190{index:08d}" for index in range(len(ids))], dtype="str"),
            "age_band": pd.array(ages, dtype="str"),
            "gender": pd.array(genders, dtype="str"),
            "home_municipality": pd.array(homes, dtype="str"),
            "opt_out": pd.array(opt_outs, dtype=bool),
        }
    )


def observation_frame(rows: Sequence[ObservationRow]) -> pd.DataFrame:
    """Observations with naive JST datetimes."""
    ids, times, lats, lons = zip(*rows, strict=True) if rows else ([],) * 4
    return pd.DataFrame(
        {
            "subscriber_id": pd.array(ids, dtype="str"),
            "observed_at": pd.to_datetime(pd.Series(times, dtype="str"), format="ISO8601"),
            "lat": pd.array(lats, dtype="float64"),
            "lon": pd.array(lons, dtype="float64"),
        }
    )


@pytest.fixture
def subscribers() -> Callable[[Sequence[SubscriberRow]], pd.DataFrame]:
    """Factory of subscriber frames."""
    return subscriber_frame


@pytest.fixture
def observations() -> Callable[[Sequence[ObservationRow]], pd.DataFrame]:
    """Factory of observation frames."""
    return observation_frame


@pytest.fixture(scope="session")
def area_map() -> ApproximateAreas:
    """The built-in approximate municipality map."""
    return ApproximateAreas()
