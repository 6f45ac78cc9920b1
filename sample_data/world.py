"""The people of the synthetic world: where they live, who they are, and which party knows them.

Most people live in the Tokyo or Osaka area and fly from HND or ITM (visitors); a few live in a
study region (residents) and are seen there every day. Each person has one mobile number, an age
band and a gender; a share of them are airline members and, independently, a share are carrier
subscribers (a few of whom opted out). The overlap of members and subscribers who did not opt out
is what the private join finds: the *linked* people of ``truth/links.csv``.

Home municipalities are not just drawn: a home point is placed near a municipality's representative
point and its municipality is then *read back* through the same area maps the views use, so that
"at home" in the truth tables means exactly what the engine will compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.places import MUNICIPALITIES, REGIONS, Municipality
from sample_data.draws import pick_by_share
from sample_data.geography import (
    distance_m,
    home_areas,
    jitter,
    origin_municipalities,
    region_areas,
    region_places,
)
from sample_data.phones import draw_mobile_numbers
from sample_data.scales import Scale

__all__ = ["AGE_BANDS", "People", "build_people"]

AGE_BANDS = ("20-29", "30-39", "40-49", "50-59", "60-69", "70+")
_AGE_SHARES = (0.14, 0.18, 0.23, 0.21, 0.14, 0.10)
_ORIGIN_SHARES = {"HND": 0.68, "ITM": 0.32}
_RESIDENT_SHARES = {
    "sapporo": 0.40,
    "east_hokkaido": 0.20,
    "nanki_shirahama": 0.10,
    "takamatsu": 0.12,
    "fukuoka": 0.18,
}
_MEMBER_SHARE = {"visitor": 0.55, "resident": 0.30}
_SUBSCRIBER_SHARE = 0.5
_OPT_OUT_SHARE = 0.03
_HOME_SPREAD_M = (100.0, 1500.0)
_PLACEMENT_TRIES = 4


@dataclass(frozen=True)
class People:
    """Column arrays, one entry per person; person ``i`` is row ``i`` of every array."""

    region: npt.NDArray[np.str_]  # home study region of residents, "" for visitors
    home_airport: npt.NDArray[np.str_]
    home_municipality: npt.NDArray[np.str_]
    home_lat: npt.NDArray[np.float64]
    home_lon: npt.NDArray[np.float64]
    work_lat: npt.NDArray[np.float64]
    work_lon: npt.NDArray[np.float64]
    age_band: npt.NDArray[np.str_]
    gender: npt.NDArray[np.str_]
    phone: npt.NDArray[np.str_]  # national form, 11 digits
    member_id: npt.NDArray[np.str_]  # "" for non-members
    subscriber_id: npt.NDArray[np.str_]  # "" for non-subscribers; increasing with the index
    opt_out: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        sizes = {len(value) for value in vars(self).values()}
        if len(sizes) != 1:
            raise ValueError(f"people columns differ in length: {sorted(sizes)}")

    @property
    def count(self) -> int:
        """Number of people."""
        return len(self.phone)

    @property
    def is_member(self) -> npt.NDArray[np.bool_]:
        """Airline members."""
        return self.member_id != ""

    @property
    def is_subscriber(self) -> npt.NDArray[np.bool_]:
        """Carrier subscribers, opted out or not."""
        return self.subscriber_id != ""

    @property
    def is_linked(self) -> npt.NDArray[np.bool_]:
        """Members who are subscribers and did not opt out: the join's population."""
        return self.is_member & self.is_subscriber & ~self.opt_out


def build_people(scale: Scale, rng: np.random.Generator) -> People:
    """Draw the people of a world of ``scale``."""
    count = scale.people
    region = np.where(
        rng.random(count) < scale.resident_share, pick_by_share(rng, _RESIDENT_SHARES, count), ""
    )
    home_airport = _home_airports(rng, region)
    code, lat, lon = _place_homes(rng, region, home_airport)
    work_lat, work_lon = jitter(rng, lat, lon, 1500.0, np.where(region == "", 12000.0, 6000.0))
    member = rng.random(count) < np.where(
        region == "", _MEMBER_SHARE["visitor"], _MEMBER_SHARE["resident"]
    )
    subscriber = rng.random(count) < _SUBSCRIBER_SHARE
    return People(
        region=region,
        home_airport=home_airport,
        home_municipality=code,
        home_lat=lat,
        home_lon=lon,
        work_lat=work_lat,
        work_lon=work_lon,
        age_band=np.asarray(AGE_BANDS)[rng.choice(len(AGE_BANDS), count, p=_AGE_SHARES)],
        gender=np.where(rng.random(count) < 0.5, "F", "M"),
        phone=np.asarray(draw_mobile_numbers(rng, count)),
        member_id=_member_ids(rng, member),
        subscriber_id=_subscriber_ids(rng, subscriber),
        opt_out=subscriber & (rng.random(count) < _OPT_OUT_SHARE),
    )


def _home_airports(rng: np.random.Generator, region: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """HND or ITM for visitors; the first airport of the home region for residents."""
    airports = pick_by_share(rng, _ORIGIN_SHARES, len(region))
    for region_id, study_region in REGIONS.items():
        airports[region == region_id] = study_region.airports[0]
    return airports


def _candidate_municipalities(
    region_id: str, airport: str
) -> tuple[list[Municipality], np.ndarray]:
    """Where people of one group may live, with weights (city wards and busy towns first)."""
    if region_id == "":
        towns = list(origin_municipalities(airport))
        weights = [
            3.0 if m.code[2:] < "200" and m.pref_code in ("13", "27") else 1.0 for m in towns
        ]
        return towns, np.asarray(weights)
    region = REGIONS[region_id]
    towns = [MUNICIPALITIES[code] for code in region.municipality_codes]
    towns = [m for m in towns if region.contains(m.lat, m.lon)]
    places = region_places(region_id)
    near = [
        distance_m(m.lat, m.lon, places.sight_lat, places.sight_lon).min() < 8000 for m in towns
    ]
    return towns, np.where(near, 5.0, 1.0)


def _place_homes(
    rng: np.random.Generator, region: npt.NDArray[np.str_], airport: npt.NDArray[np.str_]
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Home points and the municipality both area maps agree they lie in."""
    count = len(region)
    lat, lon = np.zeros(count), np.zeros(count)
    intended = np.full(count, "", dtype="<U5")
    groups = sorted(
        {(str(r), str(a)) for r, a in zip(region.tolist(), airport.tolist(), strict=True)}
    )
    for region_id, home_airport in groups:
        rows = np.flatnonzero((region == region_id) & (airport == home_airport))
        towns, weights = _candidate_municipalities(region_id, home_airport)
        picks = rng.choice(len(towns), rows.size, p=weights / weights.sum())
        intended[rows] = np.asarray([m.code for m in towns])[picks]
        lat[rows] = np.asarray([m.lat for m in towns])[picks]
        lon[rows] = np.asarray([m.lon for m in towns])[picks]
    return _settle_homes(rng, region, intended, lat, lon)


def _settle_homes(
    rng: np.random.Generator,
    region: npt.NDArray[np.str_],
    intended: npt.NDArray[np.str_],
    centre_lat: npt.NDArray[np.float64],
    centre_lon: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Spread homes around their centres, keeping only spots whose municipality reads back."""
    lat, lon = centre_lat.copy(), centre_lon.copy()
    pending = np.arange(len(region))
    spread = _HOME_SPREAD_M[1]
    for _ in range(_PLACEMENT_TRIES):
        try_lat, try_lon = jitter(
            rng, centre_lat[pending], centre_lon[pending], _HOME_SPREAD_M[0], spread
        )
        ok = _reads_back(region[pending], intended[pending], try_lat, try_lon)
        lat[pending[ok]], lon[pending[ok]] = try_lat[ok], try_lon[ok]
        pending = pending[~ok]
        spread /= 2
    # Whoever is left lives at the representative point itself, which reads back by construction.
    home = home_areas().assign(lat, lon).astype("<U5")
    return home, lat, lon


def _reads_back(
    region: npt.NDArray[np.str_],
    intended: npt.NDArray[np.str_],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Whether each point's home-map municipality is the intended one (and, for residents,
    the region map agrees)."""
    home = home_areas().assign(lat, lon).astype("<U5")
    regional = region_areas().assign(lat, lon).astype("<U5")
    return (home == intended) & ((region == "") | (regional == intended))


def _member_ids(rng: np.random.Generator, member: npt.NDArray[np.bool_]) -> npt.NDArray[np.str_]:
    """Random distinct ``JL`` + 9-digit member numbers ("" for non-members)."""
    numbers = rng.choice(9 * 10**8, size=int(member.sum()), replace=False) + 10**8
    ids = np.full(len(member), "", dtype="<U11")
    ids[member] = [f"JL{number}" for number in numbers.tolist()]
    return ids


def _subscriber_ids(
    rng: np.random.Generator, subscriber: npt.NDArray[np.bool_]
) -> npt.NDArray[np.str_]:
    """Distinct ``DC`` + 10-digit subscriber numbers, increasing with the person index."""
    gaps = rng.integers(1, 2000, size=int(subscriber.sum()))
    ids = np.full(len(subscriber), "", dtype="<U12")
    ids[subscriber] = [f"DC{number}" for number in (10**9 + np.cumsum(gaps)).tolist()]
    return ids
