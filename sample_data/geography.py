"""The geography the synthetic world lives in, read from ``geo.places`` and ``geo.areas``.

This module turns the reference tables into what the simulation needs: where visitors live (the
Tokyo and Osaka areas around the origin airports), where residents live, the places visitors go
(points of interest, weighted) and where they sleep (near a town centre, station or onsen), plus
distances and small random offsets in metres.

Two area maps are used. :func:`region_areas` is the product's fallback map (``ApproximateAreas``),
which names municipalities inside study regions only. A visitor's home lies outside every study
region, so the "is this observation at home?" test uses :func:`home_areas`: the same nearest
representative point rule over *all* built-in municipalities (documented in ``docs/views.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from geo.areas import ApproximateAreas
from geo.places import AIRPORTS, MUNICIPALITIES, REGIONS, Municipality, Region, points_of_interest

__all__ = [
    "EARTH_RADIUS_M",
    "ORIGIN_PREFECTURES",
    "RegionPlaces",
    "distance_m",
    "home_areas",
    "jitter",
    "origin_municipalities",
    "region_areas",
    "region_places",
]

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEGREE = EARTH_RADIUS_M * np.pi / 180
# Visitors fly from the airport of their home area: Tokyo area → HND, Osaka area → ITM.
ORIGIN_PREFECTURES: dict[str, tuple[str, ...]] = {"HND": ("11", "13", "14"), "ITM": ("27", "28")}
_LODGING_KINDS = ("town_centre", "station", "onsen")
_JAPAN_BOX = (20.0, 122.0, 46.0, 154.0)


@dataclass(frozen=True)
class RegionPlaces:
    """Sights (weighted) and lodging anchors of one region, as coordinate arrays."""

    region_id: str
    sight_lat: npt.NDArray[np.float64]
    sight_lon: npt.NDArray[np.float64]
    sight_weight: npt.NDArray[np.float64]
    lodging_lat: npt.NDArray[np.float64]
    lodging_lon: npt.NDArray[np.float64]
    lodging_weight: npt.NDArray[np.float64]


@cache
def region_places(region_id: str) -> RegionPlaces:
    """The sights (every point of interest but airports) and lodging anchors of a region."""
    pois = points_of_interest(region_id)
    sights = [poi for poi in pois if poi.kind != "airport"]
    lodging = [poi for poi in sights if poi.kind in _LODGING_KINDS] or sights
    return RegionPlaces(
        region_id,
        np.array([poi.lat for poi in sights]),
        np.array([poi.lon for poi in sights]),
        np.array([poi.weight for poi in sights]),
        np.array([poi.lat for poi in lodging]),
        np.array([poi.lon for poi in lodging]),
        np.array([poi.weight for poi in lodging]),
    )


@cache
def origin_municipalities(airport: str) -> tuple[Municipality, ...]:
    """Municipalities outside study regions whose residents fly from ``airport``, by code."""
    prefectures = ORIGIN_PREFECTURES[airport]
    return tuple(
        MUNICIPALITIES[code]
        for code in sorted(MUNICIPALITIES)
        if MUNICIPALITIES[code].region_id is None and MUNICIPALITIES[code].pref_code in prefectures
    )


@cache
def region_areas() -> ApproximateAreas:
    """The product's fallback area map: municipalities inside study regions only."""
    return ApproximateAreas()


@cache
def home_areas() -> ApproximateAreas:
    """Nearest built-in representative point over every municipality (the home test's map)."""
    japan = Region("japan", "日本", "Japan", (), 1, _JAPAN_BOX, tuple(sorted(MUNICIPALITIES)))
    return ApproximateAreas(regions={"japan": japan})


def airport_point(code: str) -> tuple[float, float]:
    """Latitude and longitude of an airport."""
    airport = AIRPORTS[code]
    return airport.lat, airport.lon


def region_of(region_id: str) -> Region:
    """The study region called ``region_id``."""
    return REGIONS[region_id]


def distance_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle (haversine) distance in metres, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def jitter(
    rng: np.random.Generator,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    low_m: float,
    high_m: float | npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Move each point by a random distance in [low_m, high_m] metres in a random direction."""
    radius = rng.uniform(low_m, high_m, size=lat.shape)
    angle = rng.uniform(0, 2 * np.pi, size=lat.shape)
    dlat = radius * np.cos(angle) / _M_PER_DEGREE
    dlon = radius * np.sin(angle) / (_M_PER_DEGREE * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon
