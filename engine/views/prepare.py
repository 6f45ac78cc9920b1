"""The carrier's observations made ready for every view, computed once and shared by all families.

Opted-out subscribers (運用データ利用停止) are dropped here, first, before anything else looks at
their rows; so are observations of IDs with no subscriber row. What remains is turned into plain
numpy arrays sorted by (subscriber, time): integer subscriber codes, JST day numbers and seconds of
the day, the region-domain cell of each observation for every region, its municipality, and its
location class (home / airport / elsewhere) for the departure view. The geometry is the expensive
part, so every family reads these arrays instead of recomputing them.

Map of the module:

* :class:`PreparedObservations` — the arrays, with :meth:`~PreparedObservations.day_keys` and
  :meth:`~PreparedObservations.month_keys` (record keys: subscriber code × period number);
* :func:`prepare_observations` — builds it from the typed input frames and an area map;
* :func:`nationwide_home_map` — the home test's map when the area map only covers study regions;
* :func:`in_periods`, :func:`month_numbers` — period arithmetic on record keys and day numbers;
  :func:`label_positions` — values to slot positions among labels; :func:`kept_subscribers` — the
  subscribers that remain, in record order.
* :data:`AIRPORT_RADIUS_M`, :data:`KEY_SPAN`, class codes :data:`HOME`, :data:`AIRPORT`,
  :data:`ELSEWHERE`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.views.domains import AGE_BANDS, GENDERS, UNKNOWN, demographic_labels
from foundation.errors import InputError
from geo.areas import ApproximateAreas, AreaMap
from geo.mesh import points_to_codes
from geo.places import AIRPORTS, MUNICIPALITIES, REGIONS, Region, region_domain

__all__ = [
    "AIRPORT",
    "AIRPORT_RADIUS_M",
    "ELSEWHERE",
    "HOME",
    "KEY_SPAN",
    "SECONDS_PER_DAY",
    "PreparedObservations",
    "in_periods",
    "kept_subscribers",
    "label_positions",
    "month_numbers",
    "nationwide_home_map",
    "prepare_observations",
]

HOME, AIRPORT, ELSEWHERE = 0, 1, 2  # positions in domains.LOCATION_CLASSES
AIRPORT_RADIUS_M = 5_000.0
EARTH_RADIUS_M = 6_371_008.8
KEY_SPAN = 1 << 17  # period numbers (days since 1970, or months since year 0) stay below this
SECONDS_PER_DAY = 86_400
_JAPAN_BOX = (20.0, 122.0, 46.0, 154.0)


@dataclass(frozen=True, eq=False)
class PreparedObservations:
    """Observations of non-opted-out subscribers as arrays sorted by (person, day, second).

    Per subscriber (index = person code): ``subscriber_ids`` (sorted), ``demographic`` (index into
    :func:`~engine.views.domains.demographic_labels`). Per observation: ``person``, ``day`` (days
    since 1970-01-01, JST), ``second`` (of the JST day), ``municipality`` (area map, ``""`` none),
    ``location_class`` (HOME, AIRPORT or ELSEWHERE) and, per region, ``cells[region]`` (index into
    the region's domain, −1 outside it).
    """

    subscriber_ids: npt.NDArray[np.object_]
    demographic: npt.NDArray[np.int64]
    person: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    second: npt.NDArray[np.int64]
    municipality: npt.NDArray[np.object_]
    location_class: npt.NDArray[np.int8]
    cells: Mapping[str, npt.NDArray[np.int64]]

    def __post_init__(self) -> None:
        size = len(self.person)
        arrays = (
            self.day,
            self.second,
            self.municipality,
            self.location_class,
            *self.cells.values(),
        )
        if any(len(array) != size for array in arrays):
            raise InputError(
                "prepared observations: every per-observation array needs one value per observation"
            )
        if len(self.demographic) != len(self.subscriber_ids):
            raise InputError("prepared observations: one demographic per subscriber is needed")

    def __len__(self) -> int:
        return len(self.person)

    def day_keys(self) -> npt.NDArray[np.int64]:
        """Record key of each observation for day families: person × KEY_SPAN + day."""
        return self.person * KEY_SPAN + self.day

    def month_keys(self) -> npt.NDArray[np.int64]:
        """Record key of each observation for the month family: person × KEY_SPAN + month."""
        return self.person * KEY_SPAN + month_numbers(self.day)


def month_numbers(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Months since year 0 (year × 12 + month − 1) of day numbers since 1970-01-01."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


@cache
def nationwide_home_map() -> ApproximateAreas:
    """:class:`~geo.areas.ApproximateAreas` over *all* built-in municipalities, as one region.

    The fallback map only names municipalities inside study regions, yet most subscribers live in
    Tokyo or Osaka; the home test needs a map that reaches them. It applies the same nearest
    reference point rule (within 15 km) to every municipality ``geo.places`` knows, exactly as the
    sample world's truth does (``docs/views.md``).
    """
    japan = Region("japan", "日本", "Japan", (), 1, _JAPAN_BOX, tuple(sorted(MUNICIPALITIES)))
    return ApproximateAreas(regions={"japan": japan})


def prepare_observations(
    subscribers: pd.DataFrame,
    observations: pd.DataFrame,
    area_map: AreaMap,
    *,
    home_map: AreaMap | None = None,
) -> PreparedObservations:
    """Drop opted-out subscribers, then compute every observation's period, cells and classes.

    ``home_map`` decides whether an observation lies in the subscriber's home municipality; by
    default ``area_map`` when it has real boundaries, else :func:`nationwide_home_map`.
    """
    kept = kept_subscribers(subscribers)
    ids = kept["subscriber_id"].to_numpy(dtype=object)
    frame = _observations_of(observations, ids)
    lat = frame["lat"].to_numpy(dtype=np.float64)
    lon = frame["lon"].to_numpy(dtype=np.float64)
    person = frame["person"].to_numpy(dtype=np.int64)
    municipality = area_map.assign(lat, lon) if len(frame) else np.zeros(0, dtype=object)
    if home_map is None:
        home_map = nationwide_home_map() if area_map.approximate else area_map
    homes = kept["home_municipality"].fillna("").to_numpy(dtype=object)
    at_home = _at_home(
        lat, lon, homes[person], home_map, municipality if home_map is area_map else None
    )
    classes = np.where(at_home, HOME, np.where(_near_airport(lat, lon), AIRPORT, ELSEWHERE))
    return PreparedObservations(
        subscriber_ids=ids,
        demographic=_demographic_codes(kept),
        person=person,
        day=frame["day"].to_numpy(dtype=np.int64),
        second=frame["second"].to_numpy(dtype=np.int64),
        municipality=np.asarray(municipality, dtype=object),
        location_class=classes.astype(np.int8),
        cells={rid: _domain_cells(region, lat, lon) for rid, region in REGIONS.items()},
    )


def kept_subscribers(subscribers: pd.DataFrame) -> pd.DataFrame:
    """Subscribers who did not opt out, sorted by ID (a missing flag counts as opted out).

    The order is the order of every payload table's records (by subscriber, then period).
    """
    needed = {"subscriber_id", "age_band", "gender", "home_municipality", "opt_out"}
    _require_columns(subscribers, needed, "subscribers")
    opted_out = subscribers["opt_out"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    kept = subscribers.loc[~opted_out]
    if kept["subscriber_id"].duplicated().any():
        raise InputError(
            "subscriber IDs must be unique; remove the duplicate rows",
            file="subscribers",
            field="subscriber_id",
        )
    return kept.sort_values("subscriber_id", kind="stable").reset_index(drop=True)


def _require_columns(frame: pd.DataFrame, needed: set[str], name: str) -> None:
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise InputError(f"missing columns {missing}; load it with engine.inputs", file=name)


def _observations_of(observations: pd.DataFrame, ids: npt.NDArray[np.object_]) -> pd.DataFrame:
    """Observations of the kept subscribers with person code, day and second, sorted."""
    _require_columns(observations, {"subscriber_id", "observed_at", "lat", "lon"}, "observations")
    person = label_positions(observations["subscriber_id"].to_numpy(dtype=object), ids)
    seconds = _jst_seconds(observations["observed_at"])
    frame = pd.DataFrame(
        {
            "person": person.astype(np.int64),
            "day": seconds // SECONDS_PER_DAY,
            "second": seconds % SECONDS_PER_DAY,
            "lat": observations["lat"].to_numpy(dtype=np.float64),
            "lon": observations["lon"].to_numpy(dtype=np.float64),
        }
    )
    frame = frame.loc[person >= 0]
    _check_day_range(frame["day"])
    return frame.sort_values(["person", "day", "second"], kind="stable").reset_index(drop=True)


def _check_day_range(days: pd.Series) -> None:
    """Record keys need a year of history before the first day and fit below KEY_SPAN days."""
    if len(days) and (days.min() < 366 or days.max() >= KEY_SPAN):
        raise InputError(
            "observation dates must lie between 1971 and 2300; check the time zone "
            "and format of the file",
            file="observations",
            field="observed_at",
        )


def _jst_seconds(times: pd.Series) -> npt.NDArray[np.int64]:
    """Seconds since 1970-01-01 00:00 JST wall time; aware times are converted to JST first."""
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise InputError(
            "must hold datetimes (JST); load it with engine.inputs",
            file="observations",
            field="observed_at",
        )
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("Asia/Tokyo").dt.tz_localize(None)
    if times.isna().any():
        raise InputError(
            "has missing times; drop or fix those rows", file="observations", field="observed_at"
        )
    return times.to_numpy(dtype="datetime64[s]").astype(np.int64)


def _demographic_codes(kept: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Index of each subscriber's ``"<age_band>|<gender>"`` label; unrecognised → unknown."""
    ages = kept["age_band"].astype(object).where(kept["age_band"].isin(AGE_BANDS), UNKNOWN)
    genders = kept["gender"].astype(object).where(kept["gender"].isin(GENDERS), UNKNOWN)
    labels = ages.astype(str) + "|" + genders.astype(str)
    return label_positions(labels.to_numpy(dtype=object), demographic_labels())


def _domain_cells(region: Region, lat: np.ndarray, lon: np.ndarray) -> npt.NDArray[np.int64]:
    """Index of each point's cell in the region's domain, −1 for points outside it."""
    cells = np.full(lat.shape, -1, dtype=np.int64)
    south, west, north, east = region.bbox
    inside = np.flatnonzero((lat >= south) & (lat <= north) & (lon >= west) & (lon <= east))
    if inside.size == 0:
        return cells
    domain = np.array(region_domain(region.id), dtype=np.int64)
    codes = points_to_codes(lat[inside], lon[inside], region.mesh_level)
    slots = np.minimum(np.searchsorted(domain, codes), len(domain) - 1)
    found = domain[slots] == codes  # the box's north and east edges lie outside the domain
    cells[inside[found]] = slots[found]
    return cells


def _near_airport(lat: np.ndarray, lon: np.ndarray) -> npt.NDArray[np.bool_]:
    """Whether each point lies within AIRPORT_RADIUS_M (great circle) of any airport."""
    near = np.zeros(lat.shape, dtype=bool)
    # A 0.05° × 0.08° box holds every point within 5 km anywhere in Japan; test only those.
    for airport in AIRPORTS.values():
        box = np.flatnonzero(
            (np.abs(lat - airport.lat) < 0.05) & (np.abs(lon - airport.lon) < 0.08)
        )
        metres = _haversine_m(lat[box], lon[box], airport.lat, airport.lon)
        near[box[metres <= AIRPORT_RADIUS_M]] = True
    return near


def _at_home(
    lat: np.ndarray,
    lon: np.ndarray,
    homes: npt.NDArray[np.object_],
    home_map: AreaMap,
    known: npt.NDArray[np.object_] | None,
) -> npt.NDArray[np.bool_]:
    """Whether each observation's municipality (per ``home_map``) is its subscriber's home.

    ``known`` holds the municipalities already assigned when ``home_map`` is the area map.
    """
    if len(lat) == 0:
        return np.zeros(0, dtype=bool)
    assigned = known if known is not None else home_map.assign(lat, lon)
    return np.asarray(assigned == homes, dtype=bool) & (homes != "")


def _haversine_m(
    lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray | float, to_lon: np.ndarray | float
) -> np.ndarray:
    """Great-circle distance in metres, element-wise (NaN where a point is missing)."""
    p1, p2 = np.radians(lat), np.radians(to_lat)
    dp, dl = p2 - p1, np.radians(to_lon - lon)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def label_positions(
    values: npt.NDArray[np.object_], labels: Sequence[str] | npt.NDArray[np.object_]
) -> npt.NDArray[np.int64]:
    """Position of each value among ``labels`` (unique), −1 where it is not one of them."""
    positions = pd.Index(np.asarray(labels, dtype=object)).get_indexer(pd.Index(values))
    return np.asarray(positions, dtype=np.int64)


def in_periods(
    keys: npt.NDArray[np.int64], allowed: npt.NDArray[np.int64] | None
) -> npt.NDArray[np.bool_]:
    """Mask of record keys whose period number is in ``allowed`` (all when ``allowed`` is None)."""
    if allowed is None:
        return np.ones(len(keys), dtype=bool)
    return np.isin(keys % KEY_SPAN, allowed)
